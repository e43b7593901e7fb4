"""The engine and tool author's kit: everything a plugin may import from the core besides ``hearth``.

``from hearth import ...`` gives what every plugin needs (hooks, tools, events, errors, the agent).
This module adds what engine authors and plugins with settings of their own need: the server-backend
base and its hold-back of streamed calls, the tool-call layer's schema, prompt and parse helpers,
the question rule (``is_question``, ``is_read_tool``: a question is never turned into a write),
``models.toml`` helpers, the GPU memory probe and planner, ``hearth doctor``'s checks, the core's
reader of language (``normalise``, ``read_number``, ``read_quantity``, ``read_duration``,
``find_duration``, ``read_clock_time``: numbers, amounts, durations and clock times), and the types
of the hooks' arguments and results (``IntentCall``, ``ToolCall``, the ``register`` callables) for a
plugin that annotates its hook implementations. A plugin imports nothing else from the core;
``tests/test_architecture.py`` fails on any other import.

>>> from hearth.kit import ServerBackend, HoldBack, fn_schema, probe_memory
"""

from __future__ import annotations

from hearth.backends import Backend, CallRequest, Delta, Done, Progress, ServerBackend, ToolsRefused
from hearth.cache import forget, shared
from hearth.checks import Check
from hearth.config import ModelsFile, is_loopback, models_toml_path, read_toml, validation_error
from hearth.gpu import (
                   MemoryProbe,
                   ModelShapeError,
                   PlanError,
                   is_out_of_memory,
                   llama_gpu_offload,
                   oom_reason,
                   plan_model,
                   probe_memory,
                   step_down,
)
from hearth.hookspecs import (
    IntentCall,
    RegisterBackend,
    RegisterSentences,
    RegisterSettings,
    RegisterStt,
    RegisterTts,
    ToolCall,
)
from hearth.tooling.calls import (
                   HoldBack,
                   example_calls,
                   example_sentences,
                   fn_schema,
                   format_calls,
                   injected_messages,
                   is_question,
                   is_read_tool,
                   parse_calls,
                   py_literal,
                   render_tools_prompt,
)
from hearth.tooling.registry import ToolRegistry
from hearth.understanding import (
    find_duration,
    normalise,
    read_clock_time,
    read_duration,
    read_number,
    read_quantity,
)

__all__ = [
    "Backend", "CallRequest", "Check", "Delta", "Done", "HoldBack", "IntentCall", "MemoryProbe", "ModelShapeError",
    "ModelsFile", "PlanError", "Progress", "RegisterBackend", "RegisterSentences", "RegisterSettings", "RegisterStt", "RegisterTts",
    "ServerBackend", "ToolCall", "ToolRegistry", "ToolsRefused", "example_calls", "example_sentences",
    "fn_schema", "format_calls", "injected_messages", "is_loopback", "is_question", "is_read_tool", "is_out_of_memory", "llama_gpu_offload",
    "models_toml_path", "oom_reason", "parse_calls", "plan_model", "probe_memory", "py_literal", "read_toml",
    "render_tools_prompt", "step_down", "validation_error",
    "forget", "shared",
    # the core's reader of language: one normaliser and one reader of numbers, amounts, durations, clock times
    "find_duration", "normalise", "read_clock_time", "read_duration", "read_number", "read_quantity",
]
