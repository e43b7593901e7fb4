"""Ranked tool choice: the time to pick a tool, three ways in one run on the same loaded model.

    python bench/ranking.py [--split dev|test|all] [--model gemma3-270m]

Every turn of the everyday set (``bench/everyday/``) is ranked against the built-in tools:

1. ``per context``: the request decoded under each tool's context in a batch of its own (how the
   ranker worked before), scoring every tool;
2. ``one batch``: the request under every context in one batch (the weights read once per request),
   still scoring every tool;
3. ``shipped``: one batch, scoring only the tools that can win (a question: the tools that read; a
   request that opens with a verb only one tool's examples open with: that tool).

Each is also run with one thread, llama-cpp-python's own default on a 2-core machine (half the
logical CPUs), against one thread per physical core, Hearth's default. Prints p50 / p95 / max in ms
and the ratio of each p50 to the per-context, one-thread p50, and how often the picks agree.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-bench-"))
os.environ.setdefault("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,clock,smalltalk")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from hearth import Agent  # noqa: E402
from hearth.cli.stats import percentile  # noqa: E402
from hearth.plugins.llamacpp.ranker import ToolRanker  # noqa: E402
from hearth.plugins.llamacpp.threads import physical_cores  # noqa: E402

SETS = Path(__file__).parent / "everyday"


def requests(split: str) -> list[str]:
    files = ["dev", "test"] if split == "all" else [split]
    out = []
    for f in files:
        for line in (SETS / f"{f}.jsonl").read_text().splitlines():
            if line.strip():
                out += [t["say"] for t in json.loads(line)["turns"]]
    return out


class AllTools(ToolRanker):
    """The ranker scoring every tool (no pruning to the tools that can win)."""

    def rank(self, text, tools):
        cont = self.llm.tokenize((" " + text.strip()).encode("utf-8"), add_bos=False, special=False)
        self.prepare(tools).score(cont)  # every context, then the shipped decision on the same request
        return super().rank(text, tools)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="all", choices=["dev", "test", "all"])
    ap.add_argument("--model", default=None, help="a models.toml entry (default: the main role's model)")
    args = ap.parse_args()
    agent = Agent()
    await agent.start(load_model=False)
    name = args.model or agent.model_for("main")[0]
    backend = await agent.pool.load(name)
    tools = agent.tool_schemas()
    texts = requests(args.split)
    rows = []
    picks: dict[str, list] = {}
    for threads in dict.fromkeys([1, physical_cores()]):
        for label in ("per context", "one batch", "shipped"):
            rk = (AllTools if label != "shipped" else ToolRanker)(backend.llm, threads)
            ranker = rk.prepare(tools)
            times, chosen = [], []
            for text in ["hello", *texts]:  # the first is a warm-up
                if label == "per context":  # a batch as long as the request: one context per batch
                    cont = backend.llm.tokenize((" " + text.strip()).encode(), add_bos=False, special=False)
                    ranker.max_rows = max(1, min(len(cont), ranker.MAX_CONT))
                t0 = time.perf_counter()
                chosen.append(rk.rank(text, tools)[0])
                times.append((time.perf_counter() - t0) * 1000)
            rk.close()
            times, chosen = times[1:], chosen[1:]
            picks[f"{label}/{threads}"] = chosen
            rows.append((label, threads, percentile(times, .5), percentile(times, .95), max(times)))
    await agent.stop()
    base = rows[0][2]
    ref = picks[f"shipped/{physical_cores()}"]
    table = Table(title=f"Ranking {len(texts)} requests over {len(tools)} tools on {name} (ms)")
    for c in ("ranking", "threads", "p50", "p95", "max", "p50 ratio", "same pick as shipped"):
        table.add_column(c, justify="left" if c == "ranking" else "right")
    for (label, threads, p50, p95, mx), key in zip(rows, picks, strict=True):
        same = sum(a == b for a, b in zip(picks[key], ref, strict=True))
        table.add_row(label, str(threads), f"{p50:.0f}", f"{p95:.0f}", f"{mx:.0f}", f"{p50 / base:.2f}",
                      f"{same}/{len(texts)}")
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(main())
