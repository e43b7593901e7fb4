"""Hearth: a local, plugin-based voice and tool agent.

The public API for plugin authors and embedders. ``agent/`` in the repository is this package.
A plugin imports what it needs from here (``from hearth import ...``), not from the submodules.
"""

from .backends import Backend, CallRequest, Delta, Done, Progress
from .checks import Check
from .config import ModelConfig, hearth_home, load_models
from .errors import BackendError, ConfigError, HearthError, ModelLoadError, PluginError, ToolBlocked, ToolError
from .events import (
                     Event,
                     EventBus,
                     Routed,
                     TextDelta,
                     TimerCancelled,
                     TimerFinished,
                     TimerStarted,
                     ToolCalled,
                     ToolReturned,
                     TurnFailed,
                     TurnFinished,
                     TurnStarted,
)
from .hookspecs import hookimpl
from .scheduler import Clock, ManualClock, Scheduler, WallClock
from .speech import (
                     RATE,
                     SpeechEngineError,
                     SpeechToText,
                     SttConfig,
                     TextToSpeech,
                     TtsConfig,
                     packaged_path,
                     resample,
                     resolve_path,
)
from .storage import Storage
from .tool import RegisterTool, SchemaTool, Tool, ToolContext, ToolResult
from .turn import Agent

__version__ = "0.1.0"

__all__ = [
    "RATE", "Agent", "Backend", "BackendError", "CallRequest", "Check", "Clock", "ConfigError", "Delta", "Done", "Event",
    "EventBus", "HearthError", "ManualClock", "ModelConfig", "ModelLoadError", "PluginError", "Progress",
    "RegisterTool", "Routed", "Scheduler", "SchemaTool", "SpeechEngineError", "SpeechToText", "SttConfig", "Storage",
    "TextDelta", "TextToSpeech", "TimerCancelled", "TimerFinished", "TimerStarted", "Tool", "ToolBlocked",
    "ToolCalled", "ToolContext", "ToolError", "ToolResult", "ToolReturned", "TtsConfig", "TurnFailed",
    "TurnFinished", "TurnStarted", "WallClock", "hearth_home", "hookimpl", "load_models", "packaged_path",
    "resample", "resolve_path",
]
