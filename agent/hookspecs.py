"""Hearth's hook specifications: the plugin author's manual.

A plugin is a module (a single ``.py`` file in ``$HEARTH_HOME/plugins/``, or a package registered
under the ``hearth`` entry-point group) with functions decorated ``@hookimpl`` whose names match
the hooks below. An implementation may accept fewer arguments than the spec names.

Registration hooks take a ``register`` callable, so new options arrive as keyword arguments and
never break an old plugin.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("hearth")
hookimpl = pluggy.HookimplMarker("hearth")


# -------------------------------------------------------------------------------------------------
# tools
# -------------------------------------------------------------------------------------------------


@hookspec
def register_tools(register) -> None:
    """Register tools: typed, documented functions the model (or a fast path) may call.

    Called once at start. ``register(fn, *, name=None, examples=(), slot_values=None, intents=None,
    timeout=10.0)``:

    - ``fn``: a function (sync or ``async``) with a type hint on every parameter and a docstring.
      The summary line describes the tool; ``Args:`` lines describe the arguments; ``Literal``
      becomes an enum; a parameter typed ``hearth.ToolContext`` is injected and hidden from the
      model. Return any JSON value, or ``hearth.ToolResult(data, say="...")`` to also give the
      sentence to speak. Raise ``hearth.ToolError(message, code)`` for a failure the user hears.
    - ``examples``: sentence templates in Home Assistant's style (``[optional]``, ``(a|b)``,
      ``{slot}``, where a slot is an argument) that the intent fast path (tier 1) matches without a
      model, and that small models see as examples.
    - ``slot_values``: sample values per slot, used to fill examples for small models.
    - ``intents``: Home Assistant intents this tool answers, matched with the English sentences
      of the ``home-assistant-intents`` package: ``{"HassStartTimer": to_args}`` where
      ``to_args(slots: dict) -> dict`` turns the intent's slots into this tool's arguments
      (``None`` when the slots are the arguments, as ``{"HassShoppingListAddItem": None}``).
    - ``timeout``: seconds before the call is abandoned with ``tool_timeout``.

    Example::

        from hearth import hookimpl

        def roll_die(sides: int = 6) -> int:
            \"\"\"Roll a die.

            Args:
                sides: How many sides the die has.
            \"\"\"
            return random.randint(1, sides)

        @hookimpl
        def register_tools(register):
            register(roll_die, examples=["roll a {sides} sided die"])
    """


@hookspec
def before_tool_call(call: dict[str, Any], ctx) -> None:
    """Inspect a validated tool call before it runs; raise any exception to block it.

    ``call`` is ``{"id", "name", "arguments"}``; ``ctx`` is the ``hearth.ToolContext``. A blocked
    call reaches the model as a ``tool_blocked`` error with the exception's message.
    """


# -------------------------------------------------------------------------------------------------
# model backends and speech engines
# -------------------------------------------------------------------------------------------------


@hookspec
def register_backends(register) -> None:
    """Register model backends by name: ``register(name, factory)``.

    ``factory(name: str, config: hearth.ModelConfig) -> hearth.Backend`` builds the backend for one
    ``[models.NAME]`` table whose ``backend`` key equals ``name``. The factory must not load
    weights; ``Backend.load()`` does that (in a thread, with progress).

    Example::

        @hookimpl
        def register_backends(register):
            register("llamacpp", LlamaCppBackend)
    """


@hookspec
def register_stt(register) -> None:
    """Register speech-to-text engines: ``register(name, factory)``; ``factory(config)`` returns
    an object with ``transcribe(pcm16: bytes, rate: int) -> str``."""


@hookspec
def register_tts(register) -> None:
    """Register text-to-speech engines: ``register(name, factory)``; ``factory(config)`` returns an
    object with ``synthesize(text: str) -> Iterator[bytes]`` (16-bit mono PCM chunks)."""


# -------------------------------------------------------------------------------------------------
# lifecycle and events
# -------------------------------------------------------------------------------------------------


@hookspec
def startup(agent) -> Any:
    """Called once when the agent starts, after every plugin registered. May be ``async``.

    ``agent`` is the ``hearth.Agent``: use ``agent.bus.subscribe(...)``, ``agent.storage``.
    """


@hookspec
def shutdown(agent) -> Any:
    """Called once when the agent stops. May be ``async``. Release what ``startup`` took."""


@hookspec
def on_event(event) -> None:
    """Observe every event of every turn (``hearth.events.Event``; ``event.to_dict()`` is its
    wire form). Runs on the event loop: return quickly; an exception is logged and ignored."""


@hookspec(firstresult=True)
def match_intent(text: str, tools) -> Any:
    """Fast path: map an utterance to a tool call without a model.

    Return ``{"name": ..., "arguments": {...}}`` to call that tool directly, or ``None`` to let
    the next matcher (and finally the model) try. Stops at first non-None result.
    """
