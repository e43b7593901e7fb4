"""Hearth keeps what it acknowledged: ``hearth serve`` is killed (SIGKILL) at a random point of 20
concurrent websocket adds, restarted, and every item whose tool result a client received is on the
list, with its call record, and the database passes ``PRAGMA integrity_check``."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3

import pytest
from test_server import GROCERIES, Server, shopping_list
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from hearth import Agent
from hearth.storage import Storage


async def add_and_listen(ws_url: str, item: str, acknowledged: set[str]) -> None:
    """Add ``item`` over its own websocket; it is acknowledged once its ok tool result arrives."""
    try:
        async with connect(ws_url) as ws:
            await ws.recv()  # hello
            await ws.send(json.dumps({"type": "chat", "text": f"add {item} to my shopping list"}))
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "tool_result" and frame["ok"]:
                    acknowledged.add(item)
                if frame["type"] in ("finished", "failed", "error"):
                    return
    except (ConnectionClosed, OSError):
        return  # the server was killed under us


@pytest.mark.parametrize("round_", range(3))
async def test_a_killed_server_keeps_everything_it_acknowledged(home, round_):
    rng = random.Random(round_)
    server = Server(home).start()
    acknowledged: set[str] = set()
    try:
        adds = [asyncio.create_task(add_and_listen(server.ws, item, acknowledged)) for item in GROCERIES]
        await asyncio.sleep(rng.uniform(0.05, 1.5))  # a random point of the 20 adds
        server.proc.kill()
        server.proc.wait(10)
        await asyncio.gather(*adds)
    finally:
        server.stop()
    db = home / "hearth.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        records = {json.loads(a).get("item") for (a,) in conn.execute(
            "SELECT arguments FROM tool_calls WHERE name = 'add_to_shopping_list' AND ok = 1")}
    restarted = Server(home).start()
    try:
        stored = set(await asyncio.to_thread(shopping_list, restarted))
    finally:
        restarted.stop()
    assert acknowledged <= stored, f"lost: {acknowledged - stored}"
    assert acknowledged <= records  # the record is stored before the result is sent
    assert stored <= records, f"stored without the record of the call: {stored - records}"  # one transaction


async def test_every_stored_item_has_its_call_record_in_the_same_transaction(home, tmp_path):
    agent = Agent(storage=Storage(f"sqlite:///{tmp_path}/t.db"))
    await agent.start(load_model=False)
    try:
        outcome = await agent.run_tool("add_to_shopping_list", {"item": "milk"}, session="s")
    finally:
        await agent.stop()
    assert outcome.ok and outcome.recorded  # committed with the item, not after it
