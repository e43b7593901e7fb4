"""Paths and the locked per-model settings of ``models.toml``.

``models.toml`` parses into pydantic models that forbid unknown keys; every error names the file,
the table and the key. A request may choose a role, never a model's settings.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from hearth.errors import ConfigError

DEFAULT_MODELS_TOML = Path(__file__).with_name("models.toml")


def hearth_home() -> Path:
    """``$HEARTH_HOME``, else the platform's user data folder (``~/.local/share/hearth``)."""
    env = os.environ.get("HEARTH_HOME")
    home = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("hearth", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url() -> str:
    """``$HEARTH_DATABASE_URL``, else SQLite at ``$HEARTH_HOME/hearth.db``."""
    return os.environ.get("HEARTH_DATABASE_URL") or f"sqlite:///{hearth_home() / 'hearth.db'}"


def is_loopback(host: str) -> bool:
    """Whether a host name or address (``[::1]`` too) is this machine's loopback."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def models_toml_path(explicit: str | Path | None = None) -> Path:
    """Which models.toml is in force: the explicit path, ``$HEARTH_MODELS``,
    ``$HEARTH_HOME/models.toml``, or the one shipped with Hearth."""
    if explicit:
        return Path(explicit).expanduser()
    if env := os.environ.get("HEARTH_MODELS"):
        return Path(env).expanduser()
    user = hearth_home() / "models.toml"
    return user if user.exists() else DEFAULT_MODELS_TOML


_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(value: str | int | float) -> float:
    """Seconds from ``"5m"``, ``"30s"``, ``"1h"``, ``300`` or ``-1`` (forever, returned as -1)."""
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a duration; use e.g. '30s', '5m', '1h' or -1")
        seconds = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return -1.0 if seconds < 0 else seconds


class ModelConfig(BaseModel):
    """One ``[models.NAME]`` table: the keys every backend shares.

    A backend's own keys (llama.cpp's ``swa_full``, Ollama's ``host``...) are declared by its
    plugin as a pydantic model (``Backend.settings``) and validated against it once the backends
    are known (:func:`bind_backend_settings`); the validated instance is ``backend_settings``.
    Until then they are kept as they were written (``backend_keys()``).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    backend: str = Field(description="backend plugin name, e.g. 'llamacpp' or 'ollama'")
    model: str = Field(description="GGUF path, 'package:NAME' for a model shipped as a Python package, or an Ollama tag")
    description: str = ""
    num_gpu: int = Field(-1, description="-1 auto fit, 0 CPU only, N layers, 99 all")
    gpu_id: int | None = Field(None, ge=0, description="pin the model to this one GPU (CUDA numbering); default: all GPUs")
    target_vram: float = Field(0.8, ge=0.05, le=1.0, description="share of each GPU's free memory the auto fit may use")
    n_ctx: int = Field(4096, ge=256, le=1_048_576)
    kv_cache: Literal["f16", "q8_0", "q4_0"] = "f16"
    flash_attn: bool = False
    keep_alive: str | int = "5m"
    tool_calling: Literal["native", "inject"] = "inject"
    reply: Literal["model", "tool"] = Field(
        "model", description="who words the reply after a tool call: the model, or the tool's own sentence")
    n_threads: int | None = Field(None, ge=1)
    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    seed: int = 0
    sha256: str | None = Field(None, description="expected sha256 of the model file, checked before loading")
    system_prompt: str | None = Field(None, description="replaces Hearth's default system prompt")
    max_tool_rounds: int = Field(4, ge=1, le=16)

    _backend_settings: BaseModel | None = PrivateAttr(None)

    @field_validator("num_gpu")
    @classmethod
    def _num_gpu(cls, v: int) -> int:
        if v < -1:
            raise ValueError("num_gpu must be -1 (auto), 0 (CPU), N layers or 99 (all)")
        return v

    @field_validator("keep_alive")
    @classmethod
    def _keep_alive(cls, v: str | int) -> str | int:
        parse_duration(v)
        return v

    @property
    def keep_alive_seconds(self) -> float:
        return parse_duration(self.keep_alive)

    def backend_keys(self) -> dict[str, Any]:
        """The keys of this table that are not common ones: the backend's own, as written."""
        return dict(self.model_extra or {})

    @property
    def backend_settings(self) -> Any:
        """The backend's own keys, validated by its settings model (None: not bound, or none declared)."""
        return self._backend_settings


class Roles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    main: str
    router: str | None = None


class ModelsFile(BaseModel):
    # Other top-level tables belong to plugins (``register_settings``): kept as written here and
    # validated by the plugin manager against the model the plugin declared (``plugin_settings``).
    model_config = ConfigDict(extra="allow", frozen=True)
    roles: Roles
    models: dict[str, ModelConfig]
    # [speech.stt] / [speech.tts] / [speech.voice]: validated by hearth.voice.speech when voice is used,
    # so a text-only install never imports the speech engines.
    speech: dict[str, Any] = Field(default_factory=dict)

    def plugin_tables(self) -> dict[str, Any]:
        """The top-level tables that are not the core's, as written: each is a plugin's settings."""
        return dict(self.model_extra or {})

    def missing_roles(self) -> list[tuple[str, str]]:
        return [(role, name) for role, name in self.roles.model_dump().items()
                if name is not None and name not in self.models]

    def for_role(self, role: str = "main") -> tuple[str, ModelConfig]:
        name = getattr(self.roles, role, None) or self.roles.main
        return name, self.models[name]


def model_table(name: str) -> str:
    """``[models.NAME]``, quoting a name TOML would split (``[models."qwen2.5"]``)."""
    return f"[models.{name}]" if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'[models."{name}"]'


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "models":
        table = model_table(parts[1])
        key = ".".join(parts[2:])
    elif parts and parts[0] == "roles":
        table, key = "[roles]", ".".join(parts[1:])
    else:
        table, key = "top level", ".".join(parts)
    return f"{table} key '{key}'" if key else table


def read_toml(path: Path) -> dict[str, Any]:
    """A models.toml's contents; ConfigError when it is missing or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: file not found; create it or set HEARTH_MODELS", "config_missing") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err


def validation_error(err: ValidationError, source: str | Path, where: Callable[[tuple], str]) -> ConfigError:
    """One line per problem, naming the file and, through ``where``, the table and the key."""
    lines = []
    for e in err.errors():
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"{source}: {where(e['loc'])}: {msg}")
    return ConfigError("\n".join(lines))


BackendSettings = Mapping[str, "type[BaseModel] | None"]  # backend name -> its settings model (None: no own keys)


def validate_backend_keys(name: str, keys: dict[str, Any], settings: type[BaseModel] | None,
                          source: str | Path) -> BaseModel | None:
    """``[models.NAME]``'s backend-owned keys validated by the backend's settings model.

    A backend without a settings model takes no keys of its own. Raises ConfigError naming the
    file, the table and each bad key."""
    if settings is None:
        if keys:
            raise ConfigError("\n".join(f"{source}: {model_table(name)} key '{k}': unknown key" for k in keys))
        return None
    try:
        return settings.model_validate(keys)
    except ValidationError as err:
        raise validation_error(err, source, lambda loc: _where(("models", name, *loc))) from err


def bind_backend_settings(mf: ModelsFile, settings: BackendSettings, source: str | Path,
                          *, unknown_backend_ok: bool = False) -> None:
    """Validate every table's backend-owned keys and attach the result (``backend_settings``).

    ``settings`` names each registered backend's settings model. A table whose backend is not
    registered is an error naming it, unless ``unknown_backend_ok`` (the pool reports a missing
    backend when the model is first used). All problems of the file are listed together."""
    problems: list[str] = []
    for name, cfg in mf.models.items():
        if cfg.backend not in settings:
            if not unknown_backend_ok:
                known = ", ".join(sorted(settings)) or "none loaded"
                problems.append(f"{source}: {model_table(name)} key 'backend': {cfg.backend!r} is not an available "
                                f"backend (backends: {known}); install its plugin or check HEARTH_LOAD_PLUGINS")
            continue
        try:
            cfg._backend_settings = validate_backend_keys(name, cfg.backend_keys(), settings[cfg.backend], source)
        except ConfigError as err:
            problems.append(str(err))
    if problems:
        raise ConfigError("\n".join(problems))


def _raw_backend_problems(data: dict[str, Any], settings: BackendSettings, source: str | Path) -> list[str]:
    """The backend-owned key errors of tables as read from TOML (for a file the common keys rejected)."""
    problems = []
    models = data.get("models")
    for name, table in (models.items() if isinstance(models, dict) else []):
        if isinstance(table, dict) and table.get("backend") in settings:
            keys = {k: v for k, v in table.items() if k not in ModelConfig.model_fields}
            try:
                validate_backend_keys(name, keys, settings[table["backend"]], source)
            except ConfigError as err:
                problems.append(str(err))
    return problems


def load_models(path: str | Path | None = None, backends: BackendSettings | None = None) -> tuple[Path, ModelsFile]:
    """Parse and validate models.toml; raise ConfigError naming file, table and key.

    With ``backends`` (backend name -> settings model, e.g. ``hearth.backends.settings_models(
    plugins.backends)``) each table's backend-owned keys are validated too, and a table naming a
    backend that is not registered is an error; without it they wait for the model pool."""
    p = models_toml_path(path)
    data = read_toml(p)
    try:
        mf = ModelsFile.model_validate(data)
    except ValidationError as err:
        lines = [str(validation_error(err, p, _where))]
        if backends is not None:  # the backend-owned keys' problems too, so the file's every error is listed
            lines += _raw_backend_problems(data, backends, p)
        raise ConfigError("\n".join(lines)) from err
    missing = mf.missing_roles()
    if missing:
        raise ConfigError("\n".join(f"{p}: [roles] key '{role}': {name!r} names no {model_table(name)} table"
                                    for role, name in missing))
    if backends is not None:
        bind_backend_settings(mf, backends, p)
    return p, mf


def _where_in(table: str, loc: tuple) -> str:
    """``[table] key 'a.b'`` for a problem at ``loc`` inside a plugin's table."""
    return f"[{table}] key '{'.'.join(str(p) for p in loc)}'" if loc else f"[{table}]"


def validate_plugin_settings(mf: ModelsFile, declared: Mapping[str, type[BaseModel]], source: str | Path,
                             *, strict: bool = True) -> dict[str, BaseModel]:
    """Each plugin table of ``mf`` validated by the settings model its plugin declared.

    ``declared`` maps a table name to the pydantic model a plugin registered for it
    (``register_settings``); a declared table that is absent gets the model's defaults when it has
    them. With ``strict`` (every plugin loaded), a table no plugin declares is an error naming it."""
    out: dict[str, BaseModel] = {}
    problems: list[str] = []
    tables = mf.plugin_tables()
    for table, value in tables.items():
        if table not in declared:
            if strict:
                problems.append(f"{source}: [{table}]: unknown table; no installed plugin declares it "
                                "(hearth plugins lists what each plugin reads)")
            continue
        if not isinstance(value, dict):
            problems.append(f"{source}: [{table}]: must be a table, not {type(value).__name__}")
            continue
        try:
            out[table] = declared[table].model_validate(value)
        except ValidationError as err:
            problems.append(str(validation_error(err, source, functools.partial(_where_in, table))))
    if problems:
        raise ConfigError("\n".join(problems), "config_invalid")
    return out
