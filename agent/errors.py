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


class PluginError(HearthError):
    """A plugin could not be loaded or misbehaved."""

    code = "plugin_error"


class EmptyMessageError(HearthError):
    code = "empty_message"
