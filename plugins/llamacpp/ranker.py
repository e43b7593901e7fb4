"""Ranked tool choice (``tool_select = "rank"``): which tool's examples make the request most likely.

For tiny models: instead of generating a call, the request is scored under a context per tool (its
description and example sentences), a no-tool context and a neutral one, on a second llama.cpp
context that shares the weights; the arguments are then filled under a grammar (``grammar.py``).

A question is never turned into a write: when the request reads as a question ("any timers running?",
"do we have milk", "how many eggs are on the list"), only tools that read (their name or description
says they get, tell, answer or change nothing) may win; a write tool that scores higher is passed over.
Whether a request is a question and a tool only reads is the core's rule (``hearth.kit``); a
request's first word and a tool's lead words are ``reading`` (its fillers are data, ``reading.yaml``).
"""

from __future__ import annotations

import json
from typing import Any

from hearth.kit import example_sentences, fn_schema

from .reading import first_word, is_question, is_read_tool, lead_words

__all__ = ["MIN_GAIN", "NO_TOOL", "NEUTRAL", "Ranker", "ToolRanker", "first_word", "is_question", "is_read_tool",
           "lead_words", "tool_context"]
_first_word = first_word  # the name tests knew it by

NO_TOOL = ("Messages that need no tool: greetings, thanks, questions and chat.\nExamples:\n- hello there\n"
           "- thank you\n- what is the weather like\n- tell me a joke\n- who are you\n- what time is it\n-")
NEUTRAL = "Requests:\n-"
# A tool must raise the request's likelihood over a neutral context by this much per token.
# Chosen on BFCL cases 100-199 (bench/data, dev split), never on the cases the benchmark reports.
MIN_GAIN = 0.05


