"""Hearth: a local, plugin-based voice and tool agent.

The public API for plugin authors and embedders. ``agent/`` in the repository is this package.
"""

from .backends import Backend, CallRequest, Delta, Done
from .config import ModelConfig, hearth_home, load_models
from .errors import ConfigError, HearthError, ModelLoadError, ToolError
from .events import (Event, EventBus, TextDelta, ToolCalled, ToolReturned, TurnFailed, TurnFinished,
                     TurnStarted)
from .hookspecs import hookimpl
from .storage import Storage
from .toolrunner import Tool, ToolContext, ToolResult
from .turn import Agent

__version__ = "0.1.0"

__all__ = [
    "Agent", "Backend", "CallRequest", "ConfigError", "Delta", "Done", "Event", "EventBus",
    "HearthError", "ModelConfig", "ModelLoadError", "Storage", "TextDelta", "Tool", "ToolCalled",
    "ToolContext", "ToolError", "ToolResult", "ToolReturned", "TurnFailed", "TurnFinished",
    "TurnStarted", "hearth_home", "hookimpl", "load_models",
]
