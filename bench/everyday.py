"""Everyday requests: does Hearth leave the list and timers right, with a short, true reply?

    python bench/everyday.py [--split dev|test|all | --file CASES.jsonl] [--json] [--only ID] [--kind KIND] [--verbose]
                             [--tier 2|3] [--model NAME]

Cases live in ``bench/everyday/{dev,test}.jsonl`` (tune on dev; score test once). Each case gives the
starting shopping list and timers, one to three turns said in one session, and the expected end
state: items with quantities and checked flags, running timers by name and duration; each turn may
ask its reply to contain words (``has``: all of them, ``any``: one of them), not to contain words
(``not``), or to match a regular expression (``match``). Every reply must also be short and free of
transcript artifacts ("You:", "Assistant:") and call syntax (``name(``). A turn with ``"restart": true``
runs in a fresh agent on the same data folder (the session's context must survive a restart).

Every case runs in-process through the real ``hearth.Agent`` with the shipped default models.toml,
in a fresh temporary HEARTH_HOME; the model pool is shared between cases, so a model loads once.
``--tier 2|3`` forces that tier on every turn (tier 1 is skipped: the model path alone is measured);
``--model NAME`` makes that models.toml entry the main model (e.g. ``smollm2-135m``).
A case that leaves a state the request did not ask for (an item or timer changed, but not to the
expected end) is also a *wrong action*: worse than a miss that changed nothing, and counted apart.
Prints a table of right/total per kind, the wrong actions, the model latency (p50/p95 of the turns that used a model,
the first one left out as it loads the model), then the misses (``--json``: one JSON object instead).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "everyday"
KINDS = ["add", "remove", "check_off", "read", "question", "timer", "time", "smalltalk", "out_of_scope", "followup",
         "correction", "undo", "ambiguous", "disfluent"]
MAX_REPLY = 300
ARTIFACTS = re.compile(r"\b(?:you|user|assistant|model|system)\s*:|\b[a-z_]{3,}\(|<\/?\w+>|```|\{\s*\"", re.I)


def load(split: str) -> list[dict[str, Any]]:
    names = ["dev", "test"] if split == "all" else [split]
    return [json.loads(line) for n in names for line in (HERE / f"{n}.jsonl").read_text().splitlines() if line.strip()]


def reply_problems(turn: dict[str, Any], reply: str) -> list[str]:
    """Why a reply is wrong, in words; empty when it is right."""
    low = reply.lower()
    out = []
    if not reply.strip():
        out.append("empty reply")
    if len(reply) > MAX_REPLY:
        out.append(f"reply longer than {MAX_REPLY} characters")
    if ARTIFACTS.search(reply):
        out.append("transcript artifact or call syntax in the reply")
    out += [f"reply lacks {w!r}" for w in turn.get("has", []) if w.lower() not in low]
    if turn.get("any") and not any(w.lower() in low for w in turn["any"]):
        out.append(f"reply has none of {turn['any']}")
    out += [f"reply has {w!r}" for w in turn.get("not", []) if re.search(rf"\b{re.escape(w.lower())}\b", low)]
    if turn.get("match") and not re.search(turn["match"], reply):
        out.append(f"reply does not match /{turn['match']}/")
    return out


def _items_key(items: list[dict[str, Any]]) -> list[tuple[str, int, bool]]:
    from hearth.tools.shopping_list import item_key
    return sorted((item_key(i["name"]), int(i["quantity"]), bool(i["checked"])) for i in items)


def _timers_key(timers: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted(((t.get("name") or "").lower(), int(t["duration_s"])) for t in timers)


def _changes(start: list[Any], expected: list[Any], actual: list[Any]) -> list[str]:
    """What changed from ``start`` to ``actual`` that ``expected`` does not have: each entry a key whose
    count or state moved, but not to where the request asked."""
    def tally(rows: list[Any]) -> dict[Any, int]:
        out: dict[Any, int] = {}
        for r in rows:
            out[r] = out.get(r, 0) + 1
        return out
    s, e, a = tally(start), tally(expected), tally(actual)
    return [str(k) for k in sorted(set(s) | set(a), key=str) if a.get(k, 0) != s.get(k, 0) and a.get(k, 0) != e.get(k, 0)]


def wrong_actions(case: dict[str, Any], items: list[dict[str, Any]], timers: list[dict[str, Any]]) -> list[str]:
    """The wrong actions of a case: a state changed that the request did not ask for (an item added,
    removed, re-counted or checked off, a timer started or cancelled, that the expected end state
    does not have). A miss that changed nothing is no wrong action."""
    def by_item(rows: list[dict[str, Any]]) -> list[Any]:
        return [(k, q, c) for k, q, c in _items_key(rows)]
    wrong = _changes(by_item(case.get("list", [])), by_item(case["end_list"]), by_item(items))
    wrong += _changes(_timers_key(case.get("timers", [])), _timers_key(case["end_timers"]), _timers_key(timers))
    return wrong


def models_file(model: str | None) -> Any:
    """The shipped models.toml, with ``model`` as the main model when given."""
    from hearth.config import load_models
    _, mf = load_models()
    if model is None:
        return mf
    if model not in mf.models:
        raise SystemExit(f"--model {model!r}: no [models.{model}] table (have: {', '.join(mf.models)})")
    return mf.model_copy(update={"roles": mf.roles.model_copy(update={"main": model, "router": None})})


class Runner:
    """One agent per case (fresh data folder); the model pool is shared so a model loads once."""

    def __init__(self, tier: int | None = None, model: str | None = None) -> None:
        self.pool: Any = None
        self.tier = tier
        self.models = models_file(model)

    async def agent(self, home: str) -> Any:
        from hearth import Agent
        os.environ["HEARTH_HOME"] = home
        agent = Agent(models=self.models)
        if self.pool is None:
            self.pool = agent.pool
        else:
            agent.pool = self.pool
        await agent.start(load_model=False)
        return agent

    async def close(self, agent: Any, final: bool = False) -> None:
        from hearth.pool import ModelPool
        if not final:
            agent.pool = ModelPool(agent.models, agent.plugins.backends, agent.models_path)  # keep the shared one
        await agent.stop()

    async def run_case(self, case: dict[str, Any]) -> dict[str, Any]:
        home = tempfile.mkdtemp(prefix="hearth-everyday-")
        session = f"ev-{case['id']}"
        out: dict[str, Any] = {"id": case["id"], "kind": case["kind"], "turns": [], "problems": []}
        agent = await self.agent(home)
        try:
            for it in case.get("list", []):
                await agent.run_tool("add_to_shopping_list", {"item": it["name"], "quantity": it["quantity"]}, "seed")
                if it.get("checked"):
                    await agent.run_tool("check_off_shopping_list", {"item": it["name"]}, "seed")
            for tm in case.get("timers", []):
                args = {"duration": f"{tm['duration_s']} seconds", **({"name": tm["name"]} if tm.get("name") else {})}
                seeded = await agent.run_tool("start_timer", args, "seed")
                assert seeded.ok, seeded.result
            for turn in case["turns"]:
                if turn.get("restart"):
                    await self.close(agent)
                    agent = await self.agent(home)
                t0, c0 = time.perf_counter(), time.process_time()
                done = await agent.ask(turn["say"], session=session, tier=self.tier)
                ms, cpu_ms = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
                reply = done.text if done.type == "finished" else f"[failed: {done.message}]"
                problems = reply_problems(turn, reply) if done.type == "finished" else [f"turn failed: {done.message}"]
                timings = getattr(done, "timings", {}) or {}
                out["turns"].append({"say": turn["say"], "reply": reply, "tier": getattr(done, "tier", None),
                                     "ms": round(ms, 1), "cpu_ms": round(cpu_ms, 1),
                                     "load_ms": timings.get("load_ms", 0),
                                     "model": getattr(done, "tier", 1) != 1, "problems": problems})
                out["problems"] += [f"turn {len(out['turns'])}: {p}" for p in problems]
            items = (await agent.run_tool("get_shopping_list", {}, "check")).result["items"]
            status = await agent.run_tool("timer_status", {}, "check")
            timers = status.result.get("timers", []) if status.ok else []
            out["wrong"] = wrong_actions(case, items, timers)
            if _items_key(items) != _items_key(case["end_list"]):
                out["problems"].append(f"list {_items_key(items)} != expected {_items_key(case['end_list'])}")
            if _timers_key(timers) != _timers_key(case["end_timers"]):
                out["problems"].append(f"timers {_timers_key(timers)} != expected {_timers_key(case['end_timers'])}")
        except Exception as err:  # a crash is a miss, not the end of the benchmark
            out["problems"].append(f"crashed: {type(err).__name__}: {err}")
        finally:
            await self.close(agent)
            shutil.rmtree(home, ignore_errors=True)
        out["right"] = not out["problems"]
        return out


async def run(cases: list[dict[str, Any]], verbose: bool, tier: int | None = None,
              model: str | None = None) -> list[dict[str, Any]]:
    runner = Runner(tier, model)
    results = []
    for case in cases:
        r = await runner.run_case(case)
        results.append(r)
        if verbose:
            print(("ok  " if r["right"] else "MISS"), r["id"], " | ".join(f"{t['say']} -> {t['reply']}" for t in r["turns"]),
                  file=sys.stderr, flush=True)
    if runner.pool is not None:
        await runner.pool.close()
    return results


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return round(v[lo] + (v[hi] - v[lo]) * (k - lo), 1)


def model_latency(results: list[dict[str, Any]]) -> dict[str, Any]:
    """p50/p95 (ms) of the turns that used a model, in run order, the first one (it loads the model)
    and any other that had to load one left out. ``cpu_*``: the process's CPU time in those turns (all
    threads), a figure that other work on a shared machine inflates less than the wall clock."""
    model_turns = [t for r in results for t in r["turns"] if t.get("model")]
    warm_turns = [t for t in model_turns[1:] if not t.get("load_ms")]
    warm, cpu = [t["ms"] for t in warm_turns], [t.get("cpu_ms", 0.0) for t in warm_turns]
    return {"model_turns": len(model_turns), "warm_turns": len(warm),
            "p50_ms": percentile(warm, 50), "p95_ms": percentile(warm, 95), "max_ms": max(warm, default=None),
            "cpu_p50_ms": percentile(cpu, 50), "cpu_p95_ms": percentile(cpu, 95)}


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    kinds: dict[str, dict[str, int]] = {}
    for r in results:
        k = kinds.setdefault(r["kind"], {"right": 0, "total": 0})
        k["total"] += 1
        k["right"] += int(r["right"])
    right = sum(k["right"] for k in kinds.values())
    tiers = [t["tier"] for r in results for t in r["turns"]]
    wrong = [r for r in results if r.get("wrong")]
    return {"right": right, "total": len(results), "rate": round(right / max(1, len(results)), 3),
            "wrong_actions": len(wrong), "wrong": [{"id": r["id"], "changed": r["wrong"]} for r in wrong],
            "kinds": {k: kinds[k] for k in sorted(kinds, key=lambda k: KINDS.index(k) if k in KINDS else 99)},
            "tier1_turns": sum(1 for t in tiers if t == 1), "turns": len(tiers),
            "model_latency": model_latency(results),
            "misses": [r for r in results if not r["right"]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--only", action="append", help="run only this case id (repeatable)")
    ap.add_argument("--kind", help="run only cases of this kind")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each case as it runs (stderr)")
    ap.add_argument("--tier", type=int, choices=[2, 3], help="force this tier on every turn (tier 1 skipped)")
    ap.add_argument("--model", help="a models.toml entry to use as the main model (e.g. smollm2-135m)")
    ap.add_argument("--file", type=Path, help="run the cases of this JSON-lines file instead of a split")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    cases = load(args.split) if args.file is None else \
        [json.loads(line) for line in args.file.read_text().splitlines() if line.strip()]
    if args.file is not None:
        args.split = args.file.name
    if args.only:
        cases = [c for c in cases if c["id"] in args.only]
    if args.kind:
        cases = [c for c in cases if c["kind"] == args.kind]
    t0 = time.perf_counter()
    results = asyncio.run(run(cases, args.verbose, args.tier, args.model))
    s = summary(results)
    s["split"], s["seconds"] = args.split, round(time.perf_counter() - t0, 1)
    s["tier"], s["model"] = args.tier, args.model or models_file(None).roles.main
    if args.json:
        print(json.dumps(s, indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    console = Console()
    forced = f", tier {args.tier} forced" if args.tier else ""
    table = Table(title=f"Everyday requests, {args.split} split, model {s['model']}{forced}: {s['right']}/{s['total']} "
                        f"right ({s['rate']:.0%}), {s['wrong_actions']} wrong actions; {s['tier1_turns']}/{s['turns']} turns on tier 1; {s['seconds']} s")
    for col in ("kind", "right", "total", "rate"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind, k in s["kinds"].items():
        table.add_row(kind, str(k["right"]), str(k["total"]), f"{k['right'] / k['total']:.0%}")
    console.print(table)
    lat = s["model_latency"]
    if lat["warm_turns"]:
        console.print(f"model turns: {lat['model_turns']} ({lat['warm_turns']} warm): p50 {lat['p50_ms']:.0f} ms, "
                      f"p95 {lat['p95_ms']:.0f} ms, max {lat['max_ms']:.0f} ms; CPU time p50 {lat['cpu_p50_ms']:.0f} ms, "
                      f"p95 {lat['cpu_p95_ms']:.0f} ms", highlight=False)
    for r in s["misses"]:
        flag = " [red]WRONG ACTION[/red]" if r.get("wrong") else ""
        console.print(f"[bold]{r['id']}[/bold]{flag}: " + "; ".join(r["problems"]), highlight=False)
        for t in r["turns"]:
            console.print(f"    {t['say']!r} -> {t['reply']!r} (tier {t['tier']})", highlight=False)


if __name__ == "__main__":
    main()
