"""The wheel is whole: built from the source (not the editable install the tests use), installed in a
fresh virtual environment, every module of the ``hearth`` package imports from it, and the files
it ships (models.toml, the web page) are there as files.

The fresh environment gets its dependencies from this one: a ``.pth`` file adds this environment's
site-packages to its path (a ``.pth`` inside that folder, such as the editable install's finder, is
not run), and the wheel is installed with ``--no-deps``. So the test needs no network, and a module
left out of ``[tool.setuptools] packages`` or a data file left out of ``package-data`` fails it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "agent", "plugins", "tools")  # what building the wheel reads
PACKAGE_DIRS = {"hearth": "agent", "hearth.plugins": "plugins", "hearth.tools": "tools"}

IMPORT_EVERY_MODULE = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    import hearth
    names, failed = ["hearth"], {}
    for info in pkgutil.walk_packages(hearth.__path__, "hearth."):
        if info.name.endswith("__main__"):
            continue  # runs the command line when imported
        try:
            importlib.import_module(info.name)
            names.append(info.name)
        except Exception as err:
            failed[info.name] = f"{type(err).__name__}: {err}"
    print(json.dumps({"file": hearth.__file__, "modules": names, "failed": failed}))
""")

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built with this environment's setuptools from a copy of the sources (the repository
    gets no build folder)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (built,) = out.glob("hearth-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; its dependencies come from this one."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                        "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return root


def repo_modules() -> set[str]:
    """Every module of the hearth package in the sources, by its dotted name."""
    names = set()
    for package, folder in PACKAGE_DIRS.items():
        for path in (REPO / folder).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.add(".".join((package, *parts)))
    return names


def test_the_wheel_holds_every_module_and_the_packaged_files(wheel):
    with zipfile.ZipFile(wheel) as z:
        files = set(z.namelist())
        models = z.read("hearth/models.toml").decode()
    in_wheel = {n.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for n in files if n.endswith(".py")}
    assert sorted(repo_modules() - in_wheel) == []
    assert models == (REPO / "agent" / "models.toml").read_text()  # the file itself, not a link to one
    assert "hearth/faces/web/index.html" in files


def test_every_module_imports_from_the_installed_wheel(venv):
    r = subprocess.run([str(venv / "bin" / "python"), "-c", IMPORT_EVERY_MODULE], capture_output=True, text=True,
                       timeout=300, cwd=venv)  # not the repository: nothing there can be picked up by mistake
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout.splitlines()[-1])
    assert Path(found["file"]).is_relative_to(venv), found["file"]
    assert found["failed"] == {}
    assert sorted(repo_modules() - {n for n in repo_modules() if n.endswith("__main__")} - set(found["modules"])) == []


def test_the_installed_command_runs_from_the_wheel(venv, tmp_path):
    r = subprocess.run([str(venv / "bin" / "hearth"), "models", "--json", "--no-budget"], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path, env={"HEARTH_HOME": str(tmp_path / "home"),
                                                                 "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert Path(shown["file"]).is_relative_to(venv) and shown["roles"]["main"] == "gemma3-270m"
