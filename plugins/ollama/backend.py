"""Ollama backend: a model served by an Ollama server, through the official ``ollama`` client.

The server is ``$OLLAMA_HOST`` (the client's own default handling: ``127.0.0.1:11434``). Every
request carries the model's locked settings from models.toml as Ollama options: ``num_gpu``,
``num_ctx`` (from ``n_ctx``), ``keep_alive``, and ``temperature`` / ``seed`` / ``num_predict``
(from ``max_tokens``); nothing per request overrides them. ``load()`` checks the model is pulled
(``/api/show``, which also says whether it takes tools) and pre-warms it with an empty chat
request, so the first turn does not wait for the weights.

Tool calling is native (``tools=`` and the streamed ``message.tool_calls``) or injected (schemas in
the system prompt, calls read back by ``hearth.tooling.calls``). A model configured native that
Ollama says "does not support tools" falls back to injected calls with a warning, once per load.

``close()`` frees the client only: the server keeps the model for its ``keep_alive``, so the next
``hearth chat`` finds it warm.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hearth import BackendError, CallRequest, Delta, Done, ModelConfig, ModelLoadError
from hearth.kit import HoldBack, Progress, ServerBackend, ToolsRefused, fn_schema, injected_messages

__version__ = "0.1.0"
log = logging.getLogger(__name__)

# Seconds to wait for the server to accept a connection, and for each chunk of an answer (a
# first answer may wait for the weights to load: minutes on a Jetson's SD card).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = float(os.environ.get("HEARTH_OLLAMA_TIMEOUT", "600"))

_NO_TOOLS = re.compile(r"does not support tools", re.I)
_BAD_TOOL_CALL = re.compile(r"error parsing tool call", re.I)
_NO_MEMORY = re.compile(r"requires more (system )?memory|out of memory|cudaMalloc failed", re.I)


def keep_alive_value(cfg: ModelConfig) -> int | float:
    """models.toml's ``keep_alive`` as Ollama reads it: seconds, negative for forever."""
    seconds = cfg.keep_alive_seconds
    if seconds < 0:
        return -1
    return int(seconds) if float(seconds).is_integer() else seconds


def ollama_options(cfg: ModelConfig) -> dict[str, Any]:
    """The Ollama ``options`` of every request for this model (the locked settings)."""
    opts = {"num_gpu": cfg.num_gpu, "num_ctx": cfg.n_ctx, "temperature": cfg.temperature, "seed": cfg.seed,
            "num_predict": cfg.max_tokens}
    if getattr(cfg, "gpu_id", None) is not None:
        opts["main_gpu"] = cfg.gpu_id
    return opts


def native_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hearth's messages in Ollama's shape: calls as ``{"function": {...}}``, results by ``tool_name``."""
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m["role"]
        if role == "assistant" and m.get("tool_calls"):
            calls = [{"function": {"name": c["name"], "arguments": c.get("arguments") or {}}} for c in m["tool_calls"]]
            out.append({"role": "assistant", "content": m.get("content") or "", "tool_calls": calls})
        elif role == "tool":
            out.append({"role": "tool", "content": m.get("content") or "", "tool_name": m.get("name") or ""})
        else:
            out.append({"role": role, "content": m.get("content") or ""})
    return out


class OllamaSettings(BaseModel):
    """The Ollama backend's own keys of a ``[models.NAME]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = Field(None, description="Ollama server for this model (default: $OLLAMA_HOST, else 127.0.0.1:11434)")


