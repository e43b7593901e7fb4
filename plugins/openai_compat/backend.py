"""OpenAI-compatible backend: a model served by any server that speaks OpenAI's chat API.

llama.cpp's ``llama-server``, vLLM, TensorRT-LLM's ``trtllm-serve``, LM Studio, LocalAI and
llama-cpp-python's ``python -m llama_cpp.server`` all do. The official ``openai`` client talks to
``base_url``; ``model`` is the server's model id. Every request carries the model's locked settings
(``temperature``, ``max_tokens``, ``seed``); nothing per request overrides them. ``load()`` checks
the server lists the model (``GET /models``) and pre-warms it with a one-token request.

Tool calling is native (``tools=``, streamed ``tool_calls`` deltas assembled by index) or injected
(schemas in the system prompt, calls read back by ``hearth.tooling.calls``). A model configured native
falls back to injected calls, with one warning per load, when the server refuses ``tools`` (a 400
that names tools, e.g. llama-server without ``--jinja``, vLLM without ``--enable-auto-tool-choice``)
or when the model ignores them and writes its calls as text.

Errors carry codes: ``openai_unreachable``, ``openai_unauthorized`` (401/403), ``model_missing``
(404, or not in ``/models``), ``context_length_exceeded``, ``reply_cut_off`` (finish_reason
``length``), ``openai_incomplete`` (a stream that ends without a finish_reason: llama-cpp-python's
server reports an over-long prompt that way), ``openai_timeout``, ``openai_disconnected``, ``openai_error``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from hearth import BackendError, CallRequest, Delta, Done, ModelConfig, ModelLoadError
from hearth.kit import HoldBack, Progress, ServerBackend, ToolsRefused, fn_schema, injected_messages

from .settings import OpenAISettings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
NO_KEY = "none"  # the client needs some key; servers started without one ignore it

# a 400 for a request with tools that is about the tools: the server (or this model) cannot take them
_NO_TOOLS = re.compile(r"tool|function.?call", re.I)
_CONTEXT = re.compile(r"context.?length|context window|maximum context|too many tokens|prompt is too long|"
                      r"exceeds? the (?:model's )?(?:context|maximum)", re.I)


def chat_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hearth's messages in OpenAI's shape: calls with ids and JSON-string arguments, results by id."""
    out: list[dict[str, Any]] = []
    pending: list[str] = []  # ids of the last assistant message's calls, for results without one
    for m in messages:
        role = m["role"]
        if role == "assistant" and m.get("tool_calls"):
            calls = []
            pending = []
            for i, c in enumerate(m["tool_calls"]):
                call_id = c.get("id") or f"call_{len(out)}_{i}"
                pending.append(call_id)
                calls.append({"id": call_id, "type": "function", "function": {
                    "name": c["name"], "arguments": json.dumps(c.get("arguments") or {}, ensure_ascii=False)}})
            # content "" rather than null: some servers (llama-cpp-python's) require a string
            out.append({"role": "assistant", "content": m.get("content") or "", "tool_calls": calls})
        elif role == "tool":
            call_id = m.get("tool_call_id") or (pending.pop(0) if pending else "call_0")
            out.append({"role": "tool", "tool_call_id": call_id, "content": m.get("content") or ""})
        else:
            out.append({"role": role, "content": m.get("content") or ""})
    return out


@dataclass
class _Call:
    """One native call assembled from streamed ``tool_calls`` deltas."""

    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)

    def request(self) -> CallRequest:
        text = "".join(self.arguments).strip()
        try:
            args = json.loads(text) if text else {}
        except json.JSONDecodeError:
            return CallRequest(self.name, id=self.id, raw=f"{self.name}({text})")
        if not isinstance(args, dict):
            return CallRequest(self.name, id=self.id, raw=f"{self.name}({text})")
        return CallRequest(self.name, args, id=self.id)



