"""Ollama backend: models served by an Ollama server, through the official ``ollama`` client.

One job per module: ``backend`` (the backend: locked options, pre-warm, native and injected tool calls)
and ``checks`` (``hearth doctor``: the server, the model pulled and how much of it is on the GPU).
This module holds the hook implementations only.
"""

from __future__ import annotations

from typing import Any

from hearth import hookimpl

from .backend import OllamaBackend, OllamaSettings
from .checks import doctor_checks

__version__ = "0.1.0"
__all__ = ["OllamaBackend", "OllamaSettings", "doctor_checks"]


@hookimpl
def register_backends(register: Any) -> None:
    register("ollama", OllamaBackend)
