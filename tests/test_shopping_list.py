"""The shopping list: item parsing in process, and the tools end to end through `hearth tools run`.

Each `hearth tools run` is a fresh process (about a second), so the CLI scenarios run once per
module, as two independent timelines (each with its own HEARTH_HOME) side by side; each test then
checks one step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hearth import Agent, Storage
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.tools.shopping_list import item_key, split_items, split_quantity

HEARTH = str(Path(sys.executable).with_name("hearth"))


@pytest.fixture(autouse=True)
def hearth_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")


# ---- item text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2 loaves of bread", ("bread", 2)),
    ("hummus", ("hummus", None)),
    ("three cartons of milk.", ("milk", 3)),
    ("a dozen eggs", ("eggs", 12)),
    ("a couple of apples", ("apples", 2)),
    ("Two Bottles Of Wine", ("Wine", 2)),
    ("some milk", ("milk", None)),
    ("  olive   oil ", ("olive oil", None)),
])
def test_split_quantity(text, expected):
    assert split_quantity(text) == expected


@pytest.mark.parametrize("name, key", [
    ("Tomatoes", "tomato"),
    ("hummus", "hummus"),
    ("Breads", "bread"),
    ("glass", "glass"),
    ("Swiss cheeses", "swiss cheese"),
    ("tea", "tea"),
    ("berries", "berry"),
])
def test_item_key(name, key):
    assert item_key(name) == key


@pytest.mark.parametrize("plural, singular", [
    ("cookies", "cookie"), ("knives", "knife"), ("loaves", "loaf"), ("potatoes", "potato"), ("peaches", "peach"),
    ("radishes", "radish"), ("boxes", "box"), ("glasses", "glass"), ("sauces", "sauce"),
])
def test_plural_and_singular_share_a_key(plural, singular):
    assert item_key(plural) == item_key(singular)


@pytest.mark.parametrize("plural, singular", [("olives", "olive"), ("cloves", "clove")])
def test_plural_ending_in_ves_shares_a_key_with_its_singular(plural, singular):
    assert item_key(plural) == item_key(singular)


# ---- the tools in process (cases the CLI timelines below do not reach) --------------------------------


@pytest.fixture
def agent(tmp_path):
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    return Agent(models=placeholder, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


async def test_adding_a_checked_off_item_puts_it_back_with_the_new_quantity(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "eggs", "quantity": 6})
    await agent.run_tool("check_off_shopping_list", {"item": "eggs"})

    outcome = await agent.run_tool("add_to_shopping_list", {"item": "egg", "quantity": 2})

    assert (outcome.result, outcome.say) == ({"name": "eggs", "quantity": 2, "checked": False},
                                             "Added 2 egg to your shopping list.")


async def test_quantity_below_one_is_refused(agent):
    outcome = await agent.run_tool("add_to_shopping_list", {"item": "eggs", "quantity": 0})

    assert (outcome.error_code, outcome.result) == ("invalid_quantity", "The quantity must be at least 1, not 0.")


async def test_blank_item_is_refused(agent):
    outcome = await agent.run_tool("remove_from_shopping_list", {"item": "  "})

    assert (outcome.error_code, outcome.result) == ("item_missing", "Say which item you mean.")


async def test_list_sentence_names_only_open_items(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "3 lemons"})
    await agent.run_tool("add_to_shopping_list", {"item": "milk"})
    await agent.run_tool("add_to_shopping_list", {"item": "soap"})
    await agent.run_tool("check_off_shopping_list", {"item": "soap"})

    outcome = await agent.run_tool("get_shopping_list", {})

    assert outcome.say == "On your shopping list: 3 lemons, milk."


@pytest.mark.parametrize("text, items", [
    ("milk and eggs", ["milk", "eggs"]),
    ("bananas, yogurt and granola", ["bananas", "yogurt", "granola"]),
    ("two loaves of bread and a jar of peanut butter", ["two loaves of bread", "a jar of peanut butter"]),
    ("mac and cheese", ["mac and cheese"]),
    ("salt and pepper chips", ["salt and pepper chips"]),
    ("strawberry and banana yogurt", ["strawberry and banana yogurt"]),
    ("macaroni and cheese and apples", ["macaroni and cheese", "apples"]),
    ("apples and chocolate chips", ["apples", "chocolate chips"]),
    ("milk to my shopping list", ["milk"]),
    ("the apples and the pears off my list", ["the apples", "the pears"]),
    ("mac and cheese and orange juice", ["mac and cheese", "orange juice"]),
    ("salt and vinegar crisps and apples", ["salt and vinegar crisps", "apples"]),
    # a list said without commas: plural nouns, or staples, are each a thing
    ("onions carrots and celery", ["onions", "carrots", "celery"]),
    ("bread milk and eggs", ["bread", "milk", "eggs"]),
    ("apples pears and plums", ["apples", "pears", "plums"]),
    # ... but a name that is one thing stays whole
    ("coffee beans and bread rolls", ["coffee beans", "bread rolls"]),
    ("brussels sprouts and carrots", ["brussels sprouts", "carrots"]),
    ("green beans", ["green beans"]),
    ("baked beans", ["baked beans"]),
    # a remark or a reason said after the items is not an item
    ("two bottles of olive oil, we're nearly out", ["two bottles of olive oil"]),
    ("milk because we ran out", ["milk"]),
    ("eggs, bread since we're out", ["eggs", "bread"]),
])
def test_split_items_keeps_names_that_are_one_thing_whole(text, items):
    assert split_items(text) == items


async def test_a_quantity_corrected_with_not_replaces_the_count(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "6 eggs"})
    done = await agent.run_tool("add_to_shopping_list", {"item": "12 eggs not 6"})
    assert done.ok and done.result["quantity"] == 12
    items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    assert [(i["name"], i["quantity"]) for i in items] == [("eggs", 12)]


async def test_when_it_happened_is_not_part_of_the_item(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "tea"})
    done = await agent.run_tool("check_off_shopping_list", {"item": "the tea this morning"})
    assert done.ok and done.say == "Checked off tea."


async def test_the_rest_of_a_question_is_not_part_of_the_item(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "6 apples"})
    for item in ("apples have I got down", "apples do we need", "apples we need"):
        done = await agent.run_tool("is_on_shopping_list", {"item": item})
        assert done.say == "Yes, 6 apples are on your shopping list.", item


async def test_several_items_in_one_add_each_with_its_quantity(agent):
    outcome = await agent.run_tool("add_to_shopping_list", {"item": "two loaves of bread, milk and a jar of peanut butter"})

    assert outcome.say == "Added 2 bread, milk and peanut butter to your shopping list."
    items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    assert [(i["name"], i["quantity"]) for i in items] == [("bread", 2), ("milk", 1), ("peanut butter", 1)]


async def test_removing_several_items_names_the_missing_one(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "milk and eggs"})

    outcome = await agent.run_tool("remove_from_shopping_list", {"item": "milk, eggs and tea"})

    assert outcome.say == "Removed milk and eggs from your shopping list. Tea was not on it."
    assert (await agent.run_tool("get_shopping_list", {})).result["items"] == []


async def test_checking_off_several_items(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "tortillas, salsa and limes"})

    outcome = await agent.run_tool("check_off_shopping_list", {"item": "the tortillas and the salsa"})

    assert outcome.say == "Checked off tortillas and salsa."
    items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    assert [(i["name"], i["checked"]) for i in items] == [("tortillas", True), ("salsa", True), ("limes", False)]


async def test_is_on_shopping_list_answers_and_changes_nothing(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "a dozen eggs"})
    await agent.run_tool("add_to_shopping_list", {"item": "milk"})
    await agent.run_tool("check_off_shopping_list", {"item": "milk"})

    says = [(await agent.run_tool("is_on_shopping_list", {"item": i})).say for i in ("eggs", "bread", "milk")]

    assert says == ["Yes, 12 eggs are on your shopping list.", "No, bread is not on your shopping list.",
                    "Milk is on your list, already checked off."]
    items = (await agent.run_tool("get_shopping_list", {})).result["items"]
    assert [(i["name"], i["quantity"], i["checked"]) for i in items] == [("eggs", 12, False), ("milk", 1, True)]


async def test_set_quantity_replaces_the_count(agent):
    await agent.run_tool("add_to_shopping_list", {"item": "3 apples"})

    outcome = await agent.run_tool("set_shopping_list_quantity", {"item": "apples", "quantity": 5})

    assert (outcome.result, outcome.say) == ({"name": "apples", "quantity": 5, "checked": False},
                                             "Changed apples to 5 on your shopping list.")


# ---- the CLI, in subprocesses --------------------------------------------------------------------------

# Each timeline runs in order in its own HEARTH_HOME; the two run side by side.
TIMELINES = {
    "list": [
        ("add bread", ["add_to_shopping_list", "--arg", "item=bread"]),
        ("add Breads", ["add_to_shopping_list", "--arg", "item=Breads"]),
        ("add 2 loaves", ["add_to_shopping_list", "--json-args", '{"item": "2 loaves of bread"}']),
        ("check off", ["check_off_shopping_list", "--arg", "item=bread"]),
        ("get list", ["get_shopping_list"]),
        ("clear", ["clear_shopping_list"]),
    ],
    "errors": [
        ("remove missing", ["remove_from_shopping_list", "--arg", "item=eggs"]),
        ("quantity two", ["add_to_shopping_list", "--arg", "item=bread", "--arg", "quantity=two"]),
    ],
}


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """{step: (exit code, stdout JSON, stderr)} for every step of every timeline."""

    def run_timeline(name):
        env = {**os.environ, "HEARTH_HOME": str(tmp_path_factory.mktemp(name)), "HEARTH_LOAD_PLUGINS": "shopping_list",
               "COLUMNS": "200"}
        results = {}
        for step, args in TIMELINES[name]:
            proc = subprocess.run([HEARTH, "tools", "run", *args], env=env, capture_output=True, text=True, timeout=60)
            results[step] = (proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None,
                             proc.stderr.strip())
        return results

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(run_timeline, ["list", "errors"]))
    return {step: result for results in done for step, result in results.items()}


def test_cli_add_prints_the_item_and_says_it(cli):
    assert cli["add bread"] == (0, {"name": "bread", "quantity": 1, "checked": False},
                                "Added bread to your shopping list.")


def test_cli_adding_a_plural_raises_the_quantity_of_the_same_item(cli):
    assert cli["add Breads"][:2] == (0, {"name": "bread", "quantity": 2, "checked": False})


def test_cli_quantity_in_the_item_text_is_added(cli):
    assert cli["add 2 loaves"] == (0, {"name": "bread", "quantity": 4, "checked": False},
                                   "Added 2 bread to your shopping list.")


def test_cli_check_off(cli):
    assert cli["check off"] == (0, {"name": "bread", "quantity": 4, "checked": True}, "Checked off bread.")


def test_cli_get_shopping_list(cli):
    assert cli["get list"] == (0, {"items": [{"name": "bread", "quantity": 4, "checked": True}]},
                               "Your shopping list is empty.")


def test_cli_clear(cli):
    assert cli["clear"] == (0, {"removed": 1}, "Cleared your shopping list (1 item).")


def test_cli_removing_a_missing_item_exits_1_with_its_code(cli):
    assert cli["remove missing"][:2] == (1, {"error": "item_not_found", "message": "Eggs is not on your shopping list."})


def test_cli_argument_of_the_wrong_type_exits_1_as_invalid(cli):
    assert cli["quantity two"][:2] == (1, {
        "error": "invalid_arguments",
        "message": "Invalid arguments for add_to_shopping_list: quantity: Input should be a valid integer, unable to "
                   "parse string as an integer (got 'two')"})
