"""A tool's effect and the record of its call are one transaction (``ctx.transaction()``): both are
stored, or neither (the tool failed or timed out). The test tools are tests/plugins/ledger.py."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from hearth import Agent
from hearth.storage import Storage

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
async def agent(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "plugins").mkdir(parents=True)
    shutil.copy(PLUGINS / "ledger.py", home / "plugins" / "ledger.py")
    monkeypatch.setenv("HEARTH_HOME", str(home))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,ledger")
    a = Agent(storage=Storage(f"sqlite:///{tmp_path}/t.db"), entry_points=True)
    await a.start(load_model=False)
    yield a
    await a.stop()


def rows(agent: Agent, sql: str) -> list[tuple]:
    path = agent.storage.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


async def test_the_effect_and_its_record_are_committed_together(agent):
    outcome = await agent.run_tool("record", {"entry": "rent\x00"}, session="s")
    assert outcome.ok and outcome.result == {"entries": 1} and outcome.recorded
    assert rows(agent, "SELECT entry FROM test_ledger") == [("rent",)]  # cleaned before the tool ran
    calls = rows(agent, "SELECT name, ok, arguments FROM tool_calls")
    assert calls == [("record", 1, '{"entry": "rent"}')]  # recorded once, not again by the log


async def test_a_failed_call_leaves_no_effect_and_is_still_recorded(agent):
    outcome = await agent.run_tool("record_then_fail", {"entry": "rent"}, session="s")
    assert (outcome.ok, outcome.error_code, outcome.recorded) == (False, "ledger_full", False)
    assert rows(agent, "SELECT entry FROM test_ledger") == []
    assert rows(agent, "SELECT name, ok, error_code FROM tool_calls") == [("record_then_fail", 0, "ledger_full")]


async def test_a_timed_out_call_leaves_no_effect(agent):
    outcome = await agent.run_tool("record_then_hang", {"entry": "rent"}, session="s")
    assert (outcome.ok, outcome.error_code) == (False, "tool_timeout")
    ok = await agent.run_tool("record", {"entry": "gas"}, session="s")  # the database is not held up
    assert ok.ok
    assert rows(agent, "SELECT entry FROM test_ledger") == [("gas",)]


async def test_concurrent_calls_each_commit_their_own_transaction(agent):
    outcomes = await asyncio.gather(*(agent.run_tool("record", {"entry": f"e{i}"}, session=f"s{i}") for i in range(12)))
    assert all(o.ok for o in outcomes)
    assert len(rows(agent, "SELECT entry FROM test_ledger")) == 12
    assert rows(agent, "SELECT count(*) FROM tool_calls WHERE name = 'record' AND ok = 1") == [(12,)]
