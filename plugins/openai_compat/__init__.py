"""OpenAI-compatible backend: models served by llama-server, vLLM, TensorRT-LLM's trtllm-serve, LM Studio,
LocalAI or llama-cpp-python's server, through the official ``openai`` client.

One job per module: ``settings`` (the backend's models.toml keys), ``backend`` (the backend: locked
settings, pre-warm, native and injected tool calls, coded errors) and ``checks`` (``hearth doctor``:
the server answers and lists the model). This module holds the hook implementations only.
"""

from __future__ import annotations

from typing import Any

from hearth import hookimpl

from .backend import OpenAIBackend
from .checks import doctor_checks
from .settings import OpenAISettings

__version__ = "0.1.0"
__all__ = ["OpenAIBackend", "OpenAISettings", "doctor_checks"]


@hookimpl
def register_backends(register: Any) -> None:
    register("openai", OpenAIBackend)
