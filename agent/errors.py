"""Errors with a sentence a voice can speak and a stable code a program can test."""

from __future__ import annotations


class HearthError(Exception):
    """Base error: ``str(err)`` says what happened and what to do; ``code`` is stable."""

    code = "hearth_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(HearthError):
    """models.toml (or another setting) is invalid."""

    code = "config_invalid"


class ModelLoadError(HearthError):
    """A model could not be found or loaded."""

    code = "model_load_failed"


class BackendError(HearthError):
    """A model backend failed while answering."""

    code = "backend_failed"


class ToolError(HearthError):
    """Raised by a tool to report a failure the user should hear.

    >>> raise ToolError("Milk is not on your shopping list", "item_not_found")
    """

    code = "tool_error"


class ToolBlocked(HearthError):
    """Raised by a ``before_tool_call`` hook to refuse a call on purpose; the model hears the message.

    >>> raise ToolBlocked("The shopping list is read-only today")
    """

    code = "tool_blocked"


class PluginError(HearthError):
    """A plugin's hook failed (raised something other than what the hook allows): the plugin is
    blocked, ``hearth plugins`` shows why, and the call or step it was part of fails with this."""

    code = "plugin_error"
