"""Thirty everyday requests of bench/everyday (follow-ups included) through the real `hearth chat` CLI.

Each request is one `hearth chat --session ID "..."` process in a fresh HEARTH_HOME per case, with
the shipped default models.toml, as a user would type it; follow-ups continue the case's session in
a new process, so the dialogue context must come back from the database. A request is right when
its reply passes the case's checks (and, for a case's last request, the list and timers end right).
At least 28 of the 30 must be right.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import REPO, run_hearth

sys.path.insert(0, str(REPO / "bench"))
from everyday import _items_key, _timers_key, load, reply_problems

CASES = ["add-03", "add-05", "add-07", "add-10", "add-12", "add-13", "remove-03", "check_off-01", "question-01",
         "question-05", "timer-01", "timer-08", "time-01", "time-03", "smalltalk-01", "smalltalk-04", "smalltalk-06",
         "out_of_scope-01", "out_of_scope-03", "followup-01", "followup-02", "followup-03", "followup-21",
         "followup-23"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HEARTH_LOAD_PLUGINS", "HEARTH_MODELS", "HEARTH_DATABASE_URL")}
    return {**env, "HEARTH_HOME": str(home)}


def _tool(env: dict[str, str], name: str, **arguments) -> dict:
    done = run_hearth("tools", "run", name, "--json-args", json.dumps(arguments), env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _run_case(case: dict, home: Path) -> list[tuple[str, list[str]]]:
    """Each request of the case with what was wrong with it (empty: right)."""
    home.mkdir(parents=True)
    env = _env(home)
    for it in case["list"]:
        _tool(env, "add_to_shopping_list", item=it["name"], quantity=it["quantity"])
        if it["checked"]:
            _tool(env, "check_off_shopping_list", item=it["name"])
    for tm in case["timers"]:
        _tool(env, "start_timer", duration=f"{tm['duration_s']} seconds", **({"name": tm["name"]} if tm["name"] else {}))
    out = []
    for turn in case["turns"]:
        done = run_hearth("chat", "--session", case["id"], turn["say"], env=env)
        problems = reply_problems(turn, done.stdout.strip()) if done.returncode == 0 else [f"exit {done.returncode}: {done.stderr[-300:]}"]
        out.append((turn["say"], problems))
    items = _tool(env, "get_shopping_list")["items"]
    timers = _tool(env, "timer_status").get("timers", [])
    if _items_key(items) != _items_key(case["end_list"]):
        out[-1][1].append(f"list {_items_key(items)} != {_items_key(case['end_list'])}")
    if _timers_key(timers) != _timers_key(case["end_timers"]):
        out[-1][1].append(f"timers {_timers_key(timers)} != {_timers_key(case['end_timers'])}")
    return out


@pytest.mark.slow  # about 60 `hearth` processes (2-3 minutes on 2 cores); no model inference
def test_thirty_everyday_requests_through_hearth_chat(tmp_path):
    by_id = {c["id"]: c for c in load("all")}
    cases = [by_id[i] for i in CASES]
    assert sum(len(c["turns"]) for c in cases) == 30
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: _run_case(c, tmp_path / c["id"]), cases))
    requests = [r for case in results for r in case]
    wrong = [(say, problems) for say, problems in requests if problems]
    assert len(requests) - len(wrong) >= 28, wrong
