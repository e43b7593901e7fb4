"""The llama.cpp backend: one GGUF model loaded once per process.

One lock per loaded model; generation runs in a thread and streams deltas back to the event loop.
Tool calling is native (the GGUF's own chat template with ``tools``, calls read back from its
``<tool_call>`` blocks) or injected (schemas and examples in the prompt, a grammar built from the
schemas, calls read back by ``hearth.tooling.calls``). Closing the reply (a cancelled turn) stops the
generation at the next token on every path and frees the model.

A base model (a GGUF without a chat template) never writes free prose to the user: it says a fixed
sentence instead (``fixed_replies.no_prose``). Loading (the model file's checks, the GPU plan, the
retries with fewer GPU layers when memory runs out) is ``loading``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from hearth import Backend, BackendError, CallRequest, Delta, Done, ModelConfig, ModelLoadError
from hearth.kit import HoldBack, Progress, fn_schema, parse_calls

from .fixed_replies import CANT, is_free_string, no_prose
from .grammar import grammar_for, request_numbers, request_spans
from .loading import KV_TYPES, checked_model_file, gpu_plan, open_model
from .model_files import resolve_model
from .prompt import build_prompt, chat_formatter
from .ranker import ToolRanker
from .settings import LlamaCppSettings
from .workarounds import quiet_llama_logs

log = logging.getLogger("hearth.plugins.llamacpp")

Put = Callable[[Any], None]
__all__ = ["CANT", "LlamaCppBackend", "is_free_string", "no_prose"]


class LlamaCppBackend(Backend):
    """One GGUF model loaded once per process."""

    settings = LlamaCppSettings

    DELTA_INTERVAL = 0.05  # seconds between streamed text events

    def __init__(self, name: str, config: ModelConfig) -> None:
        super().__init__(name, config)
        self.llm: Any = None
        self.path: Path | None = None
        self._lock = threading.Lock()  # one generation at a time per model
        self._load_lock = asyncio.Lock()
        self._formatter: Any = None
        self._ranker: ToolRanker | None = None
        self.plan: Any = None  # the GPU plan of the last load (hearth.gpu.Plan), if one was made
        self.trimmed = 0  # history messages the last prompt left out to fit n_ctx

    @property
    def options(self) -> LlamaCppSettings:
        """This model's llama.cpp keys of models.toml."""
        return self.config.backend_settings

    @property
    def loaded(self) -> bool:
        return self.llm is not None

    async def load(self, progress: Progress | None = None) -> None:
        async with self._load_lock:
            if self.llm is None:
                await asyncio.to_thread(self._load_sync, progress)

    def _load_sync(self, progress: Progress | None) -> None:
        try:
            import llama_cpp
        except ImportError as err:
            raise ModelLoadError("llama-cpp-python is not installed: pip install llama-cpp-python", "backend_missing") from err
        quiet_llama_logs()
        cfg = self.config
        path = checked_model_file(self.name, cfg, progress)
        if progress:
            progress(f"loading {path.name}", None)
        kwargs: dict[str, Any] = {"n_ctx": cfg.n_ctx, "type_k": KV_TYPES[cfg.kv_cache], "type_v": KV_TYPES[cfg.kv_cache],
                                  "flash_attn": cfg.flash_attn, "swa_full": self.options.swa_full, "n_gpu_layers": 0}
        self.plan = None
        if cfg.num_gpu != 0 and llama_cpp.llama_supports_gpu_offload():
            self.plan, gpu = gpu_plan(self.name, cfg, self.options, path, progress)
            kwargs.update(gpu)
        self.llm = open_model(self.name, cfg, path, kwargs, self.plan, progress)
        self.path = path
        self.n_gpu_layers = kwargs["n_gpu_layers"]
        self._formatter = chat_formatter(self.llm, self.options.chat_format)
        if progress:
            progress("warming up", None)
        self.llm.eval(self.llm.tokenize(b"Hello", add_bos=True))  # pre-warm: first eval allocates buffers
        self.llm.reset()

    def count_tokens(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
        """Prompt tokens of these messages and tools; reads only the vocabulary when not loaded."""
        if self.llm is not None:
            with self._lock:
                return len(self.tokenize_prompt(messages, tools)[0])
        import llama_cpp
        quiet_llama_logs()
        path = resolve_model(self.config.model)
        vocab = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
        try:
            self.llm, self._formatter = vocab, chat_formatter(vocab, self.options.chat_format)
            return len(self.tokenize_prompt(messages, tools)[0])
        finally:
            self.llm, self._formatter = None, None
            vocab.close()

    async def prepare(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> None:
        """Read the prompt that starts every turn (system prompt and injected tools) into the KV cache
        and, on the ranked path, the ranker's per-tool contexts: the first turn then costs what the
        next ones do."""
        if self.llm is not None:
            await asyncio.to_thread(self._prepare_sync, messages, tools)

    def _prepare_sync(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> None:
        with self._lock:
            if self.llm is None:
                return
            if tools and self.config.tool_calling == "inject" and self.options.tool_select == "rank":
                self._tool_ranker().prepare(tools)
            tokens, _ = self._fit([*messages, {"role": "user", "content": ""}], tools)
            self.llm.reset()
            self.llm.eval(tokens)

    async def close(self) -> None:
        if self.llm is not None:
            with self._lock:
                if self._ranker is not None:
                    self._ranker.close()
                    self._ranker = None
                self.llm.close()
                self.llm = None

    def info(self) -> dict[str, Any]:
        d = super().info()
        d.update({"path": str(self.path) if self.path else None, "chat_template": self._formatter is not None,
                  "n_gpu_layers": getattr(self, "n_gpu_layers", None),
                  "gpu_plan": self.plan.to_dict() if getattr(self, "plan", None) is not None else None})
        return d

    # ---- prompt building -----------------------------------------------------------------------

    def build_prompt(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[str, list[str], bool]:
        """(prompt, stop strings, the prompt ends in a special-token template)."""
        return build_prompt(self._formatter, self.config.tool_calling, messages, tools)

    def _fit(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
        """Tokenize, dropping the oldest whole turns of history until prompt + reply fit n_ctx.

        A turn is a user message and everything after it up to the next user message, so a tool
        result never loses the call it answers. Only the current request with the system prompt
        and tool schemas can fail to fit (``context_overflow``); a long history never does.
        """
        msgs = list(messages)
        self.trimmed = 0
        while True:
            tokens, stops = self.tokenize_prompt(msgs, tools)
            budget = self.config.n_ctx - self.config.max_tokens
            if len(tokens) <= budget:
                return tokens, stops
            users = [i for i, m in enumerate(msgs) if m["role"] == "user"]
            first = next((i for i, m in enumerate(msgs) if m["role"] != "system"), len(msgs))
            if len(users) <= 1 or users[-1] <= first:
                raise BackendError(f"the message and tool schemas need {len(tokens)} tokens, more than "
                                   f"n_ctx={self.config.n_ctx} minus max_tokens={self.config.max_tokens} "
                                   "allows; raise n_ctx in models.toml", "context_overflow")
            end = next(i for i in users if i > first)  # the start of the second-oldest turn
            self.trimmed += end - first
            del msgs[first:end]

    def tokenize_prompt(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
        prompt, stops, special = self.build_prompt(messages, tools)
        tokens = self.llm.tokenize(prompt.encode("utf-8"), add_bos=not prompt.startswith(("<bos>", "<s>", "<|")), special=special)
        return tokens, stops

    def _cached(self, tokens: list[int]) -> int:
        """How many leading prompt tokens llama.cpp will reuse from the KV cache (prefix match)."""
        held = self.llm.input_ids[: self.llm.n_tokens]
        n = 0
        for a, b in zip(held, tokens, strict=False):
            if a != b:
                break
            n += 1
        return n - 1 if n == len(tokens) and n else n

    # ---- generation ----------------------------------------------------------------------------

    async def chat(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[Any]:
        if self.llm is None:
            await self.load()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()  # set when the consumer goes away: generation stops at the next token

        pending: list[str] = []
        last = [0.0]

        def send(item: Any) -> None:
            if not cancel.is_set():
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def put(item: Any) -> None:
            # Coalesce text deltas to one wake-up of the event loop per 50 ms: waking it for
            # every token steals a core from llama.cpp's threads on a small machine.
            now = time.perf_counter()
            if isinstance(item, Delta):
                pending.append(item.text)
                if now - last[0] < self.DELTA_INTERVAL:
                    return
                item = Delta("".join(pending))
                pending.clear()
            elif pending:
                send(Delta("".join(pending)))
                pending.clear()
            last[0] = now
            send(item)

        def work() -> None:
            try:
                with self._lock:
                    self._generate(messages, tools, put, cancel)
            except BaseException as err:  # delivered to the awaiting side
                put(err)
            finally:
                put(StopAsyncIteration())

        thread = threading.Thread(target=work, name=f"llamacpp-{self.name}", daemon=True)
        thread.start()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, StopAsyncIteration):
                    break
                if isinstance(item, BaseException):
                    if isinstance(item, BackendError):
                        raise item
                    raise BackendError(f"llama.cpp failed: {type(item).__name__}: {item}") from item
                yield item
        finally:
            cancel.set()

    @property
    def is_base_model(self) -> bool:
        """A model without a chat template (and no chat_format): it continues text, it does not converse."""
        return self.llm is not None and not self.llm.metadata.get("tokenizer.chat_template") \
            and not self.options.chat_format

    def _say_no_prose(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], put: Put, t0: float,
                      extra: dict[str, Any] | None = None) -> None:
        put(no_prose(messages, tools))
        put(Done({"prompt_tokens": 0, "cached_tokens": 0, "completion_tokens": 0, "no_prose": 1, **(extra or {}),
                  "model_ms": round((time.perf_counter() - t0) * 1000, 1)}))

    def _tool_ranker(self) -> ToolRanker:
        if self._ranker is None:
            self._ranker = ToolRanker(self.llm, self.llm.n_threads_batch)
        return self._ranker

    def rank_tools(self, text: str, tools: list[dict[str, Any]]) -> tuple[str | None, dict[str, float]]:
        """The tool under whose examples the request is most likely (None: no tool fits), and the scores."""
        return self._tool_ranker().rank(text, tools)

    def _complete(self, tokens: list[int], cancel: threading.Event, **kwargs: Any) -> Any:
        """``create_completion`` that stops at the next token once ``cancel`` is set."""
        import llama_cpp
        cfg = self.config
        kwargs.setdefault("temperature", cfg.temperature)
        kwargs.setdefault("top_k", 40 if kwargs["temperature"] else 1)
        stop_on_cancel = llama_cpp.StoppingCriteriaList([lambda _ids, _logits: cancel.is_set()])
        return self.llm.create_completion(tokens, max_tokens=cfg.max_tokens, seed=cfg.seed,
                                          stopping_criteria=stop_on_cancel, **kwargs)

    def _generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], put: Put,
                  cancel: threading.Event) -> None:
        import llama_cpp
        cfg = self.config
        t0 = time.perf_counter()
        inject = bool(tools) and cfg.tool_calling == "inject"
        if inject and self.options.tool_select == "rank":
            return self._generate_ranked(messages, tools, put, t0, cancel)
        if not tools:
            if self.is_base_model:
                return self._say_no_prose(messages, tools, put, t0)
            tokens, stops = self._fit(messages, tools)
            return self._stream_text(tokens, stops, put, t0, cancel)
        base = self.is_base_model
        tokens, stops = self._fit(messages, tools)
        grammar = llama_cpp.LlamaGrammar.from_string(grammar_for(tools), verbose=False) if inject else None
        hold = HoldBack({fn_schema(t)["name"] for t in tools})
        cached = self._cached(tokens)
        n_out = 0
        first_ms = None
        for chunk in self._complete(tokens, cancel, stop=stops, stream=True, grammar=grammar):
            if cancel.is_set():
                return
            n_out += 1
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000
            if (shown := hold.feed(chunk["choices"][0]["text"])) and not base:
                put(Delta(shown))
        calls, rest = hold.finish()
        for c in calls:
            put(c)
        if base and not calls:  # a base model's text is not said: a fixed sentence instead
            put(no_prose(messages, tools))
        elif rest and not base:
            put(Delta(rest))
        put(Done({"prompt_tokens": len(tokens), "cached_tokens": cached, "trimmed_messages": self.trimmed,
                  "prompt_eval_ms": round(first_ms or 0.0, 1), "completion_tokens": n_out,
                  "model_ms": round((time.perf_counter() - t0) * 1000, 1)}))

    def _generate_ranked(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], put: Put, t0: float,
                         cancel: threading.Event) -> None:
        import llama_cpp
        user = next((m.get("content") or "" for m in reversed(messages) if m["role"] == "user"), "")
        if messages and messages[-1]["role"] == "tool":
            # the tools already answered this request: word a reply without tools
            if self.is_base_model:
                return self._say_no_prose(messages, [], put, t0)
            tokens, stops = self._fit(messages, [])
            return self._stream_text(tokens, stops, put, t0, cancel)
        name, _scores = self.rank_tools(user, tools)
        rank_ms = (time.perf_counter() - t0) * 1000
        if name is None:
            if self.is_base_model:  # no tool fits: a fixed sentence, never a base model's invented prose
                return self._say_no_prose(messages, tools, put, t0, {"rank_ms": round(rank_ms, 1)})
            tokens, stops = self._fit(messages, [])
            return self._stream_text(tokens, stops, put, t0, cancel, {"rank_ms": round(rank_ms, 1)})
        if cancel.is_set():
            return
        tool = next(t for t in tools if fn_schema(t)["name"] == name)
        props = (fn_schema(tool).get("parameters") or {}).get("properties") or {}
        call = CallRequest(name)
        n_out = 0
        cached = 0
        tokens = []
        if props:
            spans: dict[str, list[Any]] = {}
            require: set[str] = set()
            int_params = [p for p, ps in props.items() if ps.get("type") == "integer"]
            numbers = request_numbers(user)
            for p, ps in props.items():
                if is_free_string(ps):  # optional strings too: a name is copied from the request, never invented
                    spans[p] = request_spans(user)
                elif ps.get("type") == "integer" and numbers:
                    spans[p] = numbers
                    if len(int_params) == 1:  # a number the request states goes into the tool's one number
                        require.add(p)
            grammar = llama_cpp.LlamaGrammar.from_string(
                grammar_for(tools, only=name, spans=spans, args_only=True, require=require), verbose=False)
            prompt_tokens, _ = self._fit(messages, tools)
            head = self.llm.tokenize(f" [{name}(".encode(), add_bos=False, special=False)
            tokens = prompt_tokens + head
            cached = self._cached(tokens)
            out = self._complete(tokens, cancel, temperature=0.0, grammar=grammar)
            if cancel.is_set():
                return
            written = f"[{name}({out['choices'][0]['text']}"
            n_out = out["usage"]["completion_tokens"]
            calls, _ = parse_calls(written, {name})
            call = calls[0] if calls else CallRequest(name, raw=written)
        put(call)
        put(Done({"prompt_tokens": len(tokens), "cached_tokens": cached, "completion_tokens": n_out,
                  "rank_ms": round(rank_ms, 1), "model_ms": round((time.perf_counter() - t0) * 1000, 1)}))

    def _stream_text(self, tokens: list[int], stops: list[str], put: Put, t0: float, cancel: threading.Event,
                     extra: dict[str, Any] | None = None) -> None:
        n_out = 0
        first_ms = None
        cached = self._cached(tokens)
        for chunk in self._complete(tokens, cancel, stop=stops, stream=True):
            if cancel.is_set():
                return
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000
            n_out += 1
            put(Delta(chunk["choices"][0]["text"]))
        put(Done({"prompt_tokens": len(tokens), "cached_tokens": cached, "trimmed_messages": self.trimmed,
                  "prompt_eval_ms": round(first_ms or 0.0, 1), "completion_tokens": n_out, **(extra or {}),
                  "model_ms": round((time.perf_counter() - t0) * 1000, 1)}))
