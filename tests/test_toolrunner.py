"""Tools: schema derivation from typed functions, and ToolRunner's outcomes and error codes."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import threading
from typing import Literal

import pytest

from hearth import ToolBlocked, ToolContext, ToolError, ToolResult, hookimpl
from hearth.events import EventBus
from hearth.pluginmanager import PluginManager
from hearth.tooling.registry import ToolRegistry
from hearth.tooling.runner import ToolOutcome, ToolRunner
from hearth.tooling.tool import Tool, ToolDefinitionError


@pytest.fixture(autouse=True)
def hearth_env(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list")


@pytest.fixture
def ctx():
    return ToolContext(session="test", storage=None, bus=EventBus(), turn_id="t1")


def runner_for(*fns, before_call=None, **options) -> ToolRunner:
    """A ToolRunner over tools registered by a real in-process plugin via ``register(fn, **options)``."""

    class Plugin:
        @hookimpl
        def register_tools(self, register):
            for fn in fns:
                register(fn, **options)

    pm = PluginManager()
    pm.register_module(Plugin(), "under_test")
    pm.collect()
    assert pm.errors == {}
    return ToolRunner(pm.tools, before_call=before_call)


def settled(outcome: ToolOutcome) -> ToolOutcome:
    """The outcome with its (varying) duration zeroed, so whole outcomes compare."""
    return dataclasses.replace(outcome, duration_ms=0.0)


# ---- schema derivation ----------------------------------------------------------------------------


def order_pizza(
    topping: str,
    ctx: ToolContext,
    size: Literal["small", "large"] = "small",
    count: int = 1,
    note: str | None = None,
    extras: list[str] | None = None,
) -> dict:
    """Order a pizza from the corner shop.

    The shop closes at ten; this line is not part of the description.

    Args:
        topping: The topping, e.g. "mushroom".
        size: How big the pizza is.
        count: How many pizzas
            to order at once.
        note: A note for the driver.
    """
    return {}


def test_schema_from_typed_documented_function():
    tool = Tool(order_pizza)

    assert (tool.name, tool.description, tool.context_param, tool.parameters) == (
        "order_pizza",
        "Order a pizza from the corner shop.",
        "ctx",
        {
            "type": "object",
            "properties": {
                "topping": {"type": "string", "description": 'The topping, e.g. "mushroom".'},
                "size": {"type": "string", "enum": ["small", "large"], "description": "How big the pizza is.",
                         "default": "small"},
                "count": {"type": "integer", "description": "How many pizzas to order at once.", "default": 1},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "A note for the driver.",
                         "default": None},
                "extras": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                           "default": None},
            },
            "required": ["topping"],
            "additionalProperties": False,
        },
    )


def test_openai_style_schema_wraps_name_description_and_parameters():
    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert Tool(ping).schema() == {
        "type": "function",
        "function": {
            "name": "ping",
            "description": "Answer pong.",
            "parameters": {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
        },
    }


def test_parameter_without_type_hint_is_a_definition_error():
    def add(item, quantity: int = 1) -> None:
        """Add something."""

    with pytest.raises(ToolDefinitionError) as info:
        Tool(add)

    assert (str(info.value), info.value.code) == ("tool 'add': parameter 'item' has no type hint", "tool_definition")


def test_function_without_docstring_is_a_definition_error():
    def add(item: str) -> None:
        pass

    with pytest.raises(ToolDefinitionError) as info:
        Tool(add)

    assert str(info.value) == "tool 'add': give the function a docstring; its first line describes the tool"


def test_duplicate_tool_name_is_refused_naming_both_plugins():
    def ping() -> str:
        """Answer pong."""
        return "pong"

    registry = ToolRegistry()
    registry.add(Tool(ping, plugin="first"))

    with pytest.raises(ToolDefinitionError) as info:
        registry.add(Tool(ping, plugin="second"))

    assert (str(info.value), info.value.code) == (
        "tool 'ping' from plugin 'second' duplicates the one from plugin 'first'; rename one of them or "
        "disable a plugin with HEARTH_LOAD_PLUGINS",
        "duplicate_tool",
    )


def set_alarm(time: str, label: str = "") -> str:
    """Set an alarm.

    Args:
        time: When to ring.
            Format: HH:MM, 24-hour clock.
        label: A name for the alarm.
    """
    return time


def test_indented_continuation_line_with_a_colon_stays_in_its_argument():
    assert Tool(set_alarm).parameters["properties"]["time"] == {
        "type": "string", "description": "When to ring. Format: HH:MM, 24-hour clock."}


def roll_dice(sides: int, count: int = 1) -> int:
    """Roll some dice
    and add them up.

    Parameters
    ----------
    sides : int
        How many sides
        each die has.
    count : int
        How many dice to roll.
    """
    return sides * count


def test_numpy_style_docstring_describes_the_arguments():
    tool = Tool(roll_dice)

    assert (tool.description, tool.parameters["properties"]) == (
        "Roll some dice and add them up.",
        {"sides": {"type": "integer", "description": "How many sides each die has."},
         "count": {"type": "integer", "description": "How many dice to roll.", "default": 1}})


def test_a_type_json_cannot_express_is_a_definition_error():
    def remember(thing: threading.Event) -> None:
        """Remember something."""

    with pytest.raises(ToolDefinitionError) as info:
        Tool(remember)

    assert str(info.value).startswith("tool 'remember': an argument's type cannot be expressed as JSON")


async def test_a_number_given_as_text_reaches_the_tool_as_a_number(ctx):
    calls: list = []

    outcome = await runner_for(recording_add(calls)).run("add_item", {"item": "tea", "quantity": "2"}, ctx,
                                                         call_id="c1")

    assert (outcome.ok, calls) == (True, [("tea", 2)])


class Volume(enum.Enum):
    LOW = "low"
    HIGH = "high"


def speak(text: str, volume: Volume = Volume.LOW) -> str:
    """Say something aloud.

    Args:
        text: What to say.
        volume: How loud.
    """
    return f"{text}:{volume.value}"


def test_enum_parameter_schema_keeps_its_default():
    assert Tool(speak).parameters["properties"]["volume"] == {
        "type": "string", "enum": ["low", "high"], "description": "How loud.", "default": "low"}


async def test_enum_argument_reaches_the_tool_as_an_enum_member(ctx):
    outcome = await runner_for(speak).run("speak", {"text": "hi", "volume": "high"}, ctx, call_id="c1")

    assert settled(outcome) == ToolOutcome("c1", "speak", {"text": "hi", "volume": "high"}, True, "hi:high")


# ---- running ---------------------------------------------------------------------------------------


def recording_add(calls: list):
    def add_item(item: str, quantity: int = 1) -> dict:
        """Add an item.

        Args:
            item: What to add.
            quantity: How many.
        """
        calls.append((item, quantity))
        return {"item": item, "quantity": quantity}

    return add_item


async def test_valid_call_returns_the_tools_result(ctx):
    calls: list = []
    runner = runner_for(recording_add(calls))

    outcome = await runner.run("add_item", {"item": "bread", "quantity": 2}, ctx, call_id="c1")

    assert (settled(outcome), calls) == (
        ToolOutcome("c1", "add_item", {"item": "bread", "quantity": 2}, True, {"item": "bread", "quantity": 2}),
        [("bread", 2)],
    )


async def test_unknown_tool_is_reported_with_the_known_names(ctx):
    runner = runner_for(recording_add([]))

    outcome = await runner.run("add_to_list", {"item": "bread"}, ctx, call_id="c1")

    assert settled(outcome) == ToolOutcome(
        "c1", "add_to_list", {"item": "bread"}, False,
        "There is no tool called 'add_to_list'. Known tools: add_item.", error_code="unknown_tool")


async def test_wrong_argument_type_is_invalid_and_the_tool_is_not_called(ctx):
    calls: list = []
    runner = runner_for(recording_add(calls))

    outcome = await runner.run("add_item", {"item": "bread", "quantity": "two"}, ctx, call_id="c1")

    assert (settled(outcome), calls) == (
        ToolOutcome("c1", "add_item", {"item": "bread", "quantity": "two"}, False,
                    "Invalid arguments for add_item: quantity: Input should be a valid integer, unable to parse "
                    "string as an integer (got 'two')",
                    error_code="invalid_arguments"),
        [],
    )


async def test_missing_required_argument_is_invalid(ctx):
    calls: list = []
    runner = runner_for(recording_add(calls))

    outcome = await runner.run("add_item", {"quantity": 2}, ctx, call_id="c1")

    assert (settled(outcome), calls) == (
        ToolOutcome("c1", "add_item", {"quantity": 2}, False,
                    "Invalid arguments for add_item: item: Field required", error_code="invalid_arguments"),
        [],
    )


async def test_extra_argument_is_invalid(ctx):
    calls: list = []
    runner = runner_for(recording_add(calls))

    outcome = await runner.run("add_item", {"item": "bread", "colour": "brown"}, ctx, call_id="c1")

    assert (settled(outcome), calls) == (
        ToolOutcome("c1", "add_item", {"item": "bread", "colour": "brown"}, False,
                    "Invalid arguments for add_item: colour: Extra inputs are not permitted",
                    error_code="invalid_arguments"),
        [],
    )


async def test_arguments_that_are_not_an_object_are_invalid(ctx):
    runner = runner_for(recording_add([]))

    outcome = await runner.run("add_item", ["bread"], ctx, call_id="c1")

    assert settled(outcome) == ToolOutcome(
        "c1", "add_item", {}, False, "Arguments for add_item must be a JSON object, got list",
        error_code="invalid_arguments")


async def test_sync_tool_past_its_timeout_is_abandoned_quickly(ctx):
    release = threading.Event()

    def slow_lookup() -> str:
        """Look something up slowly."""
        release.wait(5)
        return "late"

    runner = runner_for(slow_lookup, timeout=0.2)
    try:
        outcome = await runner.run("slow_lookup", {}, ctx, call_id="c1")
    finally:
        release.set()  # let the worker thread finish so the loop can close

    assert (settled(outcome), outcome.duration_ms < 1000) == (
        ToolOutcome("c1", "slow_lookup", {}, False, "slow_lookup did not answer within 0.2 s, so Hearth stopped waiting for it",
                    error_code="tool_timeout"),
        True,
    )


async def test_async_tool_that_hangs_times_out(ctx):
    async def wait_forever() -> str:
        """Wait for something that never comes."""
        await asyncio.sleep(60)
        return "never"

    runner = runner_for(wait_forever, timeout=0.2)

    outcome = await runner.run("wait_forever", {}, ctx, call_id="c1")

    assert (settled(outcome), outcome.duration_ms < 1000) == (
        ToolOutcome("c1", "wait_forever", {}, False, "wait_forever did not answer within 0.2 s, so Hearth stopped waiting for it",
                    error_code="tool_timeout"),
        True,
    )


async def test_tool_error_keeps_its_message_and_code(ctx):
    def find(item: str) -> str:
        """Find an item.

        Args:
            item: What to find.
        """
        raise ToolError(f"{item} is not here.", "my_code")

    outcome = await runner_for(find).run("find", {"item": "milk"}, ctx, call_id="c1")

    assert settled(outcome) == ToolOutcome("c1", "find", {"item": "milk"}, False, "milk is not here.",
                                           error_code="my_code")


async def test_unexpected_exception_is_tool_failed_with_its_message(ctx):
    def explode() -> str:
        """Fail badly."""
        raise RuntimeError("disk on fire")

    outcome = await runner_for(explode).run("explode", {}, ctx, call_id="c1")

    assert settled(outcome) == ToolOutcome("c1", "explode", {}, False,
                                           "explode failed: RuntimeError: disk on fire", error_code="tool_failed")


async def test_tool_result_passes_data_and_sentence_through(ctx):
    def greet(name: str) -> ToolResult:
        """Greet someone.

        Args:
            name: Who to greet.
        """
        return ToolResult({"greeted": name}, say=f"Hello, {name}!")

    outcome = await runner_for(greet).run("greet", {"name": "Ada"}, ctx, call_id="c1")

    assert settled(outcome) == ToolOutcome("c1", "greet", {"name": "Ada"}, True, {"greeted": "Ada"},
                                           say="Hello, Ada!")


async def test_context_parameter_is_injected(ctx):
    def whoami(ctx: ToolContext) -> str:
        """Say which session is asking."""
        return f"{ctx.session}/{ctx.turn_id}"

    outcome = await runner_for(whoami).run("whoami", {}, ctx, call_id="c1")

    assert settled(outcome) == ToolOutcome("c1", "whoami", {}, True, "test/t1")


async def test_before_call_that_raises_tool_blocked_blocks_the_call(ctx):
    calls: list = []
    seen: list = []

    async def guard(call, call_ctx):
        seen.append(call)
        raise ToolBlocked("the kitchen is locked")

    runner = runner_for(recording_add(calls), before_call=guard)

    outcome = await runner.run("add_item", {"item": "bread"}, ctx, call_id="c1")

    assert (settled(outcome), seen, calls) == (
        ToolOutcome("c1", "add_item", {"item": "bread"}, False,
                    "The call to add_item was blocked: the kitchen is locked", error_code="tool_blocked"),
        [{"id": "c1", "name": "add_item", "arguments": {"item": "bread"}}],
        [],
    )


async def test_before_call_that_fails_otherwise_is_a_plugin_error(ctx):
    calls: list = []

    async def guard(call, call_ctx):
        raise PermissionError("the kitchen is locked")

    outcome = await runner_for(recording_add(calls), before_call=guard).run("add_item", {"item": "bread"}, ctx,
                                                                           call_id="c1")

    assert (settled(outcome), calls) == (
        ToolOutcome("c1", "add_item", {"item": "bread"}, False,
                    "The check before add_item failed: PermissionError: the kitchen is locked",
                    error_code="plugin_error"),
        [],
    )


def test_failed_outcome_for_the_model_is_error_json():
    outcome = ToolOutcome("c1", "find", {}, False, "milk is not here.", error_code="item_not_found")

    assert outcome.for_model() == '{"error": "item_not_found", "message": "milk is not here."}'


async def test_call_ids_count_up_when_none_is_given(ctx):
    runner = runner_for(recording_add([]))

    first = await runner.run("add_item", {"item": "a"}, ctx)
    second = await runner.run("add_item", {"item": "b"}, ctx)

    assert (first.call_id, second.call_id) == ("call_1", "call_2")
