"""llama.cpp backend (llama-cpp-python): GGUF by path or from an installed model package.

One job per module: ``backend`` (load and generate), ``model_files`` (where a GGUF comes from),
``prompt`` (chat template or plain transcript), ``grammar`` (GBNF for injected calls),
``ranker`` (``tool_select = "rank"``), ``settings`` (its models.toml keys), ``checks`` (``hearth doctor``
and ``hearth fit``'s model files) and ``workarounds`` (llama.cpp quirks). This module holds the hook implementations only.
"""

from __future__ import annotations

from typing import Any

from hearth import hookimpl

from .backend import LlamaCppBackend
from .checks import doctor_checks, resolve_model_file
from .model_files import PACKAGED, models_dir, resolve_model
from .settings import LlamaCppSettings

__version__ = "0.1.0"
__all__ = ["PACKAGED", "LlamaCppBackend", "LlamaCppSettings", "doctor_checks", "models_dir", "resolve_model",
           "resolve_model_file"]


@hookimpl
def register_backends(register: Any) -> None:
    register("llamacpp", LlamaCppBackend)
