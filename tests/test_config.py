"""models.toml: the shipped file loads; every error names the file, the table and the key."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from hearth import Agent, Backend, Done, ModelConfig, Storage, hookimpl
from hearth.backends import settings_models
from hearth.config import DEFAULT_MODELS_TOML, load_models, models_toml_path, parse_duration, validate_plugin_settings
from hearth.errors import ConfigError
from hearth.pluginmanager import PluginManager

MINIMAL = '[roles]\nmain = "tiny"\n\n[models.tiny]\nbackend = "llamacpp"\nmodel = "tiny.gguf"\n'


@pytest.fixture(autouse=True)
def hearth_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")
    monkeypatch.delenv("HEARTH_MODELS", raising=False)


def builtin_backends() -> dict:
    """The built-in backends' settings models, as the plugin manager registers them."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,ollama")
        pm = PluginManager()
        pm.load()
    return settings_models(pm.backends)


def config_error(path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_models(path, backends=builtin_backends())
    return info.value


def test_shipped_models_toml_loads():
    path, models = load_models(DEFAULT_MODELS_TOML)

    assert (path, models.roles.model_dump(), sorted(models.models), models.for_role("main")[0]) == (
        DEFAULT_MODELS_TOML,
        {"main": "gemma3-270m", "router": None},
        ["gemma3-270m", "qwen2.5-coder-0.5b", "smollm2-135m"],
        "gemma3-270m",
    )


def test_minimal_model_table_gets_the_defaults(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL)

    _, models = load_models(path, backends=builtin_backends())

    tiny = models.models["tiny"]
    assert tiny.model_dump() == {
        "backend": "llamacpp", "model": "tiny.gguf", "description": "", "num_gpu": -1, "n_ctx": 4096,
        "kv_cache": "f16", "flash_attn": False, "keep_alive": "5m", "tool_calling": "inject",
        "reply": "model", "n_threads": None, "max_tokens": 256,
        "temperature": 0.0, "seed": 0, "sha256": None, "system_prompt": None, "max_tool_rounds": 4, "gpu_id": None,
        "target_vram": 0.8,
    }
    assert tiny.backend_settings.model_dump() == {
        "tool_select": "generate", "chat_format": None, "tensor_split": None, "swa_full": True}


def test_unknown_key_in_a_model_table(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + "n_gpu = 99\n")

    error = config_error(path)

    assert (str(error), error.code) == (f"{path}: [models.tiny] key 'n_gpu': unknown key", "config_invalid")


def test_wrong_type(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + 'n_ctx = "big"\n')

    assert str(config_error(path)) == (
        f"{path}: [models.tiny] key 'n_ctx': Input should be a valid integer, unable to parse string as an integer")


def test_kv_cache_outside_the_allowed_values(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + 'kv_cache = "q5"\n')

    assert str(config_error(path)) == f"{path}: [models.tiny] key 'kv_cache': Input should be 'f16', 'q8_0' or 'q4_0'"


def test_missing_required_key(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text('[roles]\nmain = "tiny"\n\n[models.tiny]\nmodel = "tiny.gguf"\n')

    assert str(config_error(path)) == f"{path}: [models.tiny] key 'backend': Field required"


def test_unknown_key_in_roles(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL.replace('main = "tiny"\n', 'main = "tiny"\nhelper = "tiny"\n'))

    assert str(config_error(path)) == f"{path}: [roles] key 'helper': unknown key"


def test_unknown_top_level_table(tmp_path):
    """A top-level table belongs to a plugin (register_settings): kept by load_models, and an error
    naming it once every plugin is loaded and none declares it."""
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + "\n[voices]\nname = 'amy'\n")
    _, mf = load_models(path, backends=builtin_backends())
    assert mf.plugin_tables() == {"voices": {"name": "amy"}}

    with pytest.raises(ConfigError) as info:
        validate_plugin_settings(mf, {}, path)

    assert (str(info.value), info.value.code) == (
        f"{path}: [voices]: unknown table; no installed plugin declares it (hearth plugins lists what each plugin "
        "reads)", "config_invalid")
    assert validate_plugin_settings(mf, {}, path, strict=False) == {}  # some plugins not loaded: not known yet


def test_every_error_of_a_file_is_listed(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + 'n_gpu = 99\nkv_cache = "q5"\n')

    assert str(config_error(path)).splitlines() == [
        f"{path}: [models.tiny] key 'kv_cache': Input should be 'f16', 'q8_0' or 'q4_0'",
        f"{path}: [models.tiny] key 'n_gpu': unknown key",
    ]


def test_role_naming_a_missing_model(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL.replace('main = "tiny"', 'main = "huge"'))

    message = str(config_error(path))

    assert message == f"{path}: [roles] key 'main': 'huge' names no [models.huge] table"


def test_role_naming_a_missing_model_is_located_in_roles(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL.replace('main = "tiny"', 'main = "huge"'))

    message = str(config_error(path))

    assert ("top level" in message, "Value error" in message) == (False, False)


def test_error_in_a_dotted_model_name_quotes_the_table(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text('[roles]\nmain = "q.5"\n\n[models."q.5"]\nbackend = "llamacpp"\nmodel = "q.gguf"\nn_gpu = 1\n')

    assert str(config_error(path)) == f"{path}: [models.\"q.5\"] key 'n_gpu': unknown key"


def test_invalid_toml(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + "n_ctx = \n")

    assert str(config_error(path)) == f"{path}: not valid TOML: Invalid value (at line 7, column 9)"


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"

    error = config_error(path)

    assert (str(error), error.code) == (f"{path}: file not found; create it or set HEARTH_MODELS", "config_missing")


def test_keep_alive_that_is_not_a_duration(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + 'keep_alive = "5 parsecs"\n')

    assert str(config_error(path)) == (
        f"{path}: [models.tiny] key 'keep_alive': Value error, '5 parsecs' is not a duration; "
        "use e.g. '30s', '5m', '1h' or -1")


def test_negative_num_gpu_other_than_auto(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + "num_gpu = -2\n")

    assert str(config_error(path)) == (
        f"{path}: [models.tiny] key 'num_gpu': Value error, num_gpu must be -1 (auto), 0 (CPU), N layers or 99 (all)")


def test_models_path_prefers_hearth_models_then_home_then_shipped(tmp_path, monkeypatch):
    home = tmp_path / "home"
    shipped = models_toml_path()
    (home / "models.toml").write_text(MINIMAL)
    in_home = models_toml_path()
    monkeypatch.setenv("HEARTH_MODELS", str(tmp_path / "env.toml"))

    assert (shipped, in_home, models_toml_path()) == (DEFAULT_MODELS_TOML, home / "models.toml", tmp_path / "env.toml")


@pytest.mark.parametrize("value, seconds", [
    ("5m", 300.0), ("30s", 30.0), ("1h", 3600.0), ("250ms", 0.25), (" 2.5 m ", 150.0), ("1.5h", 5400.0),
    ("90", 90.0), (300, 300.0), (0, 0.0), (-1, -1.0), ("-1", -1.0), (-5, -1.0),
])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["5 parsecs", "", "m5", "1d"])
def test_parse_duration_rejects(value):
    with pytest.raises(ValueError) as info:
        parse_duration(value)

    assert str(info.value) == f"{value!r} is not a duration; use e.g. '30s', '5m', '1h' or -1"


# ---- keys a backend declares itself --------------------------------------------------------------------

class AcmeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: Literal["eu", "us"] = "eu"


class AcmeBackend(Backend):
    """A third-party backend with a models.toml key of its own."""

    settings = AcmeSettings

    @property
    def loaded(self) -> bool:
        return False

    async def load(self, progress=None) -> None: ...

    async def chat(self, messages, tools):
        yield Done()


class AcmePlugin:
    @hookimpl
    def register_backends(self, register):
        register("acme", AcmeBackend)


ACME = '[roles]\nmain = "cloud"\n\n[models.cloud]\nbackend = "acme"\nmodel = "big"\n'


def acme_agent(path) -> Agent:
    pm = PluginManager()
    pm.register_module(AcmePlugin(), "acme")
    pm.collect()
    return Agent(models=path, plugins=pm, storage=Storage("sqlite://"))


def test_a_third_party_backend_gets_its_own_key(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(ACME + 'region = "us"\n')

    agent = acme_agent(path)

    assert agent.backend().config.backend_settings == AcmeSettings(region="us")


def test_a_typo_in_a_third_party_backends_key_names_file_table_and_key(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(ACME + 'regoin = "us"\n')

    with pytest.raises(ConfigError) as info:
        acme_agent(path)

    assert (str(info.value), info.value.code) == (f"{path}: [models.cloud] key 'regoin': unknown key", "config_invalid")


def test_a_bad_value_of_a_third_party_backends_key(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(ACME + 'region = "mars"\n')

    with pytest.raises(ConfigError) as info:
        acme_agent(path)

    assert str(info.value) == f"{path}: [models.cloud] key 'region': Input should be 'eu' or 'us'"


def test_one_backends_key_in_another_backends_table_is_unknown(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL + 'host = "http://gpu-box:11434"\n')

    assert str(config_error(path)) == f"{path}: [models.tiny] key 'host': unknown key"


def test_a_table_naming_an_unknown_backend_is_a_clear_error(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MINIMAL.replace('"llamacpp"', '"vllm"') + "gpu_memory = 0.9\n")

    assert str(config_error(path)) == (
        f"{path}: [models.tiny] key 'backend': 'vllm' is not an available backend (backends: llamacpp, ollama); "
        "install its plugin or check HEARTH_LOAD_PLUGINS")


def test_a_model_pool_with_an_unknown_backend_fails_when_the_model_is_used(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(ACME.replace('"acme"', '"vllm"') + "gpu_memory = 0.9\n")
    agent = acme_agent(path)

    with pytest.raises(ConfigError) as info:
        agent.backend()

    assert info.value.code == "backend_missing" and "'vllm' is not available (backends: acme)" in str(info.value)


def test_a_backend_built_outside_a_pool_validates_its_own_keys():
    from hearth.plugins.ollama import OllamaBackend

    ok = OllamaBackend("box", ModelConfig(backend="ollama", model="llama3.2", host="http://gpu-box:11434"))
    with pytest.raises(ConfigError) as info:
        OllamaBackend("box", ModelConfig(backend="ollama", model="llama3.2", hots="http://gpu-box:11434"))

    assert (ok.host_setting, str(info.value)) == ("http://gpu-box:11434", "models.toml: [models.box] key 'hots': unknown key")
