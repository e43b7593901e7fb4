"""The dialogue's mechanisms through the real ``hearth.Agent`` on tier 1 (no model): undo, corrections,
references, more of the same, and what the dialogue waits for, judged by the state the turns leave
(the shopping list, the timers) and the replies. The pure readings are in test_dialogue.py.
"""

from __future__ import annotations

import pytest
from conftest import new_tier1_agent

from hearth import Agent, Waiting
from hearth.storage import Storage


def _agent(tmp_path, monkeypatch) -> Agent:
    return new_tier1_agent(tmp_path, monkeypatch)  # a turn that reaches a model fails with backend_missing


async def _items(agent: Agent) -> list[tuple[str, int, bool]]:
    items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    return [(i["name"], i["quantity"], i["checked"]) for i in items]


async def _timers(agent: Agent) -> list[tuple[str | None, int]]:
    timers = (await agent.run_tool("timer_status", {})).result["timers"]
    return sorted((t.get("name"), t["duration_s"]) for t in timers)


async def _say(agent: Agent, *turns: str) -> list[str]:
    """Each turn's reply; every turn is answered on tier 1."""
    replies = []
    for text in turns:
        done = await agent.ask(text, session="k")
        assert (done.type, done.tier) == ("finished", 1), (text, done)
        replies.append(done.text)
    return replies


@pytest.mark.parametrize("turns, items", [
    (["add bananas", "undo"], []),
    (["add tomatoes", "scratch that"], []),
    (["add milk", "never mind"], []),
    (["add apples", "check them off", "put it back on the list"], [("apples", 1, False)]),
    (["add eggs", "remove eggs", "undo"], [("eggs", 1, False)]),
    (["add eggs", "make that a dozen"], [("eggs", 12, False)]),
    (["add eggs", "no, I said three"], [("eggs", 3, False)]),
    (["add oat milk", "add milk", "actually make it soy milk"], [("oat milk", 1, False), ("soy milk", 1, False)]),
    (["add ham", "wait, I meant turkey"], [("turkey", 1, False)]),
    (["add sugar", "and flour", "and make the sugar two bags"], [("flour", 1, False), ("sugar", 2, False)]),
    (["add milk and eggs", "remove the last thing"], [("milk", 1, False)]),
    (["add milk and eggs", "actually remove them"], []),
    (["add butter", "oh and two lemons"], [("butter", 1, False), ("lemons", 2, False)]),
    (["add onions", "and garlic", "make that three"], [("onions", 1, False), ("garlic", 3, False)]),
])
async def test_follow_ups_leave_the_list_right(tmp_path, monkeypatch, turns, items):
    agent = _agent(tmp_path, monkeypatch)
    await _say(agent, *turns)
    assert await _items(agent) == items
    await agent.stop()


async def test_a_correction_says_what_it_did(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch)
    replies = await _say(agent, "add eggs", "make that a dozen")
    assert "12 eggs" in replies[1]
    await agent.stop()


async def test_undo_with_nothing_to_undo_says_so(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch)
    assert await _say(agent, "undo") == ["There's nothing to undo."]
    await agent.stop()


async def test_a_timer_corrected_keeps_its_unit(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch)
    await _say(agent, "set a timer for 5 minutes", "no, make it 7")
    assert await _timers(agent) == [(None, 420)]
    await _say(agent, "set a pasta timer for 10 minutes", "cancel it")
    assert await _timers(agent) == [(None, 420)]
    await agent.stop()


async def test_undo_and_corrections_survive_a_restart(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch)
    await _say(agent, "add eggs", "add milk")
    await agent.stop()
    again = Agent(models=agent.models, plugins=agent.plugins, storage=Storage(f"sqlite:///{tmp_path}/t.db"))
    await _say(again, "undo", "make the eggs a dozen")
    assert await _items(again) == [("eggs", 12, False)]
    await again.stop()


async def test_a_destructive_call_not_strictly_matched_waits_for_yes(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch)
    await _say(agent, "add milk")
    events = [e async for e in agent.turn("empty my shoping lisst", session="k")]
    waiting = [e for e in events if isinstance(e, Waiting)]
    assert [(w.kind, w.tool) for w in waiting] == [("confirm", "clear_shopping_list")]
    assert await _say(agent, "no") == ["Okay, I won't."]
    assert await _items(agent) == [("milk", 1, False)]
    [e async for e in agent.turn("empty my shoping lisst", session="k")]
    await _say(agent, "yes")
    assert await _items(agent) == []
    await agent.stop()


async def test_a_missing_argument_is_a_public_wait(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch)
    events = [e async for e in agent.turn("set a timer for the chicken", session="k")]
    waiting = [(e.kind, e.question, e.tool, e.slot) for e in events if isinstance(e, Waiting)]
    assert waiting == [("argument", "How long should the chicken timer run?", "start_timer", "duration")]
    assert await _say(agent, "40 minutes") == ["Chicken timer set for 40 minutes."]
    await agent.stop()
