"""The types the hooks take and give (``hearth.hookspecs`` re-exports them): the ``register``
callables of the registration hooks, and the shapes of ``before_tool_call``'s call and
``match_intent``'s answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, Protocol, TypedDict

from pydantic import BaseModel

if TYPE_CHECKING:
    from hearth.backends import Backend
    from hearth.config import ModelConfig
    from hearth.voice.speech import SpeechToText, SttConfig, TextToSpeech, TtsConfig


class RegisterBackend(Protocol):
    """``register_backends``'s ``register``: ``register(name, factory)``."""
    def __call__(self, name: str, factory: Callable[[str, ModelConfig], Backend]) -> None: ...


class RegisterStt(Protocol):
    """``register_stt``'s ``register``: ``register(name, factory)``."""
    def __call__(self, name: str, factory: Callable[[SttConfig], SpeechToText]) -> None: ...


class RegisterTts(Protocol):
    """``register_tts``'s ``register``: ``register(name, factory)``."""
    def __call__(self, name: str, factory: Callable[[TtsConfig], TextToSpeech]) -> None: ...


class RegisterSentences(Protocol):
    """``register_sentences``'s ``register``: ``register(folder)``."""
    def __call__(self, folder: Path) -> None: ...


class RegisterSettings(Protocol):
    """``register_settings``'s ``register``: ``register(table, model)``."""
    def __call__(self, table: str, model: type[BaseModel]) -> None: ...


class ToolCall(TypedDict):
    """A validated call as ``before_tool_call`` sees it."""
    id: str
    name: str
    arguments: dict[str, Any]


class IntentCall(TypedDict):
    """What ``match_intent`` returns to call a tool without a model."""
    name: str
    arguments: dict[str, Any]
    reason: NotRequired[str]  # a few words the ``routed`` event shows
