"""The model backend interface: messages and tool schemas in, deltas and tool calls out.

A backend knows nothing of sessions, storage, voice or sockets (the lowest layer speaks
primitives), so each can be tested alone. Backends are registered by plugins through
``register_backends``; one backend object serves one ``[models.NAME]`` table.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel

from hearth.config import ModelConfig, ModelsFile, Roles, bind_backend_settings

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Delta:
    """A piece of reply text."""

    text: str


@dataclass(frozen=True)
class CallRequest:
    """The model asks for a tool.

    ``arguments`` are the named arguments; ``positional`` holds values given without a name
    (``add("bread", 2)``), which the core binds to the tool's parameters in schema order. ``raw``
    is set, with no arguments, when the backend saw a call to this tool but could not read it: the
    core then answers the model with what is wrong, so it can try again.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    positional: tuple[Any, ...] = ()
    raw: str | None = None


@dataclass(frozen=True)
class Done:
    """The backend finished this round; ``stats`` holds token counts and timings (ms)."""

    stats: dict[str, Any] = field(default_factory=dict)


BackendEvent = Delta | CallRequest | Done


def settings_model(factory: Callable[..., Any]) -> type[BaseModel] | None:
    """The settings model a registered backend factory declares (its ``settings`` attribute)."""
    found = getattr(factory, "settings", None)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def settings_models(factories: Mapping[str, Callable[..., Any]]) -> dict[str, type[BaseModel] | None]:
    """Backend name -> settings model, for :func:`hearth.config.load_models`' ``backends``."""
    return {name: settings_model(f) for name, f in factories.items()}
Progress = Callable[[str, float | None], None]  # (what, fraction 0..1 or None)


class Backend(abc.ABC):
    """One configured model. Subclasses load weights in ``load()`` and answer in ``chat()``.

    ``settings``: the pydantic model of the backend's own ``models.toml`` keys (declare it with
    ``extra="forbid"``); the validated instance reaches the backend as ``config.backend_settings``.
    None: the backend takes only the common keys of :class:`hearth.ModelConfig`.
    """

    settings: ClassVar[type[BaseModel] | None] = None

    def __init__(self, name: str, config: ModelConfig) -> None:
        self.name = name
        self.config = config
        if config.backend_settings is None and (self.settings is not None or config.backend_keys()):
            # built outside a model pool (doctor, tests): validate the backend's own keys here
            bind_backend_settings(ModelsFile(roles=Roles(main=name), models={name: config}),
                                  {config.backend: self.settings}, "models.toml")

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
        ``slot_values`` keys beside ``function``. A backend without native calls reads them
        out of its text with ``hearth.tooling.calls`` (``HoldBack``). Closing the iterator early
        (a cancelled turn) must stop the generation and free the model promptly.
        """

    async def prepare(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> None:  # noqa: B027
        """Get ready to answer turns that start with these messages and tools (optional): fill the
        caches the first turn would otherwise fill. Called by the agent after each load; a failure
        is logged, never a failed load."""

    async def close(self) -> None:  # noqa: B027 (optional: a backend without resources keeps it)
        """Free the model."""

    def count_tokens(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int | None:
        """Tokens of the prompt these messages and tools make for this model (None: unknown).

        Used for the context budget (``hearth models``); may read the tokenizer without loading
        the weights. Blocking: call it from a thread."""
        return None

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "backend": self.config.backend, "loaded": self.loaded}


class ToolsRefused(Exception):
    """A server refused native tool calls for this model, before any output (e.g. an HTTP 400 "does not
    support tools"); :class:`ServerBackend` then falls back to injected calls."""


class ServerBackend(Backend):
    """A backend whose server may or may not take native tool calls for a model (Ollama, an
    OpenAI-compatible server). It asks natively when ``tool_calling = "native"``; when the server
    refuses (``round`` raises :class:`ToolsRefused`) or the model answers natively in text, it falls
    back to injected calls for good, warning once. Subclasses write one ``round``."""

    server_name: ClassVar[str] = "the server"  # who refused, in the fallback warning

    def __init__(self, name: str, config: ModelConfig) -> None:
        super().__init__(name, config)
        self.tool_calling = config.tool_calling  # what is used now; "inject" after a fallback
        self.fallback_reason: str | None = None

    @abc.abstractmethod
    def round(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
              native: bool) -> AsyncIterator[BackendEvent]:
        """One round: ``native``, the server's own tool calls (raise :class:`ToolsRefused` before any
        output if it refuses them); otherwise the injected syntax through ``hearth.tooling.calls``."""

    def _translate(self, err: BaseException, during: str) -> BaseException:
        """``err`` (raised while ``during`` "load" or "answer") as the backend's coded error; ``err``
        itself when it has none. Subclasses map their client library's errors."""
        return err

    def _reraise(self, err: BaseException, during: str) -> NoReturn:
        """Raise ``err`` as the backend's coded error (:meth:`_translate`), or as it is."""
        translated = self._translate(err, during)
        if translated is err:
            raise err
        raise translated from err

    def fall_back(self, why: str) -> None:
        """From now on inject the tool schemas for this model; says so once."""
        if self.tool_calling == "inject":
            return
        self.tool_calling = "inject"
        self.fallback_reason = why
        log.warning("[models.%s] %s does not support native tool calls (%s); Hearth injects the tool schemas "
                    "into the prompt instead. Set tool_calling = \"inject\" in models.toml to say so and "
                    "silence this warning.", self.name, self.config.model, why)

    async def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[BackendEvent]:
        if not self.loaded:
            await self.load()
        if self.tool_calling == "native":
            try:
                async for ev in self.round(messages, tools, native=True):
                    yield ev
                return
            except ToolsRefused as refused:
                self.fall_back(f"{self.server_name} answered: {refused}")
        async for ev in self.round(messages, tools, native=False):
            yield ev

    def info(self) -> dict[str, Any]:
        d = super().info()
        if self.fallback_reason:
            d["tool_calling_fallback"] = self.fallback_reason
        return d