@dataclass
class _Round:
    """What one round's chunks said: native calls assembled by index, text (held back while it may
    be an injected call), the finish reason and the token usage."""

    hold: HoldBack | None
    calls: dict[int, _Call] = field(default_factory=dict)
    finish: str | None = None
    usage: Any = None
    sent_any: bool = False

    def read(self, chunk: Any) -> list[str]:
        """Take one chunk; the text to show now."""
        shown: list[str] = []
        if getattr(chunk, "usage", None):
            self.usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            for tc in delta.tool_calls or []:
                self.sent_any = True
                call = self.calls.setdefault(tc.index if tc.index is not None else len(self.calls), _Call())
                call.id = tc.id or call.id
                if tc.function is not None:
                    call.name = call.name or tc.function.name or ""
                    if tc.function.arguments:
                        call.arguments.append(tc.function.arguments)
            piece = delta.content or ""
            if piece and (text := self.hold.feed(piece) if self.hold else piece):
                self.sent_any = True
                shown.append(text)
            if choice.finish_reason:
                self.finish = choice.finish_reason
        return shown

    def outcome(self, native: bool, fall_back: Any) -> list[Any]:
        """The calls (native ones, else those written as text) and the text held back at the end."""
        out: list[Any] = [call.request() for _i, call in sorted(self.calls.items())]
        if self.hold is not None:
            found, rest = self.hold.finish()
            if found and native and not self.calls:
                fall_back("the model wrote its calls as text instead of using the tools API")
            out.extend(found if not self.calls else [])
            if rest:
                out.append(Delta(rest))
        return out


