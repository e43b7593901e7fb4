"""Where a speech engine's model is: a user's path from ``[speech.*]``, or a model shipped as a Python
package (``package:NAME``)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from hearth.config import hearth_home
from hearth.errors import ModelLoadError


def resolve_path(ref: str, what: str, key: str) -> Path:
    """A user's model path from ``[speech.*]`` (``~`` and ``$VARS`` expanded; relative to HEARTH_HOME
    unless it exists where it is); ModelLoadError ``speech_model_missing`` when it is not there."""
    path = Path(os.path.expandvars(ref)).expanduser()
    if not path.is_absolute() and not path.exists():
        path = hearth_home() / path
    if not path.exists():
        raise ModelLoadError(f"the {what} {path} does not exist; fix {key} in models.toml "
                             "(or remove it to use the default)", "speech_model_missing")
    return path


def packaged_path(name: str, packaged: dict[str, tuple[str, str, str]], what: str, key: str, instead: str) -> Path:
    """The file or folder of a model shipped as a Python package (``package:NAME`` in ``key``):
    ``packaged`` maps NAME to (module, function returning the path, pip name)."""
    if name not in packaged:
        raise ModelLoadError(f"unknown packaged {what} {name!r} in {key}; known: "
                             f"{', '.join('package:' + k for k in packaged)}, or give {instead}", "speech_model_missing")
    module, fn, dist = packaged[name]
    try:
        return Path(getattr(importlib.import_module(module), fn)())
    except ImportError as err:
        raise ModelLoadError(f"the {what} package:{name} is not installed: pip install {dist}",
                             "speech_model_missing") from err