class Ranker:
    """Scores a request under several fixed contexts on a second llama.cpp context (same weights).

    Each context stays in the KV cache in a sequence of its own, so scoring a request costs one
    short decode per context instead of re-reading every context (and evicting the chat prompt
    from the main context's cache) on every turn. The request is decoded under every context in
    one batch: the weights are read once per request, not once per context (on a 2-core CPU and
    Gemma 3 270M, 16 contexts: 0.85 s -> 0.2 s for a three-token request).
    """

    MAX_CONT = 48  # request tokens scored; the start of a request decides the tool
    LOGITS_BYTES = 64 << 20  # the most memory one batch's logits may take (a row is 4 bytes per vocabulary entry)

    def __init__(self, llm: Any, contexts: list[list[int]], n_threads: int) -> None:
        import llama_cpp
        from llama_cpp import _internals
        self.n_seq = len(contexts)
        self.n_vocab = llm.n_vocab()
        # rows of logits one batch may return: whole requests under as many contexts as the budget allows
        self.max_rows = max(self.MAX_CONT, min(self.n_seq * self.MAX_CONT, self.LOGITS_BYTES // (4 * self.n_vocab)))
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = sum(len(c) for c in contexts) + self.n_seq * self.MAX_CONT + 64
        params.n_batch = params.n_ubatch = max(max(len(c) for c in contexts), self.max_rows)
        params.n_seq_max = self.n_seq
        params.kv_unified = True
        params.n_outputs_max = self.max_rows
        params.n_threads = params.n_threads_batch = n_threads
        self.n_batch = params.n_batch
        self.ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=params.n_batch, embd=0, n_seq_max=1, verbose=False)
        self.contexts = contexts
        # every context but its last token (decoded with each request), packed into as few batches as fit
        rows = [(t, i, seq, False) for seq, toks in enumerate(contexts) for i, t in enumerate(toks[:-1])]
        for at in range(0, len(rows), self.n_batch):
            self._decode(rows[at:at + self.n_batch])

    def _decode(self, rows: list[tuple[int, int, int, bool]]) -> None:
        """Decode (token, position, sequence, wants logits) rows in one batch."""
        b = self.batch.batch
        b.n_tokens = len(rows)
        for i, (t, pos, seq, logits) in enumerate(rows):
            b.token[i], b.pos[i], b.seq_id[i][0], b.n_seq_id[i], b.logits[i] = t, pos, seq, 1, logits
        self.ctx.decode(self.batch)

    def score(self, cont: list[int], only: list[int] | None = None) -> list[float]:
        """log P(cont | context) for every context (or for the contexts ``only`` names, in that order)."""
        import numpy as np
        cont = cont[: self.MAX_CONT]
        n = len(cont)
        wanted = list(range(self.n_seq)) if only is None else only
        if not n:
            return [0.0] * len(wanted)
        out: list[float] = []
        per_batch = self.max_rows // n  # contexts scored per batch
        try:
            for first in range(0, len(wanted), per_batch):
                seqs = wanted[first:first + per_batch]
                rows = [(t, len(self.contexts[seq]) - 1 + i, seq, True)
                        for seq in seqs for i, t in enumerate([self.contexts[seq][-1]] + cont[:-1])]
                self._decode(rows)
                logits = np.ctypeslib.as_array(self.ctx.get_logits(), shape=(len(rows), self.n_vocab))
                for k in range(len(seqs)):
                    part = logits[k * n:(k + 1) * n].astype(np.float64)
                    top = part.max(axis=1)
                    lse = top + np.log(np.exp(part - top[:, None]).sum(axis=1))
                    out.append(float((part[np.arange(n), cont] - lse).sum()))
        finally:
            for seq in wanted:
                self.ctx.kv_cache_seq_rm(seq, len(self.contexts[seq]) - 1, -1)
        return out

    def close(self) -> None:
        self.ctx.close()
        self.batch.close()


def tool_context(tool: dict[str, Any]) -> str:
    """The text a tool is ranked under: its name, description and up to ten example sentences."""
    fn = fn_schema(tool)
    sentences = example_sentences(tool, per_template=1)
    text = f"{fn['name']}: {fn.get('description', '')}"
    if sentences:
        text += "\nExamples:\n" + "\n".join(f"- {x}" for x in sentences[:10])
    return text + "\n-"


class ToolRanker:
    """Ranks tools for requests on one loaded model; the scoring contexts are kept while the tools stay."""

    def __init__(self, llm: Any, n_threads: int) -> None:
        self.llm = llm
        self.n_threads = n_threads
        self._ranker: Ranker | None = None
        self._key = ""  # the tools the contexts were built for, as JSON

    def prepare(self, tools: list[dict[str, Any]]) -> Ranker:
        """The scoring contexts of these tools, read into the KV cache once (again when the tools change).

        The tools are compared as JSON: their example sentences (hassil's sampler, about 14 ms for the
        built-in tools) are drawn only when they change, not on every request."""
        key = json.dumps(tools, sort_keys=True, default=str)
        if self._ranker is None or self._key != key:
            self.close()
            texts = [tool_context(t) for t in tools] + [NO_TOOL, NEUTRAL]
            contexts = [self.llm.tokenize(x.encode("utf-8"), add_bos=True, special=False) for x in texts]
            self._ranker, self._key = Ranker(self.llm, contexts, self.n_threads), key
        return self._ranker

    def rank(self, text: str, tools: list[dict[str, Any]]) -> tuple[str | None, dict[str, float]]:
        """The tool under whose examples the request is most likely (None: no tool fits), and the scores."""
        names = [fn_schema(t)["name"] for t in tools]
        ranker = self.prepare(tools)
        cont = self.llm.tokenize((" " + text.strip()).encode("utf-8"), add_bos=False, special=False)
        candidates = list(range(len(tools)))
        if is_question(text):  # a question is answered by a tool that reads, never by a write
            candidates = [i for i, t in enumerate(tools) if is_read_tool(t)] or candidates
        # a request that opens with a verb only one tool's examples open with ("add ...", "scratch ...")
        # is that tool's: a tiny model's likelihoods blur verbs that share the rest of the sentence
        first = first_word(text)
        anchored = [i for i in candidates if first in lead_words(tools[i])]
        if len(anchored) == 1:
            candidates = anchored
        # only the candidates are scored (with the no-tool and neutral contexts): the others cannot win
        n = len(tools)
        *values, none, neutral = ranker.score(cont, candidates + [n, n + 1])
        scores = {names[i]: v for i, v in zip(candidates, values, strict=True)}
        best = max(scores, key=scores.__getitem__) if scores else None
        if best is None or none > scores[best] \
                or (scores[best] - neutral) / max(1, min(len(cont), Ranker.MAX_CONT)) < MIN_GAIN:
            return None, {**scores, "": none}
        return best, {**scores, "": none}

    def close(self) -> None:
        if self._ranker is not None:
            self._ranker.close()
            self._ranker = None