class OllamaBackend(ServerBackend):
    """One ``[models.NAME]`` table with ``backend = "ollama"``; ``model`` is the Ollama tag."""

    server_name = "Ollama"

    settings = OllamaSettings

    def __init__(self, name: str, config: ModelConfig) -> None:
        super().__init__(name, config)
        self.host_setting: str | None = config.backend_settings.host  # a per-model host, if models.toml has one
        self._client: Any = None
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self.capabilities: list[str] | None = None

    # ---- client ------------------------------------------------------------------------------------

    def client(self) -> Any:
        if self._client is None:
            try:
                import httpx
                import ollama
            except ImportError as err:
                raise ModelLoadError("the ollama client is not installed: pip install 'hearth[ollama]'",
                                     "backend_missing") from err
            self._client = ollama.AsyncClient(host=self.host_setting,
                                              timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT))
        return self._client

    @property
    def host(self) -> str:
        """The server's URL as the client resolved it (``$OLLAMA_HOST`` or its default)."""
        return str(self.client()._client.base_url).rstrip("/")

    def _unreachable(self, err: BaseException, cls: type = BackendError) -> Exception:
        return cls(f"cannot reach the Ollama server at {self.host}; start it with "
                   "`ollama serve`, or set OLLAMA_HOST to where it runs", "ollama_unreachable")

    def _not_pulled(self, detail: str) -> ModelLoadError:
        m = self.config.model
        return ModelLoadError(f"the Ollama server at {self.host} has no model {m!r} ({detail}); pull it with "
                              f"`ollama pull {m}`", "model_missing")

    def _translate(self, err: BaseException, during: str) -> BaseException:
        """An exception of the client or of httpx as a HearthError that says what to do.

        ``during``: ``"load"`` (ModelLoadError) or ``"answer"`` (BackendError)."""
        import httpx
        import ollama
        import pydantic
        if isinstance(err, (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout)):
            return self._unreachable(err, ModelLoadError if during == "load" else BackendError)
        if isinstance(err, ollama.ResponseError):
            status = f"HTTP {err.status_code}" if err.status_code > 0 else "in the stream"
            if err.status_code == 404:
                return self._not_pulled(err.error)
            if _BAD_TOOL_CALL.search(err.error):
                return BackendError(
                    f"Ollama could not parse the tool call model {self.config.model!r} wrote ({err.error}, {status}); "
                    f"ask again, or set tool_calling = \"inject\" in [models.{self.name}] so Hearth reads the calls "
                    "itself", "tool_call_malformed")
            cls = ModelLoadError if during == "load" else BackendError
            if _NO_MEMORY.search(err.error):
                return cls(f"Ollama has too little memory for model {self.config.model!r} ({err.error}, {status}); "
                           f"lower n_ctx (now {self.config.n_ctx}) in [models.{self.name}], unload other models "
                           "(`ollama ps`, `ollama stop NAME`), or pick a smaller quantization", "out_of_memory")
            doing = "to load" if during == "load" else "while answering with"
            return cls(f"Ollama failed {doing} model {self.config.model!r}: {err.error} ({status}); its log "
                       "(`journalctl -u ollama` or the `ollama serve` output) says why", "ollama_error")
        if isinstance(err, pydantic.ValidationError):
            return BackendError(f"the Ollama server at {self.host} sent a reply the client cannot read "
                                f"({err.error_count()} problem(s), first: {err.errors()[0]['msg']}); "
                                "update Ollama or the ollama package", "ollama_bad_response")
        if isinstance(err, httpx.TimeoutException):
            return BackendError(f"the Ollama server at {self.host} sent nothing for {READ_TIMEOUT:.0f} s while "
                                f"{'loading' if during == 'load' else 'answering with'} {self.config.model!r}; raise HEARTH_OLLAMA_TIMEOUT if it is still loading",
                                "ollama_timeout")
        if isinstance(err, httpx.TransportError):
            return BackendError(f"the connection to the Ollama server at {self.host} broke while "
                                f"{'loading' if during == 'load' else 'answering'} ({type(err).__name__}: {err}); is `ollama serve` still running?", "ollama_disconnected")
        return err

    # ---- Backend -----------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def load(self, progress: Progress | None = None) -> None:
        async with self._load_lock:
            if self._loaded:
                return
            cfg = self.config
            client = self.client()
            if cfg.kv_cache != "f16" or cfg.flash_attn:
                log.warning("[models.%s]: kv_cache and flash_attn are Ollama server settings; set "
                            "OLLAMA_KV_CACHE_TYPE=%s and OLLAMA_FLASH_ATTENTION=%d where `ollama serve` runs",
                            self.name, cfg.kv_cache, int(cfg.flash_attn))
            if progress:
                progress(f"asking Ollama at {self.host} for {cfg.model}", None)
            try:
                show = await client.show(cfg.model)
                self.capabilities = list(show.capabilities) if show.capabilities is not None else None
                if cfg.tool_calling == "native" and self.capabilities is not None and "tools" not in self.capabilities:
                    self.fall_back(f"Ollama lists its capabilities as {', '.join(self.capabilities)}, without tools")
                if keep_alive_value(cfg) != 0:  # keep_alive 0 would unload it again at once
                    if progress:
                        progress(f"loading {cfg.model} in Ollama", None)
                    await client.chat(model=cfg.model, messages=[], options=ollama_options(cfg),
                                      keep_alive=keep_alive_value(cfg))
            except Exception as err:
                self._reraise(err, "load")
            self._loaded = True

    async def round(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], native: bool) -> AsyncIterator[Any]:
        """One round. ``native``: Ollama's own tool calls; otherwise the injected syntax."""
        import ollama
        cfg = self.config
        kwargs: dict[str, Any] = {}
        if native:
            kwargs["messages"] = native_messages(messages)
            if tools:
                kwargs["tools"] = [{"type": "function", "function": fn_schema(t)} for t in tools]
        else:
            kwargs["messages"] = native_messages(injected_messages(messages, tools))
        inject = bool(tools) and not native
        hold = HoldBack({fn_schema(t)["name"] for t in tools})
        sent_any = False
        final: Any = None
        stream: Any = None
        try:
            stream = await self.client().chat(model=cfg.model, stream=True, options=ollama_options(cfg),
                                              keep_alive=keep_alive_value(cfg), **kwargs)
            async for part in stream:
                msg = part.message
                # calls come in a done=false chunk (Ollama's docs) or in the final one (qwen3-coder)
                for tc in (msg.tool_calls or []) if native else []:
                    sent_any = True
                    yield CallRequest(tc.function.name, dict(tc.function.arguments))
                piece = msg.content or ""
                if piece and (shown := hold.feed(piece) if inject else piece):
                    sent_any = True
                    yield Delta(shown)
                if part.done:
                    final = part
        except ollama.ResponseError as err:
            if native and tools and not sent_any and err.status_code == 400 and _NO_TOOLS.search(err.error):
                raise ToolsRefused(err.error) from err
            raise self._translate(err, "answer") from err
        except Exception as err:
            self._reraise(err, "answer")
        finally:
            if stream is not None and hasattr(stream, "aclose"):
                await stream.aclose()
        if inject:
            calls, rest = hold.finish()
            for c in calls:
                yield c
            if rest:
                yield Delta(rest)
        yield Done(self._stats(final))

    @staticmethod
    def _stats(final: Any) -> dict[str, Any]:
        if final is None:
            return {}
        ms = lambda ns: round((ns or 0) / 1e6, 1)  # noqa: E731
        return {"prompt_tokens": final.prompt_eval_count or 0, "completion_tokens": final.eval_count or 0,
                "prompt_eval_ms": ms(final.prompt_eval_duration), "load_ms": ms(final.load_duration),
                "model_ms": ms(final.total_duration)}

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        self._loaded = False

    def info(self) -> dict[str, Any]:
        d = super().info()
        d.update({"host": self.host, "model": self.config.model, "tool_calling": self.tool_calling,
                  "capabilities": self.capabilities, "keep_alive": keep_alive_value(self.config),
                  "options": ollama_options(self.config)})
        return d
