"""Routing benchmark: a tier-1 turn, request to reply, in-process; and the prompt-cache speedup.

    python bench/routing.py [--turns 500] [--model gemma3-270m] [--no-model]

1. Tier 1 (no model): ``Agent.ask`` on template sentences, the whole turn (routing, the tool's own
   SQLite write, messages and the tool-call log committed, events, the stored trace), p50 / p99 / max.
2. Understanding alone: ``Router.route`` on tier 1 (normalise, the strict stage, the fuzzy stage for
   near misses: "shopping lift", "timmer", "time or"), no tool or storage, p50 / p95 per stage.
3. Prompt cache: the same second turn on the main model with the KV cache kept from the first turn
   (Hearth keeps the system prompt and tool schemas byte-identical) vs the cache cleared first, as
   time to first token and prompt tokens evaluated. Uses a scratch HEARTH_HOME.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time

os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-bench-"))
os.environ.setdefault("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers")

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from hearth import Agent  # noqa: E402
from hearth.cli.stats import percentile  # noqa: E402
from hearth.events import TurnFinished  # noqa: E402

TIER1 = ["add milk to my shopping list", "put apples on the list", "what is on my shopping list",
         "check off apples from my shopping list", "remove milk from my shopping list", "start a 5 minute timer",
         "how much time is left on my timer", "cancel the timer"]
# the same requests as a speech recognizer or a quick typist may deliver them: read by the fuzzy stage
MISHEARD = ["add milk to my shopping lift", "put apples on the shoping list", "what is on my shopping lisst",
            "check off apples from my shoping list", "remove milk from my shopping lift", "set a timmer for 5 minutes",
            "set a time or for ten minutes", "cancel the timmer"]


def understanding(turns: int) -> dict[str, list[float]]:
    """Tier 1's understanding alone (``Router.route``: normalise, the strict stage, and for a near miss
    the fuzzy stage), no tool and no storage: ms per request, by the stage that read it."""
    agent = Agent()
    router = agent.router
    for text in TIER1 + MISHEARD:  # warm-up: the grammar is compiled on first use
        router.route(text, tier=1)
    out: dict[str, list[float]] = {"strict": [], "fuzzy": []}
    for i in range(turns):
        for stage, texts in (("strict", TIER1), ("fuzzy", MISHEARD)):
            text = texts[i % len(texts)]
            t0 = time.perf_counter()
            route = router.route(text, tier=1)
            ms = (time.perf_counter() - t0) * 1000
            assert route.tier == 1, (text, route)
            assert (stage == "fuzzy") == any(m.source.startswith("fuzzy") for m in (route.match, *route.more)), (text, route)
            out[stage].append(ms)
    return out


async def tier1(turns: int) -> dict[str, list[float]]:
    """ms per turn: to the reply (the ``finished`` event a face forwards: the tool's write and the turn's
    messages are committed by then) and to the turn's end (its trace stored too)."""
    agent = Agent()
    await agent.start(load_model=False)
    for text in TIER1:  # warm-up: imports, SQLite pages, hassil caches
        await agent.ask(text, session="warm")
    times: dict[str, list[float]] = {"reply": [], "turn end": []}
    for i in range(turns):
        text = TIER1[i % len(TIER1)]
        t0 = time.perf_counter()
        done = None
        async for ev in agent.turn(text, session=f"s{i % 20}"):
            if isinstance(ev, TurnFinished):
                times["reply"].append((time.perf_counter() - t0) * 1000)
                done = ev
        times["turn end"].append((time.perf_counter() - t0) * 1000)
        assert done is not None and done.tier == 1, (text, done)
    await agent.stop()
    return times


async def prompt_cache(model: str, runs: int) -> dict[str, list[float]]:
    from hearth.config import ModelsFile, Roles, load_models
    mf = load_models()[1]
    agent = Agent(models=ModelsFile(roles=Roles(main=model), models=mf.models))
    await agent.start(load_model=False)
    await agent.pool.load(model)
    backend = agent.pool.backend(model)
    out: dict[str, list[float]] = {"first": [], "cached": [], "cold": [], "cached_tokens": [], "prompt_tokens": []}
    for r in range(runs):
        for label in ("cached", "cold"):
            session = f"{label}-{r}"
            backend.llm.reset()
            first = await agent.ask("hello there", session=session, tier=3)
            if label == "cold":
                backend.llm.reset()  # the second turn re-reads its whole prompt
            second = await agent.ask("good morning to you", session=session, tier=3)
            out["first"].append(first.timings["prompt_eval_ms"])
            out[label].append(second.timings["prompt_eval_ms"])
            if label == "cached":
                out["cached_tokens"].append(second.timings["cached_tokens"])
                out["prompt_tokens"].append(second.timings["prompt_tokens"])
    await agent.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=500)
    ap.add_argument("--model", default="qwen2.5-coder-0.5b")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-model", action="store_true", help="skip the prompt-cache part (it loads a model)")
    args = ap.parse_args()
    console = Console()
    t1 = asyncio.run(tier1(args.turns))
    table = Table(title=f"Tier 1 turn, in-process ({args.turns} turns, ms)")
    for col in ("until", "p50", "p95", "p99", "max", "mean"):
        table.add_column(col, justify="right")
    for until, ms in t1.items():
        table.add_row(until, *(f"{v:.2f}" for v in (percentile(ms, .5), percentile(ms, .95), percentile(ms, .99),
                                                    max(ms), statistics.mean(ms))))
    console.print(table)
    stages = understanding(args.turns)
    table = Table(title=f"Tier 1 understanding alone, Router.route ({args.turns} requests per stage, ms)")
    for col in ("stage", "p50", "p95", "p99", "max"):
        table.add_column(col, justify="right")
    for stage, ms in stages.items():
        table.add_row(stage, *(f"{v:.2f}" for v in (percentile(ms, .5), percentile(ms, .95), percentile(ms, .99), max(ms))))
    console.print(table)
    if args.no_model:
        return
    pc = asyncio.run(prompt_cache(args.model, args.runs))
    table = Table(title=f"Prompt cache, {args.model}: prompt evaluation (time to first token) of a second turn (median of {args.runs}, ms)")
    for col in ("first turn", "2nd turn, cache kept", "2nd turn, cache cleared", "speedup", "cached / prompt tokens"):
        table.add_column(col, justify="right")
    kept, cold = statistics.median(pc["cached"]), statistics.median(pc["cold"])
    table.add_row(f"{statistics.median(pc['first']):.0f}", f"{kept:.0f}", f"{cold:.0f}", f"{cold / kept:.2f}x",
                  f"{statistics.median(pc['cached_tokens']):.0f} / {statistics.median(pc['prompt_tokens']):.0f}")
    console.print(table)


if __name__ == "__main__":
    main()
