"""``hearth fit`` finds a model's file through the ``resolve_model_file`` hook, never a plugin import."""

from __future__ import annotations

from conftest import run_hearth

RAISING = """
from hearth import hookimpl

@hookimpl
def resolve_model_file(model):
    raise RuntimeError("oops")
"""

ELSEWHERE = """
from pathlib import Path
from hearth import hookimpl

@hookimpl
def resolve_model_file(model):
    return Path({path!r}) if model == "hub:tiny" else None
"""


def test_a_raising_resolver_is_an_error_naming_its_plugin(home):
    (home / "plugins").mkdir()
    (home / "plugins" / "badresolve.py").write_text(RAISING)
    r = run_hearth("fit", "some/model.gguf", env={"HEARTH_LOAD_PLUGINS": "badresolve"}, timeout=60)
    assert r.returncode == 1
    assert "plugin badresolve: resolve_model_file raised RuntimeError: oops" in r.stderr


def test_a_missing_file_is_the_llamacpp_plugins_sentence(home, tmp_path):
    r = run_hearth("fit", f"{tmp_path}/none.gguf", env={"HEARTH_LOAD_PLUGINS": "llamacpp"}, timeout=60)
    assert r.returncode == 1
    assert f"model file {tmp_path}/none.gguf does not exist" in r.stderr


def test_a_plugin_can_name_the_file_of_its_own_references(home, tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"not a gguf")
    (home / "plugins").mkdir()
    (home / "plugins" / "hub.py").write_text(ELSEWHERE.format(path=str(gguf)))
    toml = tmp_path / "models.toml"
    toml.write_text('[roles]\nmain = "t"\n\n[models.t]\nbackend = "llamacpp"\nmodel = "hub:tiny"\n')
    r = run_hearth("fit", "t", "--models", str(toml), env={"HEARTH_LOAD_PLUGINS": "hub"}, timeout=60)
    assert r.returncode == 1
    assert str(gguf) in r.stderr  # the plugin's file was read (and is no GGUF)
