"""Hearth: a local, plugin-based voice and tool agent.

The public API for plugin authors and embedders. ``agent/`` in the repository is this package.
A plugin imports what it needs from here (``from hearth import ...``), not from the submodules.
"""

from hearth.agent import Agent
from hearth.backends import Backend, CallRequest, Delta, Done, Progress
from hearth.checks import Check
from hearth.config import ModelConfig, hearth_home, load_models
from hearth.errors import BackendError, ConfigError, HearthError, ModelLoadError, PluginError, ToolBlocked, ToolError
from hearth.events import (
                     Announcement,
                     CountdownCancelled,
                     CountdownFinished,
                     CountdownStarted,
                     Event,
                     EventBus,
                     Routed,
                     TextDelta,
                     ToolCalled,
                     ToolReturned,
                     TurnFailed,
                     TurnFinished,
                     TurnStarted,
                     Waiting,
)
from hearth.hookspecs import hookimpl
from hearth.scheduler import Clock, ManualClock, Scheduler, WallClock
from hearth.storage import Storage
from hearth.tooling.tool import RegisterTool, SchemaTool, Tool, ToolContext, ToolResult
from hearth.voice.speech import (
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

__version__ = "0.1.0"

__all__ = [
    "RATE", "Agent", "Announcement", "Backend", "BackendError", "CallRequest", "Check", "Clock", "ConfigError",
    "CountdownCancelled", "CountdownFinished", "CountdownStarted", "Delta", "Done", "Event",
    "EventBus", "HearthError", "ManualClock", "ModelConfig", "ModelLoadError", "PluginError", "Progress",
    "RegisterTool", "Routed", "Scheduler", "SchemaTool", "SpeechEngineError", "SpeechToText", "SttConfig", "Storage",
    "TextDelta", "TextToSpeech", "Tool", "ToolBlocked",
    "ToolCalled", "ToolContext", "ToolError", "ToolResult", "ToolReturned", "TtsConfig", "TurnFailed",
    "TurnFinished", "TurnStarted", "Waiting", "WallClock", "hearth_home", "hookimpl", "load_models", "packaged_path",
    "resample", "resolve_path",
]

# Names 0.1.0 exported that now have a general form: still importable, with a DeprecationWarning.
RENAMED = {"TimerStarted": "CountdownStarted", "TimerCancelled": "CountdownCancelled",
           "TimerFinished": "CountdownFinished"}


def __getattr__(name: str) -> object:
    if name in RENAMED:
        import warnings
        warnings.warn(f"hearth.{name} is now hearth.{RENAMED[name]} (kind='timer' for a timer); "
                      f"hearth.{name} goes in a later release", DeprecationWarning, stacklevel=2)
        return globals()[RENAMED[name]]
    raise AttributeError(f"module 'hearth' has no attribute {name!r}")
