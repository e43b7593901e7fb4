"""``hearth wyoming`` for real: a service process on 127.0.0.1, clients built with the ``wyoming``
library as Home Assistant's Wyoming integration builds them."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import HEARTH
from wyoming.asr import Transcript
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.intent import Intent, NotRecognized, Recognize
from wyoming.ping import Ping, Pong

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def service(home, monkeypatch):
    (home / "plugins").mkdir()
    shutil.copy(PLUGINS / "slow.py", home / "plugins" / "slow.py")
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,slow")
    proc = subprocess.Popen([HEARTH, "wyoming", "--uri", "tcp://127.0.0.1:0", "--no-prewarm"], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"tcp://127\.0\.0\.1:(\d+)", line)
    assert m, f"{line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    yield int(m.group(1)), proc
    proc.terminate()
    proc.wait(15)


async def exchange(port: int, *events: Event, replies: int = 1) -> list[Event]:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        for ev in events:
            await client.write_event(ev)
        got = []
        async with asyncio.timeout(30):
            for _ in range(replies):
                got.append(await client.read_event())
        return got


def history(session: str) -> list[dict]:
    from hearth import Storage
    return Storage().history(session)


async def test_describe_lists_a_conversation_agent_and_an_intent_recognizer(service):
    port, _ = service
    (reply,) = await exchange(port, Describe().event())
    info = Info.from_event(reply)
    assert [(p.name, p.installed, [m.languages for m in p.models]) for p in info.handle] == [("hearth", True, [["en"]])]
    assert [(p.name, p.installed) for p in info.intent] == [("hearth-intents", True)]
    assert info.asr == [] and info.tts == []


async def test_transcript_is_handled_and_the_item_stored(service):
    port, _ = service
    (reply,) = await exchange(port, Transcript("add honey to my shopping list", context={"conversation_id": "c1"}).event())
    assert Handled.is_type(reply.type)
    handled = Handled.from_event(reply)
    assert handled.text == "Added honey to your shopping list."
    assert handled.context == {"conversation_id": "c1"}
    from sqlmodel import select

    from hearth import Storage
    from hearth.tools.shopping_list import ShoppingItem
    with Storage().session() as s:
        assert [i.name for i in s.exec(select(ShoppingItem)).all()] == ["honey"]


async def test_each_conversation_keeps_its_own_history(service):
    port, _ = service
    await exchange(port, Transcript("add tea to my shopping list", context={"conversation_id": "kitchen"}).event())
    await exchange(port, Transcript("add rice to my shopping list", context={"satellite_id": "living-room"}).event())
    await exchange(port, Transcript("what is on my shopping list", context={"conversation_id": "kitchen"}).event())
    assert [m["content"] for m in history("kitchen") if m["role"] == "user"] == [
        "add tea to my shopping list", "what is on my shopping list"]
    assert [m["content"] for m in history("living-room") if m["role"] == "user"] == ["add rice to my shopping list"]


async def test_a_failed_turn_is_not_handled_with_its_reason(service):
    port, _ = service
    (reply,) = await exchange(port, Transcript("   ").event())
    assert NotHandled.is_type(reply.type)
    not_handled = NotHandled.from_event(reply)
    assert "empty" in not_handled.text and not_handled.context["code"] == "empty_message"


async def test_recognize_answers_tier_one_intents_without_running_them(service):
    port, _ = service
    (tool,) = await exchange(port, Recognize("add milk to my shopping list").event())
    assert Intent.from_event(tool).name == "add_to_shopping_list"
    assert [(e.name, e.value) for e in Intent.from_event(tool).entities] == [("item", "milk")]
    (ha,) = await exchange(port, Recognize("cancel my 5 minute timer").event())
    intent = Intent.from_event(ha)
    assert intent.name == "HassCancelTimer" and ("start_minutes", 5) in [(e.name, e.value) for e in intent.entities]
    (none,) = await exchange(port, Recognize("what is the meaning of life").event())
    assert NotRecognized.is_type(none.type)
    from sqlmodel import select

    from hearth import Storage
    from hearth.tools.shopping_list import ShoppingItem
    with Storage().session() as s:
        assert s.exec(select(ShoppingItem)).all() == []  # recognized, not run


async def test_unknown_events_get_an_error_and_the_connection_keeps_working(service):
    port, _ = service
    err, pong = await exchange(port, Event(type="dance", data={"x": 1}), Ping(text="hi").event(), replies=2)
    assert Error.from_event(err).code == "unknown_event"
    assert Pong.from_event(pong).text == "hi"


async def test_a_malformed_line_gets_an_error_and_the_service_stays_up(service):
    port, proc = service
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"this is not json\n")
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), 10)
    assert b'"type": "error"' in line
    rest = await asyncio.wait_for(reader.read(), 10)  # the service closes the connection
    assert b"bad_event" in line + rest
    writer.close()
    (reply,) = await exchange(port, Describe().event())
    assert Info.is_type(reply.type) and proc.poll() is None


async def test_a_client_that_leaves_mid_turn_leaves_the_service_healthy(service):
    port, proc = service
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    from wyoming.event import async_write_event
    await async_write_event(Transcript("slowly say figs", context={"conversation_id": "gone"}).event(), writer)
    writer.close()
    await asyncio.sleep(2.5)  # the tool takes 1.5 s
    (reply,) = await exchange(port, Transcript("add figs to my shopping list").event())
    assert Handled.from_event(reply).text == "Added figs to your shopping list."
    assert history("gone")[-1] == {"role": "assistant", "content": "You said figs."}
    assert proc.poll() is None
