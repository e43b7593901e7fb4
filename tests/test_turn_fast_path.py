"""The match_intent hook: a plugin maps a message to a tool call and no model runs."""

from __future__ import annotations

import asyncio
import json

from hearth import Agent, hookimpl
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage


class Matcher:
    @hookimpl
    def match_intent(self, text, tools):
        if text.startswith("buy "):
            return {"name": "add_to_shopping_list", "arguments": {"item": text[4:]}}
        return None


class BrokenMatcher:
    @hookimpl
    def match_intent(self, text):
        raise RuntimeError("matcher bug")


def _agent(tmp_path, monkeypatch, *plugins):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")
    pm = PluginManager()
    pm.load()
    for name, p in plugins:
        pm.register_module(p, name)
    # a backend that no plugin provides: any model call would fail the turn with backend_missing
    models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
    return Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


async def test_a_matched_message_runs_the_tool_without_a_model(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, ("matcher", Matcher()))
    evs = [e async for e in agent.turn("buy oat milk", session="s")]
    assert [e.type for e in evs] == ["started", "routed", "tool_call", "tool_result", "text_delta", "finished"]
    assert (evs[1].tier, evs[1].reason, evs[1].model) == (1, "plugin matcher matched", None)
    assert evs[-1].text == "Added oat milk to your shopping list."
    history = agent.storage.history("s")
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]
    assert json.loads(history[2]["content"]) == {"name": "oat milk", "quantity": 1, "checked": False}


async def test_an_unmatched_message_goes_to_the_model(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, ("matcher", Matcher()))
    done = await agent.ask("hello", session="s")
    assert (done.type, done.code) == ("failed", "backend_missing")


async def test_a_raising_matcher_is_blocked_and_the_next_one_answers(tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, ("broken", BrokenMatcher()), ("matcher", Matcher()))
    done = await agent.ask("buy tea", session="s")
    assert done.text == "Added tea to your shopping list."
    assert agent.plugins.errors == {"broken": "match_intent raised RuntimeError: matcher bug"}


class Gate:
    """Holds every tool call until the test opens the gate, so turns can be caught under way."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.waiting = 0

    @hookimpl
    async def before_tool_call(self, call):
        self.waiting += 1
        await self.open.wait()


async def test_a_sessions_lock_lives_only_while_its_turns_run(tmp_path, monkeypatch):
    gate = Gate()
    agent = _agent(tmp_path, monkeypatch, ("matcher", Matcher()), ("gate", gate))
    first = asyncio.create_task(agent.ask("buy tea", session="s"))
    second = asyncio.create_task(agent.ask("buy milk", session="s"))
    while gate.waiting < 1:
        await asyncio.sleep(0.01)
    assert (list(agent._session_locks), gate.waiting) == (["s"], 1)  # the second turn waits for the first
    gate.open.set()
    done = [(await first).text, (await second).text]
    assert done == ["Added tea to your shopping list.", "Added milk to your shopping list."]
    # HTTP without X-Session-ID: a new session per request, and nothing of it stays behind
    others = [await agent.ask("buy bread") for _ in range(3)]
    assert ([o.type for o in others], len(agent._session_locks)) == (["finished"] * 3, 0)
