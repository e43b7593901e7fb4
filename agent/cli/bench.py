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
from hearth.tooling.calls import example_sentences

TIERS = (1, 2, 3)
PER_TIER = 5  # requests per tier
STAGES = ("route_ms", "first_token_ms", "tool_ms", "total_ms")


def bench_requests(agent: Agent) -> dict[int, list[str]]:
    """The requests replayed per tier, from the registered tools' own example sentences: tier 1 each
    tool's first example (a template matches it), tiers 2 and 3 each tool's last one, said the way the
    tool's author last thought of, and "hello there" (no tool)."""
    first: list[str] = []
    last: list[str] = []
    for tool in agent.tool_schemas():
        sentences = example_sentences(tool, per_template=1)
        if sentences:
            first.append(sentences[0])
            last.append(sentences[-1])
    later = [*last[:PER_TIER - 1], "hello there"]
    return {1: first[:PER_TIER], 2: later, 3: later}


def read_requests(path: Path) -> dict[int, list[str]]:
    """The requests per tier of a ``--requests`` file: a JSON object of tier -> list of sentences."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        requests = {int(t): [str(x) for x in texts] for t, texts in data.items()}
    except (OSError, ValueError, AttributeError, TypeError) as e:
        fail(f"--requests {path}: not a JSON object of tier -> list of sentences ({e})")
    return requests


async def _replay(agent: Agent, wanted: list[int], runs: int, requests: dict[int, list[str]]) -> dict[int, dict[str, list[float]]]:
    """Each tier's requests ``runs`` times through a started agent: the timings per stage."""
    results: dict[int, dict[str, list[float]]] = {}
    await agent.start(load_model=False)
    try:
        if any(t > 1 for t in wanted):
            with err.status("[cyan]loading models[/]"):
                for name in agent.role_models():
                    await agent.pool.load(name)
        for t in wanted:
            stages: dict[str, list[float]] = {k: [] for k in STAGES}
            for r in range(runs):
                for i, text in enumerate(requests[t]):
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
    return results


def bench(
    runs: int = typer.Option(3, min=1, help="Times each request is replayed per tier."),
    tiers: str = typer.Option("1,2,3", help="Tiers to measure, e.g. 1 or 1,3."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    models: Path | None = models_option(),
    requests_file: Path | None = typer.Option(
        None, "--requests", help='A JSON file of the requests per tier, e.g. {"1": ["..."], "3": ["..."]}.'),
) -> None:
    """Replay a fixed set of requests through each tier and print p50 / p95 / max per stage (ms).

    The requests are the registered tools' own example sentences, or those of ``--requests`` (to
    compare releases on the same sentences). Uses a scratch database, so your data is not touched;
    models are loaded first."""
    wanted = sorted({int(t) for t in tiers.split(",") if t.strip()})
    if not wanted or any(t not in TIERS for t in wanted):
        fail("--tiers takes 1, 2 and 3, e.g. --tiers 1,3")
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as scratch:  # removed afterwards, also on errors
        try:
            agent = Agent(models=models, storage=Storage(f"sqlite:///{scratch}/bench.db"))
        except HearthError as e:
            fail(str(e))
        report_plugin_errors(agent.plugins)
        requests = read_requests(requests_file) if requests_file else bench_requests(agent)
        if any(not requests.get(t) for t in wanted):
            fail(f"no requests for tier(s) {', '.join(str(t) for t in wanted if not requests.get(t))}")
        results = asyncio.run(_replay(agent, wanted, runs, requests))
        agent.storage.engine.dispose()
    summary: dict[str, dict[str, Any]] = {f"tier{t}": {"turns": len(st["total_ms"]),
                            **{k: {"p50": round(percentile(v, .5), 2), "p95": round(percentile(v, .95), 2),
                                   "max": round(max(v), 2)} for k, v in st.items() if v}}
               for t, st in results.items()}
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    rows = [[t, stage, *(f"{st[stage][q]:.2f}" for q in ("p50", "p95", "max"))]
            for t, st in summary.items() for stage in STAGES if stage in st]
    render_table(f"hearth bench: {runs} run(s) of {len(requests[wanted[0]])} requests per tier (ms)",
                 [Column("tier"), Column("stage"), Column("p50", right=True), Column("p95", right=True),
                  Column("max", right=True)], rows)


def register(app: typer.Typer) -> None:
    """Add ``hearth bench`` to the ``hearth`` app."""
    app.command()(bench)
