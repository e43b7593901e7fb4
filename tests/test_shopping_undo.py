"""The shopping list's undo: every write answers with the call that puts back exactly what it changed
(``ToolResult.undo``), and running that call puts the list back as it was."""

from __future__ import annotations

import pytest

from hearth import Agent, Storage
from hearth.config import ModelConfig, ModelsFile, Roles


@pytest.fixture
def agent(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    return Agent(models=placeholder, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


async def _list(agent) -> list[tuple[str, int, bool]]:
    items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    return [(i["name"], i["quantity"], i["checked"]) for i in items]


# (the list before: (name, quantity, checked)), the call, the undo it answers with
UNDO = [
    ([], ("add_to_shopping_list", {"item": "milk"}), ("remove_from_shopping_list", {"item": "milk"})),
    ([("eggs", 6, False)], ("add_to_shopping_list", {"item": "eggs", "quantity": 2}),
     ("set_shopping_list_quantity", {"item": "eggs", "quantity": 6})),
    ([("eggs", 6, True)], ("add_to_shopping_list", {"item": "eggs"}),
     ("restore_shopping_list", {"items": [{"name": "eggs", "quantity": 6, "checked": True}]})),
    ([("eggs", 6, False)], ("remove_from_shopping_list", {"item": "eggs"}),
     ("add_to_shopping_list", {"item": "eggs", "quantity": 6})),
    ([("eggs", 6, True)], ("remove_from_shopping_list", {"item": "eggs"}),
     ("restore_shopping_list", {"items": [{"name": "eggs", "quantity": 6, "checked": True}]})),
    ([("eggs", 6, False)], ("check_off_shopping_list", {"item": "eggs"}), ("uncheck_shopping_list", {"item": "eggs"})),
    ([("eggs", 6, True)], ("uncheck_shopping_list", {"item": "eggs"}), ("check_off_shopping_list", {"item": "eggs"})),
    ([("milk", 1, False), ("eggs", 6, True)], ("check_off_shopping_list", {"everything": True}),
     ("restore_shopping_list", {"items": [{"name": "milk", "quantity": 1, "checked": False}]})),
    ([("eggs", 6, False)], ("set_shopping_list_quantity", {"item": "eggs", "quantity": 12}),
     ("set_shopping_list_quantity", {"item": "eggs", "quantity": 6})),
    ([("eggs", 6, True)], ("set_shopping_list_quantity", {"item": "eggs", "quantity": 12}),
     ("restore_shopping_list", {"items": [{"name": "eggs", "quantity": 6, "checked": True}]})),
    ([("milk", 1, False), ("eggs", 6, True)], ("clear_shopping_list", {}),
     ("restore_shopping_list", {"items": [{"name": "milk", "quantity": 1, "checked": False},
                                          {"name": "eggs", "quantity": 6, "checked": True}]})),
    ([("milk", 1, False), ("eggs", 6, True)], ("clear_shopping_list", {"checked_only": True}),
     ("restore_shopping_list", {"items": [{"name": "eggs", "quantity": 6, "checked": True}]})),
    # a call that changed nothing has nothing to undo
    ([("eggs", 6, True)], ("check_off_shopping_list", {"item": "eggs"}), None),
    ([("eggs", 6, False)], ("uncheck_shopping_list", {"item": "eggs"}), None),
    ([("eggs", 6, False)], ("set_shopping_list_quantity", {"item": "eggs", "quantity": 6}), None),
    ([("eggs", 6, False)], ("clear_shopping_list", {"checked_only": True}), None),
    ([], ("clear_shopping_list", {}), None),
]


async def _start(agent, items: list[tuple[str, int, bool]]) -> None:
    if items:
        entries = [{"name": n, "quantity": q, "checked": c} for n, q, c in items]
        assert (await agent.run_tool("restore_shopping_list", {"items": entries})).ok


@pytest.mark.parametrize("before, call, undo", UNDO)
async def test_a_write_answers_with_its_undo(agent, before, call, undo):
    await _start(agent, before)

    outcome = await agent.run_tool(*call)

    assert outcome.ok and outcome.undo == undo


@pytest.mark.parametrize("before, call, undo", [case for case in UNDO if case[2]])
async def test_running_the_undo_puts_the_list_back(agent, before, call, undo):
    await _start(agent, before)
    await agent.run_tool(*call)

    assert (await agent.run_tool(*undo)).ok
    assert sorted(await _list(agent)) == sorted(before)


async def test_restore_sets_each_item_exactly(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "eggs", "quantity": 2})

    outcome = await agent.run_tool("restore_shopping_list", {"items": [
        {"name": "eggs", "quantity": 6, "checked": True}, {"name": "milk", "quantity": 1, "checked": False}]})

    assert outcome.say == "Put 2 items back on your shopping list."
    assert await _list(agent) == [("eggs", 6, True), ("milk", 1, False)]


async def test_restore_needs_items(agent):
    assert (await agent.run_tool("restore_shopping_list", {"items": []})).error_code == "item_missing"
