"""Storage: conversations, the tool-call log, WAL mode, and a committed row surviving SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlmodel import select

from hearth import Storage
from hearth.tooling.runner import ToolOutcome


@pytest.fixture(autouse=True)
def hearth_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")


@pytest.fixture
def storage(tmp_path):
    s = Storage(f"sqlite:///{tmp_path}/t.db")
    s.create_tables()
    yield s
    s.engine.dispose()


TURN = [
    {"role": "user", "content": "add bread"},
    {"role": "assistant", "content": "",
     "tool_calls": [{"id": "call_1", "name": "add_to_shopping_list", "arguments": {"item": "bread"}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "add_to_shopping_list", "content": '{"name": "bread"}'},
    {"role": "assistant", "content": "Added bread to your shopping list."},
]


def test_messages_round_trip_in_order(storage):
    storage.add_messages("kitchen", "turn1", TURN)

    assert storage.history("kitchen") == TURN


def test_history_is_per_conversation(storage):
    storage.add_messages("kitchen", "turn1", [{"role": "user", "content": "add bread"}])
    storage.add_messages("garage", "turn2", [{"role": "user", "content": "add oil"}])

    assert storage.history("garage") == [{"role": "user", "content": "add oil"}]


def test_history_limit_keeps_the_latest_messages_in_order(storage):
    storage.add_messages("kitchen", "turn1", TURN)

    assert storage.history("kitchen", limit=2) == TURN[2:]


def test_messages_survive_a_new_storage_on_the_same_file(storage, tmp_path):
    storage.add_messages("kitchen", "turn1", TURN[:1])

    assert Storage(f"sqlite:///{tmp_path}/t.db").history("kitchen") == TURN[:1]


def test_tool_call_log_rows(storage):
    storage.log_tool_call("kitchen", "turn1", ToolOutcome(
        "call_1", "add_to_shopping_list", {"item": "bread"}, True, {"name": "bread", "quantity": 1}, duration_ms=2.5))
    storage.log_tool_call("kitchen", "turn1", ToolOutcome(
        "call_2", "remove_from_shopping_list", {"item": "milk"}, False, "milk is not on your shopping list.",
        error_code="item_not_found", duration_ms=1.0))
    storage.log_tool_call("garage", "turn2", ToolOutcome("call_3", "get_shopping_list", {}, True, {"items": []}))

    rows = [r.model_dump(exclude={"created_at"}) for r in storage.tool_calls("kitchen")]

    assert rows == [
        {"id": 1, "conversation_id": "kitchen", "turn_id": "turn1", "call_id": "call_1", "name": "add_to_shopping_list",
         "arguments": '{"item": "bread"}', "ok": True, "result": '{"name": "bread", "quantity": 1}',
         "error_code": None, "duration_ms": 2.5},
        {"id": 2, "conversation_id": "kitchen", "turn_id": "turn1", "call_id": "call_2",
         "name": "remove_from_shopping_list", "arguments": '{"item": "milk"}', "ok": False,
         "result": '"milk is not on your shopping list."', "error_code": "item_not_found", "duration_ms": 1.0},
    ]


def test_sqlite_runs_in_wal_mode_with_full_sync(storage):
    with storage.engine.connect() as conn:
        modes = (conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
                 conn.exec_driver_sql("PRAGMA synchronous").scalar())

    assert modes == ("wal", 2)  # 2 is FULL


def test_default_database_is_hearth_db_in_hearth_home(tmp_path):
    assert Storage().url == f"sqlite:///{tmp_path / 'home' / 'hearth.db'}"


ADD_THEN_HANG = textwrap.dedent('''
    import asyncio, sys, time
    from hearth import Agent, Storage
    from hearth.config import ModelConfig, ModelsFile, Roles

    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    agent = Agent(models=placeholder, storage=Storage(sys.argv[1]))
    outcome = asyncio.run(agent.run_tool("add_to_shopping_list", {"item": "milk"}, session="kitchen"))
    print("DONE", outcome.ok, flush=True)
    time.sleep(60)
''')


def test_committed_item_survives_sigkill(tmp_path):
    from hearth.tools.shopping_list import ShoppingItem

    url = f"sqlite:///{tmp_path}/t.db"
    env = {**os.environ, "HEARTH_HOME": str(tmp_path / "home"), "HEARTH_LOAD_PLUGINS": "shopping_list"}
    proc = subprocess.Popen([sys.executable, "-c", ADD_THEN_HANG, url], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)

    storage = Storage(url)
    with storage.session() as s:
        items = [(i.name, i.quantity, i.checked) for i in s.exec(select(ShoppingItem)).all()]
    logged = [(r.name, r.ok) for r in storage.tool_calls("kitchen")]
    assert (line, proc.returncode, items, logged) == (
        "DONE True", -signal.SIGKILL, [("milk", 1, False)], [("add_to_shopping_list", True)])


def test_concurrent_first_requests_of_a_session_all_succeed(tmp_path):
    # eight requests that each make the same new conversation at once: none fails on the unique key
    import threading

    from hearth.storage import Storage
    st = Storage(f"sqlite:///{tmp_path / 'race.db'}")
    st.create_tables()
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def first_request(i: int) -> None:
        try:
            barrier.wait()
            st.add_messages("same", f"t{i}", [{"role": "user", "content": f"hello {i}"}])
        except BaseException as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=first_request, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(m["content"] for m in st.history("same")) == sorted(f"hello {i}" for i in range(8))