class OpenAIBackend(ServerBackend):
    """One ``[models.NAME]`` table with ``backend = "openai"``; ``model`` is the server's model id."""

    settings = OpenAISettings

    def __init__(self, name: str, config: ModelConfig) -> None:
        super().__init__(name, config)
        s: OpenAISettings = config.backend_settings
        self.base_url = s.base_url.rstrip("/")
        self.opts = s
        self._client: Any = None
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self.listed: list[str] | None = None  # the server's model ids, from load()

    # ---- client ------------------------------------------------------------------------------------

    def api_key(self) -> str:
        env = self.opts.api_key_env
        if not env:
            return NO_KEY
        key = os.environ.get(env)
        if not key:
            raise ModelLoadError(f"[models.{self.name}] reads its API key from ${env}, which is not set; "
                                 f"export {env}=... where Hearth runs", "api_key_missing")
        return key

    def client(self) -> Any:
        if self._client is None:
            try:
                import httpx
                import openai
            except ImportError as err:
                raise ModelLoadError("the openai client is not installed: pip install 'hearth[openai]'",
                                     "backend_missing") from err
            self._client = openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key(), max_retries=0,
                                              timeout=httpx.Timeout(self.opts.timeout, connect=CONNECT_TIMEOUT))
        return self._client

    def request_options(self) -> dict[str, Any]:
        """The locked settings sent with every request."""
        c = self.config
        return {"temperature": c.temperature, "max_tokens": c.max_tokens, "seed": c.seed}

    def _translate(self, err: BaseException, during: str) -> BaseException:
        """An exception of the client or of httpx as a HearthError that says what to do.

        ``during``: ``"load"`` (ModelLoadError) or ``"answer"`` (BackendError)."""
        import httpx
        import openai
        cls = ModelLoadError if during == "load" else BackendError
        model, table = self.config.model, f"[models.{self.name}]"
        if isinstance(err, openai.APITimeoutError):
            return cls(f"the server at {self.base_url} sent nothing for {self.opts.timeout:g} s while "
                       f"{'loading' if during == 'load' else 'answering with'} {model!r}; raise timeout in "
                       f"{table} if it is still loading", "openai_timeout")
        if isinstance(err, openai.APIConnectionError):
            cause = err.__cause__
            if during == "answer" and isinstance(cause, httpx.TransportError) and not isinstance(
                    cause, (httpx.ConnectError, httpx.ConnectTimeout)):
                return BackendError(f"the connection to the server at {self.base_url} broke while answering "
                                    f"({type(cause).__name__}); is it still running?", "openai_disconnected")
            return cls(f"cannot reach the OpenAI-compatible server at {self.base_url}; start it, or fix "
                       f"base_url in {table}", "openai_unreachable")
        if isinstance(err, (openai.AuthenticationError, openai.PermissionDeniedError)):
            key = f"the key in ${self.opts.api_key_env}" if self.opts.api_key_env else "no API key"
            return cls(f"the server at {self.base_url} refused {key} (HTTP {err.status_code}); set api_key_env "
                       f"in {table} to the variable holding the key it was started with", "openai_unauthorized")
        if isinstance(err, openai.NotFoundError):
            return self._missing(f"HTTP 404: {self._detail(err)}", cls)
        if isinstance(err, openai.APIStatusError):
            detail = self._detail(err)
            code = getattr(err, "code", None)
            if code == "context_length_exceeded" or _CONTEXT.search(detail):
                return BackendError(f"the conversation is longer than {model!r} takes on {self.base_url} "
                                    f"({detail}); start a new session, or serve the model with a longer context",
                                    "context_length_exceeded")
            doing = "to load" if during == "load" else "while answering with"
            return cls(f"the server at {self.base_url} failed {doing} {model!r}: {detail} (HTTP "
                       f"{err.status_code}); its log says why", "openai_error")
        if isinstance(err, httpx.TransportError):  # raised by the stream itself, unwrapped
            return BackendError(f"the connection to the server at {self.base_url} broke while answering "
                                f"({type(err).__name__}); is it still running?", "openai_disconnected")
        if isinstance(err, openai.APIError):
            return cls(f"the server at {self.base_url} sent an error for {model!r}: {err.message}", "openai_error")
        return err

    @staticmethod
    def _detail(err: Any) -> str:
        body = getattr(err, "body", None)
        if isinstance(body, dict):
            inner = body.get("error", body)
            msg = inner.get("message") if isinstance(inner, dict) else inner
            if msg:
                return str(msg)
        return str(getattr(err, "message", err))

    def _missing(self, detail: str, cls: type = ModelLoadError) -> Exception:
        listed = f"; it serves: {', '.join(self.listed)}" if self.listed else ""
        return cls(f"the server at {self.base_url} has no model {self.config.model!r} ({detail}){listed}; set "
                   f"model in [models.{self.name}] to one of its ids (GET {self.base_url}/models)", "model_missing")

    # ---- Backend -----------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def list_models(self) -> list[str] | None:
        """The server's model ids (None: the server has no ``/models``)."""
        import openai
        try:
            page = await self.client().models.list()
        except openai.NotFoundError:
            return None
        return [m.id async for m in page]

    async def load(self, progress: Progress | None = None) -> None:
        async with self._load_lock:
            if self._loaded:
                return
            cfg = self.config
            if progress:
                progress(f"asking {self.base_url} for {cfg.model}", None)
            try:
                self.listed = await self.list_models()
                if self.listed is not None and cfg.model not in self.listed:
                    raise self._missing("not in its model list")
                if progress:
                    progress(f"warming {cfg.model} up", None)
                await self.client().chat.completions.create(
                    model=cfg.model, messages=[{"role": "user", "content": "Hi"}],
                    **{**self.request_options(), "max_tokens": 1})
            except ModelLoadError:
                raise
            except Exception as err:
                self._reraise(err, "load")
            self._loaded = True

    def _request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], native: bool) -> tuple[dict[str, Any], bool]:
        """The request's keyword arguments, and whether it streams. ``native``: the server's own tool
        calls; otherwise the injected syntax."""
        kwargs: dict[str, Any] = self.request_options()
        if native:
            kwargs["messages"] = chat_messages(messages)
            if tools:  # "auto" said aloud: llama-cpp-python's server ignores tools without it
                kwargs.update(tools=[{"type": "function", "function": fn_schema(t)} for t in tools], tool_choice="auto")
        else:
            kwargs["messages"] = chat_messages(injected_messages(messages, tools))
        stream = not (native and bool(tools) and not self.opts.stream_tools)
        if stream:
            kwargs["stream_options"] = {"include_usage": True}
        return kwargs, stream

    async def round(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], native: bool) -> AsyncIterator[Any]:
        """One round. ``native``: the server's own tool calls; otherwise the injected syntax."""
        import openai
        kwargs, stream = self._request(messages, tools, native)
        # text is held back while it may be a call: the injected syntax, or a native model writing calls as text
        state = _Round(HoldBack({fn_schema(t)["name"] for t in tools}) if tools else None)
        resp: Any = None
        try:
            resp = await self.client().chat.completions.create(model=self.config.model, stream=stream, **kwargs)
            async for chunk in (resp if stream else _as_chunks(resp)):
                for shown in state.read(chunk):
                    yield Delta(shown)
        except openai.BadRequestError as err:
            detail = self._detail(err)
            if native and tools and not state.sent_any and _NO_TOOLS.search(detail) and not _CONTEXT.search(detail):
                raise ToolsRefused(detail) from err
            raise self._translate(err, "answer") from err
        except Exception as err:
            self._reraise(err, "answer")
        finally:
            if stream and resp is not None:
                await resp.close()
        self._check_finish(state.finish)
        for item in state.outcome(native, self.fall_back):
            yield item
        yield Done(self._stats(state.usage))

    def _check_finish(self, finish: str | None) -> None:
        """An answer that broke off (no finish_reason) or was cut off at max_tokens is an error."""
        cfg = self.config
        if finish is None:  # every OpenAI-style answer ends with a finish_reason; this one broke off
            raise BackendError(f"the server at {self.base_url} ended the answer of {cfg.model!r} without finishing "
                               "it (no finish_reason); its log says why (a prompt longer than its context, "
                               "for one)", "openai_incomplete")
        if finish == "length":
            raise BackendError(f"the reply of {cfg.model!r} was cut off at max_tokens = {cfg.max_tokens}; raise "
                               f"max_tokens in [models.{self.name}], or ask for something shorter", "reply_cut_off")

    @staticmethod
    def _stats(usage: Any) -> dict[str, Any]:
        if usage is None:
            return {}
        stats = {"prompt_tokens": usage.prompt_tokens or 0, "completion_tokens": usage.completion_tokens or 0}
        cached = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", None)
        if cached:
            stats["cached_tokens"] = cached
        return stats

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        self._loaded = False

    def info(self) -> dict[str, Any]:
        d = super().info()
        d.update({"base_url": self.base_url, "model": self.config.model, "tool_calling": self.tool_calling,
                  "options": self.request_options()})
        return d


async def _as_chunks(resp: Any) -> AsyncIterator[Any]:
    """A whole (non-streamed) completion as one chunk-like object, so one loop reads both."""
    from openai.types.chat import ChatCompletionChunk

    choices = []
    for c in resp.choices:
        msg = c.message
        tool_calls = [{"index": i, "id": tc.id, "type": "function",
                       "function": {"name": tc.function.name, "arguments": tc.function.arguments}}
                      for i, tc in enumerate(msg.tool_calls or [])]
        choices.append({"index": c.index, "finish_reason": c.finish_reason,
                        "delta": {"role": "assistant", "content": msg.content, "tool_calls": tool_calls or None}})
    yield ChatCompletionChunk.model_validate({"id": resp.id, "object": "chat.completion.chunk", "created": resp.created,
                                             "model": resp.model, "choices": choices,
                                             "usage": resp.usage.model_dump() if resp.usage else None})
