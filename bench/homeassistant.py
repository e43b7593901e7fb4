"""Device requests over Home Assistant's demo home, through Hearth and through Home Assistant's own
conversation agent, on the same Home Assistant 2024.3.3, in one run.

    python bench/homeassistant.py [--venv DIR] [--url URL --token TOKEN] [--tier1-only] [--json OUT]

Starts a real Home Assistant (tests/homeassistant_server.py: its own virtual environment, made in DIR or a
temporary folder; the demo home, areas, an alias) unless ``--url``/``--token`` name one that harness
started. The requests are bench/data/homeassistant/requests.yaml: phrasings written for Hearth and Home
Assistant's own test sentences (home-assistant/intents, CC BY 4.0; see that file for attribution).

For every sentence, the group's ``setup`` service calls put the devices in a known state, the sentence goes
to one agent, and the outcome is read back through Home Assistant's REST API: the expected states and
attributes (or, for questions, the spoken answer). Then the same for the other agent. Hearth is an in-process
``hearth.Agent`` with the homeassistant plugin (tier 1 is Home Assistant's sentences over the live names;
what it does not match goes to the models of models.toml, loaded when first needed); Home Assistant's agent
is ``POST /api/conversation/process``. Prints success per intent for both, and Hearth's tiers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-bench-ha-"))
os.environ.setdefault("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,homeassistant")

from homeassistant_server import HomeAssistant, make_venv  # noqa: E402

DATA = ROOT / "bench" / "data" / "homeassistant" / "requests.yaml"


def cases() -> list[dict[str, Any]]:
    out = []
    for group in yaml.safe_load(DATA.read_text())["groups"]:
        for sentence in group["sentences"]:
            out.append({**group, "text": sentence})
    return out


def prepare(ha: HomeAssistant, case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Run the case's setup calls, wait for them to settle, and return the expected entities' states."""
    for step in case.get("setup") or []:
        domain, service, entity_id = step[:3]
        ha.call(domain, service, entity_id=entity_id, **(step[3] if len(step) > 3 else {}))
    time.sleep(case.get("settle", 0.3))
    return {e: ha.state(e) for e in (case.get("expect") or {})}


def holds(ha: HomeAssistant, case: dict[str, Any], before: dict[str, dict[str, Any]], reply: str,
          wait: float) -> bool:
    """Whether the expected outcome is there (polled for up to ``wait`` seconds: covers move)."""
    if "answer" in case:
        return re.search(case["answer"], reply.strip()) is not None
    deadline = time.time() + wait
    while True:
        ok = True
        for entity_id, want in case["expect"].items():
            s = ha.state(entity_id)
            if isinstance(want, str):
                ok &= s["state"] in want.split("|")
            else:
                for attr, value in want.items():
                    if attr == "changed":
                        ok &= s["attributes"].get(value) != before[entity_id]["attributes"].get(value)
                    elif isinstance(value, float):
                        ok &= abs((s["attributes"].get(attr) or 0) - value) < 0.011
                    else:
                        ok &= s["attributes"].get(attr) == value
        if ok or time.time() > deadline:
            return ok
        time.sleep(0.2)


async def run(ha: HomeAssistant, tier1_only: bool) -> list[dict[str, Any]]:
    from hearth import Agent
    from hearth.events import Routed, TurnFailed, TurnFinished
    os.environ["HASS_URL"], os.environ["HASS_TOKEN"] = ha.url, ha.token
    agent = Agent()
    await agent.start(load_model=False)
    results = []
    try:
        for i, case in enumerate(cases()):
            row: dict[str, Any] = {"intent": case["intent"], "source": case["source"], "text": case["text"]}
            # Hearth
            before = await asyncio.to_thread(prepare, ha, case)
            reply, tier = "", None
            async for ev in agent.turn(case["text"], session=f"bench-{i}", tier=1 if tier1_only else None):
                if isinstance(ev, Routed):
                    tier = ev.tier
                elif isinstance(ev, TurnFinished):
                    reply = ev.text
                elif isinstance(ev, TurnFailed):
                    reply = ev.message
            row["hearth"] = await asyncio.to_thread(holds, ha, case, before, reply, case.get("settle", 3))
            row["hearth_reply"], row["hearth_tier"] = reply, tier
            # Home Assistant's own agent
            before = await asyncio.to_thread(prepare, ha, case)
            answer = (await asyncio.to_thread(ha.converse, case["text"]))["response"]
            said = ((answer.get("speech") or {}).get("plain") or {}).get("speech", "")
            row["ha"] = await asyncio.to_thread(holds, ha, case, before, said, case.get("settle", 3))
            row["ha_reply"] = said
            results.append(row)
            mark = lambda ok: "ok " if ok else "-- "  # noqa: E731
            print(f"{mark(row['hearth'])}{mark(row['ha'])}t{tier} {case['text']!r}: {reply!r} | HA: {said!r}",
                  flush=True)
    finally:
        await agent.stop()
    return results


def report(results: list[dict[str, Any]]) -> None:
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by[r["intent"]].append(r)
    print(f"\n{'intent':28} {'n':>4} {'Hearth':>8} {'HA agent':>9}")
    for intent, rows in by.items():
        h, a = sum(r["hearth"] for r in rows), sum(r["ha"] for r in rows)
        print(f"{intent:28} {len(rows):>4} {h / len(rows):>8.0%} {a / len(rows):>9.0%}")
    n = len(results)
    h, a = sum(r["hearth"] for r in results), sum(r["ha"] for r in results)
    print(f"{'overall':28} {n:>4} {h / n:>8.0%} {a / n:>9.0%}   ({h}/{n} vs {a}/{n})")
    for source in ("intents", "hearth"):
        rows = [r for r in results if r["source"] == source]
        if rows:
            print(f"  {source + ' sentences':26} {len(rows):>4} {sum(r['hearth'] for r in rows) / len(rows):>8.0%} "
                  f"{sum(r['ha'] for r in rows) / len(rows):>9.0%}")
    tiers: dict[Any, int] = defaultdict(int)
    for r in results:
        tiers[r["hearth_tier"]] += 1
    print("Hearth tiers: " + ", ".join(f"tier {t}: {c}" for t, c in sorted(tiers.items(), key=str)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--venv", type=Path, help="Home Assistant's virtual environment (made there if missing)")
    p.add_argument("--url", help="a Home Assistant started by tests/homeassistant_server.py")
    p.add_argument("--token")
    p.add_argument("--tier1-only", action="store_true", help="Hearth without models (tier 1 alone)")
    p.add_argument("--json", type=Path, help="write every request's outcome here")
    args = p.parse_args()
    if args.url:
        ha = HomeAssistant.attach(args.url, args.token)
    else:
        venv = args.venv or Path(tempfile.mkdtemp(prefix="ha-venv-"))
        print(f"Home Assistant's virtual environment: {venv} (made if missing; minutes)", flush=True)
        ha = HomeAssistant(make_venv(venv), Path(tempfile.mkdtemp(prefix="ha-config-"))).start()
    try:
        results = asyncio.run(run(ha, args.tier1_only))
    finally:
        ha.stop()
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
