"""``hearth bench``: replay fixed requests through each tier and print latency percentiles per stage."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from hearth.agent import Agent
from hearth.cli.common import Column, err, fail, models_option, render_table, report_plugin_errors
from hearth.cli.stats import percentile
from hearth.errors import HearthError
from hearth.events import TurnFinished
from hearth.storage import Storage

BENCH_REQUESTS = {
    1: ["add milk to my shopping list", "put apples on the list", "what is on my shopping list",
        "check off apples from my shopping list", "remove milk from my shopping list"],
    2: ["please add bread", "we are out of butter", "get some oat milk", "take the eggs off", "hello there"],
}
BENCH_REQUESTS[3] = BENCH_REQUESTS[2]
STAGES = ("route_ms", "first_token_ms", "tool_ms", "total_ms")


def bench(
    runs: int = typer.Option(3, min=1, help="Times each request is replayed per tier."),
    tiers: str = typer.Option("1,2,3", help="Tiers to measure, e.g. 1 or 1,3."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    models: Path | None = models_option(),
) -> None:
    """Replay a fixed set of requests through each tier and print p50 / p95 / max per stage (ms).

    Uses a scratch database, so your shopping list is not touched; models are loaded first."""
    wanted = sorted({int(t) for t in tiers.split(",") if t.strip()})
    if not wanted or any(t not in BENCH_REQUESTS for t in wanted):
        fail("--tiers takes 1, 2 and 3, e.g. --tiers 1,3")
    scratch = tempfile.mkdtemp(prefix="hearth-bench-")
    try:
        agent = Agent(models=models, storage=Storage(f"sqlite:///{scratch}/bench.db"))
    except HearthError as e:
        fail(str(e))
    report_plugin_errors(agent.plugins.errors)
    results: dict[int, dict[str, list[float]]] = {}

    async def main() -> None:
        await agent.start(load_model=False)
        try:
            if any(t > 1 for t in wanted):
                with err.status("[cyan]loading models[/]"):
                    for name in agent.role_models():
                        await agent.pool.load(name)
            for t in wanted:
                stages: dict[str, list[float]] = {k: [] for k in STAGES}
                for r in range(runs):
                    for i, text in enumerate(BENCH_REQUESTS[t]):
                        done = await agent.ask(text, session=f"bench-{t}-{r}-{i}", tier=t)
                        if not isinstance(done, TurnFinished):
                            err.print(f"[yellow]tier {t}: {escape(text)!r} failed: {escape(done.message)}[/]")
                            continue
                        tm = done.timings
                        stages["route_ms"].append(tm.get("route_ms", 0.0))
                        stages["first_token_ms"].append(tm.get("first_token_ms", tm.get("total_ms", 0.0)))
                        stages["tool_ms"].append(sum(v for k, v in tm.items() if k.startswith("tool_")))
                        stages["total_ms"].append(tm.get("total_ms", 0.0))
                results[t] = stages
        finally:
            await agent.stop()

    asyncio.run(main())
    summary: dict[str, dict[str, Any]] = {f"tier{t}": {"turns": len(st["total_ms"]),
                            **{k: {"p50": round(percentile(v, .5), 2), "p95": round(percentile(v, .95), 2),
                                   "max": round(max(v), 2)} for k, v in st.items() if v}}
               for t, st in results.items()}
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    rows = [[t, stage, *(f"{st[stage][q]:.2f}" for q in ("p50", "p95", "max"))]
            for t, st in summary.items() for stage in STAGES if stage in st]
    render_table(f"hearth bench: {runs} run(s) of {len(BENCH_REQUESTS[1])} requests per tier (ms)",
                 [Column("tier"), Column("stage"), Column("p50", right=True), Column("p95", right=True),
                  Column("max", right=True)], rows)


def register(app: typer.Typer) -> None:
    """Add ``hearth bench`` to the ``hearth`` app."""
    app.command()(bench)
