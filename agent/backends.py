"""The model backend interface: messages and tool schemas in, deltas and tool calls out.

A backend knows nothing of sessions, storage, voice or sockets (the lowest layer speaks
primitives), so each can be tested alone. Backends are registered by plugins through
``register_backends``; one backend object serves one ``[models.NAME]`` table.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from .config import ModelConfig


@dataclass(frozen=True)
class Delta:
    """A piece of reply text."""

    text: str


@dataclass(frozen=True)
class CallRequest:
    """The model asks for a tool. ``arguments`` is a dict (or a raw string the backend could not parse)."""

    name: str
    arguments: Any
    id: str | None = None


@dataclass(frozen=True)
class Done:
    """The backend finished this round; ``stats`` holds token counts and timings (ms)."""

    stats: dict[str, Any] = field(default_factory=dict)


BackendEvent = Delta | CallRequest | Done
Progress = Callable[[str, float | None], None]  # (what, fraction 0..1 or None)


class Backend(abc.ABC):
    """One configured model. Subclasses load weights in ``load()`` and answer in ``chat()``."""

    def __init__(self, name: str, config: ModelConfig) -> None:
        self.name = name
        self.config = config

    @property
    @abc.abstractmethod
    def loaded(self) -> bool: ...

    @abc.abstractmethod
    async def load(self, progress: Progress | None = None) -> None:
        """Load (and pre-warm) the model off the event loop; idempotent."""

    @abc.abstractmethod
    def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[BackendEvent]:
        """Answer one round: stream ``Delta``s and ``CallRequest``s, then one ``Done``.

        ``messages`` are OpenAI-style dicts (system/user/assistant/tool); ``tools`` are
        OpenAI-style function schemas, which may carry Hearth's ``examples`` and
        ``slot_values`` keys beside ``function``.
        """

    async def close(self) -> None:
        """Free the model."""

    def count_tokens(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int | None:
        """Tokens of the prompt these messages and tools make for this model (None: unknown).

        Used for the context budget (``hearth models``); may read the tokenizer without loading
        the weights. Blocking: call it from a thread."""
        return None

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "backend": self.config.backend, "loaded": self.loaded}
