"""Hearth's hook specifications: the plugin author's manual.

A plugin is a module (a ``.py`` file in ``$HEARTH_HOME/plugins/``, or a package under the
``hearth`` entry-point group) with ``@hookimpl`` functions named like the hooks below; an
implementation may take fewer arguments than the spec, and a hook that says so may be ``async``.
A plugin may also be a **class**: Hearth makes one instance per agent (``cls()``) and registers it,
so its ``@hookimpl`` methods keep per-agent state on ``self``. A module plugin keeps per-agent state
in ``agent.state(MyState)`` (``ctx.state(MyState)`` in a tool): the agent's one ``MyState()``,
never a module global two agents share. The examples import ``from hearth import hookimpl, ...``;
a plugin imports from the core only ``hearth`` and ``hearth.kit``.

A plugin whose hook raises is blocked (what it registered is removed; ``hearth plugins`` says
why) and the others go on; ``on_event`` is an observer (its exception is only logged) and
``before_tool_call`` may raise ``hearth.ToolBlocked`` to refuse a call. Registration hooks take a
``register`` callable, so new options arrive as keyword arguments and never break an old plugin.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from hearth.tooling.hook_types import (  # the types the hooks take and give, re-exported
    IntentCall,
    RegisterBackend,
    RegisterSentences,
    RegisterSettings,
    RegisterStt,
    RegisterTts,
    ToolCall,
)

if TYPE_CHECKING:  # types only: the agent imports the plugin manager, which imports this module
    from hearth.agent import Agent
    from hearth.checks import Check
    from hearth.config import ModelsFile
    from hearth.events import Event
    from hearth.tooling.registry import ToolRegistry
    from hearth.tooling.tool import RegisterTool, ToolContext

hookspec = pluggy.HookspecMarker("hearth")
hookimpl = pluggy.HookimplMarker("hearth")


# -------------------------------------------------------------------------------------------------
# tools
# -------------------------------------------------------------------------------------------------


@hookspec
def register_tools(register: RegisterTool) -> None:
    """Register tools: typed, documented functions the model (or a fast path) may call.

    Runs once per plugin at load. ``register`` (``hearth.RegisterTool``) is ``register(fn, *,
    name=None, examples=(), slot_values=None, intents=None, hints=None, destructive=False,
    timeout=10.0)`` and returns the
    ``hearth.Tool``; a duplicate name blocks the later plugin. Returns nothing.

    - ``fn``: a function or a plugin class's bound method (sync or ``async``) with a type hint on
      every parameter and a docstring.
      The summary describes the tool; the argument section (Google ``Args:`` or NumPy
      ``Parameters``) describes the arguments; ``Literal`` and ``Enum`` become enums; pydantic
      builds the schema and validates what the model passes. A parameter typed
      ``hearth.ToolContext`` is injected and hidden from the model: ``ctx.session``,
      ``ctx.storage``, ``ctx.scheduler`` (the agent's ``hearth.Scheduler``, for work at a later
      time) and ``await ctx.emit(event)`` (from an ``async`` tool). Return any JSON value, or
      ``hearth.ToolResult(data, say="...")`` to also give the sentence to speak. Raise
      ``hearth.ToolError(message, code)`` for a failure the user hears.
    - ``examples``: sentence templates in Home Assistant's style (``[optional]``, ``(a|b)``,
      ``{slot}``, where a slot is an argument) that the intent fast path (tier 1) matches without a
      model, and that small models see as examples.
    - ``slot_values``: sample values per slot, used to fill examples for small models.
    - ``intents``: Home Assistant intents this tool answers, matched with the English sentences
      of the ``home-assistant-intents`` package: ``{"HassStartTimer": to_args}`` where
      ``to_args(slots: dict) -> dict`` turns the intent's slots into this tool's arguments
      (``None`` when the slots are the arguments, as ``{"HassShoppingListAddItem": None}``).
    - ``destructive``: the call loses what it removes (clear a list, cancel every timer, unlock):
      it runs only on a strict tier-1 match of its own sentences; otherwise Hearth asks first.
    - ``timeout``: seconds before the call is abandoned with ``tool_timeout``.

    Example::

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
def register_sentences(register: RegisterSentences) -> None:
    """Register the plugin's sentences: ``register(folder)``, a folder of ``<language>.yaml`` files in
    hassil's format. Runs once per plugin at load, after ``register_tools``. Returns nothing.

    Intents are named after the plugin's tools; a slot is the argument of that name, read as its type;
    prefix list and rule names with the plugin's short name (one grammar holds every plugin's).
    Templates match the normalised request (lower case, no punctuation, no fillers or names).
    ``metadata: {each: item, count: quantity}`` reads a slot naming several things as one call each.
    See the README's "Write a tool plugin" for a whole file.

    Example::

        @hookimpl
        def register_sentences(register):
            register(Path(__file__).parent / "sentences")   # sentences/en.yaml beside the code
    """


@hookspec
def register_settings(register: RegisterSettings) -> None:
    """Declare a top-level table of ``models.toml`` that this plugin reads.

    Runs once per plugin at load, before every other registration hook. Returns nothing.
    ``register(table, model)``: ``table`` is the table's name (``"homeassistant"`` for
    ``[homeassistant]``) and ``model`` a pydantic model that validates it (forbid unknown keys).
    The core validates the table at start without knowing its name, with errors that name the
    file, the table and the key; the plugin reads the validated object with
    ``agent.settings(table)`` or ``ctx.settings(table)`` (the model's defaults when the table is
    absent, ``None`` when they are not enough). A table no installed plugin declares is an error.

    Example::

        class WeatherSettings(BaseModel):
            model_config = ConfigDict(extra="forbid")
            city: str = "Oslo"
        @hookimpl
        def register_settings(register):
            register("weather", WeatherSettings)
    """


@hookspec
def before_tool_call(call: ToolCall, ctx: ToolContext) -> Awaitable[None] | None:
    """Inspect a validated tool call before it runs. May be ``async`` (it is awaited).

    Runs before every call, from a turn, a fast path or ``agent.run_tool``, once per plugin in load
    order. ``call`` is ``{"id", "name", "arguments"}`` (arguments already validated); ``ctx`` is the
    call's ``hearth.ToolContext``. Return nothing to let the call run. Raise
    ``hearth.ToolBlocked(message)`` to refuse the call: the model hears a ``tool_blocked`` error with
    the message. Any other exception is a bug in the plugin: the call is not made and fails with
    ``plugin_error``, and the plugin is blocked (``hearth plugins`` shows why).

    Example::

        @hookimpl
        def before_tool_call(call):
            if call["name"] == "clear_shopping_list":
                raise ToolBlocked("clearing the list is switched off")
    """


# -------------------------------------------------------------------------------------------------
# model backends and speech engines
# -------------------------------------------------------------------------------------------------


@hookspec
def register_backends(register: RegisterBackend) -> None:
    """Register model backends by name: ``register(name, factory)``. Runs once per plugin at load;
    a name another plugin took blocks this one. Returns nothing.

    ``factory(name: str, config: hearth.ModelConfig) -> hearth.Backend`` builds the backend for one
    ``[models.NAME]`` table whose ``backend`` key equals ``name``. The factory must not load
    weights; ``Backend.load()`` does that (in a thread, with progress).

    A backend's own models.toml keys are declared by the factory's ``settings`` attribute: a
    pydantic model with ``extra="forbid"`` (``hearth.Backend.settings``). Hearth validates each
    table's keys beyond the common ones (:class:`hearth.ModelConfig`) against it, so a typo is an
    error naming the file, the table and the key; the backend reads the validated instance as
    ``config.backend_settings``. A backend without ``settings`` takes no keys of its own.

    ``chat()`` streams ``Delta`` text and ``CallRequest`` calls, then one ``Done``. A model without
    native tool calls can use ``hearth.kit``: ``injected_messages`` for the prompt and
    ``HoldBack`` to hold back text that may be a call and read the calls back (an unreadable call
    becomes a ``CallRequest`` with ``raw`` set, which the core answers with what is wrong).

    Example::

        class Settings(pydantic.BaseModel):
            model_config = pydantic.ConfigDict(extra="forbid")
            region: str = "eu"
        class CloudBackend(hearth.Backend):
            settings = Settings  # chat(), load() ...
        @hookimpl
        def register_backends(register):
            register("cloud", CloudBackend)
    """


@hookspec
def register_stt(register: RegisterStt) -> None:
    """Register speech-to-text engines by name: ``register(name, factory)``. Returns nothing.

    Runs once per plugin at load; ``[speech.stt] engine`` in models.toml picks one by ``name``.
    ``factory(config: hearth.SttConfig)`` builds the engine for the ``[speech.stt]`` table and must
    not load weights. The engine (``hearth.SpeechToText``) blocks; Hearth calls it from a worker
    thread, one call at a time:

    - ``load() -> None``: load the model, once; later calls return at once. Raise
      ``hearth.ModelLoadError(message, "speech_model_missing")`` when the model is not there.
    - ``transcribe(pcm16: bytes, rate: int) -> str``: the words in 16-bit little-endian mono PCM
      at ``rate`` Hz (16000 from the voice loop); ``""`` when nothing was said.

    Example::

        class Vosk:
            def __init__(self, config):
                self.config, self.model = config, None
            def load(self):
                self.model = self.model or vosk.Model(self.config.model)
            def transcribe(self, pcm16, rate):
                rec = vosk.KaldiRecognizer(self.model, rate)
                rec.AcceptWaveform(pcm16)
                return json.loads(rec.FinalResult())["text"]
        @hookimpl
        def register_stt(register):
            register("vosk", Vosk)
    """


@hookspec
def register_tts(register: RegisterTts) -> None:
    """Register text-to-speech engines by name: ``register(name, factory)``. Returns nothing.

    Runs once per plugin at load; ``[speech.tts] engine`` in models.toml picks one by ``name``.
    ``factory(config: hearth.TtsConfig)`` builds the engine for the ``[speech.tts]`` table and must
    not load weights. The engine (``hearth.TextToSpeech``) blocks; Hearth calls it from a worker
    thread, one call at a time:

    - ``sample_rate: int``: Hz of the audio it makes (set by ``load``).
    - ``load() -> None``: load the voice, once; raise ``hearth.ModelLoadError`` when it is missing.
    - ``synthesize(text: str) -> Iterator[bytes]``: 16-bit little-endian mono PCM chunks. Yield the
      first chunk as early as you can (a sentence at a time): the voice loop plays each chunk as it
      comes, and already hands you the reply one sentence at a time while the model still writes.

    Example::

        class Beep:
            sample_rate = 16000
            def __init__(self, config):
                self.config = config
            def load(self):
                pass
            def synthesize(self, text):
                for word in text.split():
                    yield tone(440, seconds=0.1, rate=self.sample_rate)

        @hookimpl
        def register_tts(register):
            register("beep", Beep)
    """


# -------------------------------------------------------------------------------------------------
# lifecycle and events
# -------------------------------------------------------------------------------------------------


@hookspec
def startup(agent: Agent) -> Awaitable[None] | None:
    """Start what the plugin needs; may be ``async`` (it is awaited). Returns nothing.

    Runs once per agent in ``agent.start()``, after every plugin registered, in load order.
    ``agent`` is the ``hearth.Agent``: ``agent.bus.subscribe(...)``, ``agent.storage``,
    ``agent.scheduler``, ``agent.settings(table)``, ``agent.state(cls)``, ``await
    agent.emit(event)``. If it raises, the plugin is blocked (its tools removed, ``hearth plugins``
    shows why); the agent and the other plugins start.

    Example::

        class Weather:  # a plugin class: one instance per agent
            @hookimpl
            async def startup(self, agent):
                self.client = await connect(agent.settings("weather").city)
    """


@hookspec
def shutdown(agent: Agent) -> Awaitable[None] | None:
    """Release what ``startup`` took; may be ``async`` (it is awaited). Returns nothing.

    Runs once per agent in ``agent.stop()``. ``agent`` is the ``hearth.Agent`` that started. If it
    raises, the plugin is blocked; the others still stop.

    Example::

        @hookimpl
        async def shutdown(agent):
            await agent.state(Connection).close()
    """


@hookspec
def on_event(event: Event) -> Awaitable[None] | None:
    """Observe an event; may be ``async`` (it is awaited). Returns nothing.

    Runs for every event of every turn and every ``agent.emit``, on the event loop: return
    quickly. ``event`` is a ``hearth.Event`` (``event.type``; ``event.to_dict()`` is its wire form).
    An observer: an exception is logged and ignored, the plugin keeps its tools.

    Example::

        @hookimpl
        def on_event(event):
            if event.type == "finished":
                log.info("turn %s: %s", event.turn_id, event.text)
    """


@hookspec
def prompt_context(session: str, room: str | None) -> str | None:
    """Text for the system prompt of tiers 2 and 3: what a model should know of the plugin's world (a
    home's devices), or ``None``. Not ``async``; keep it the same from turn to turn (the prompt cache). Example::

        @hookimpl
        def prompt_context(session, room):
            return "Garden devices: Sprinklers (valve), Pond Pump (switch)."
    """


@hookspec(firstresult=True)
def match_intent(text: str, tools: ToolRegistry) -> IntentCall | None:
    """Fast path (tier 1): map an utterance to a tool call without a model. Not ``async``.

    Runs on every turn before the templates of ``register_tools``, once per plugin in load order.
    ``text`` is the utterance with fillers (the assistant's name, "please") dropped; ``tools`` is
    the agent's ``ToolRegistry``. Return ``{"name": ..., "arguments": {...}}`` to call that tool
    (optionally with ``"reason": "..."``, a few words the ``routed`` event shows), or ``None`` to
    let the next matcher (and finally the model) try. Stops at first non-None result. Another
    shape, or an exception, blocks the plugin.

    Example::

        @hookimpl
        def match_intent(text, tools):
            if text.startswith("buy ") and "add_to_shopping_list" in tools:
                return {"name": "add_to_shopping_list", "arguments": {"item": text[4:]}}
            return None
    """


# -------------------------------------------------------------------------------------------------
# doctor and fit
# -------------------------------------------------------------------------------------------------


@hookspec
def doctor_checks(models: ModelsFile, load: bool) -> list[Check] | Awaitable[list[Check]] | None:
    """Check what this plugin needs for ``hearth doctor``: return a list of ``hearth.Check`` (``None``: none).

    Runs once per plugin in ``hearth doctor``; may be ``async``. ``models`` is the parsed
    models.toml (``hearth.ModelsFile``) with only the models whose backend is available: check
    those whose ``backend`` is yours. ``load`` is true for ``hearth doctor --load``: you may load a
    model to see where it sits. Never raise for what you check: each problem is a ``Check`` with
    status ``"fail"`` (or ``"warn"``) and a sentence saying what to do. A plugin that raises gets
    one ``fail`` line naming it; the other checks still run.

    Example::

        @hookimpl
        async def doctor_checks(models, load):
            names = [n for n, m in models.models.items() if m.backend == "myserver"]
            if not names:
                return []
            if await reachable(URL):
                return [Check("ok", "myserver", f"{URL} answers")]
            return [Check("fail", "myserver", f"cannot reach {URL}; start it with `myserver run`")]
    """


@hookspec(firstresult=True)
def resolve_model_file(model: str) -> Path | None:
    """The local file a models.toml ``model`` reference names (a GGUF path, ``package:NAME``...).

    Runs in ``hearth fit`` and GPU plans, to read the model's shape; ``model`` is the reference.
    Return the file's ``pathlib.Path``, or ``None`` when this plugin does not know the reference.
    Stops at first non-None result. Raise ``hearth.HearthError`` with a sentence for the user
    when the reference is yours but the file is missing.

    Example::

        @hookimpl
        def resolve_model_file(model):
            if not model.startswith("hub:"):
                return None
            path = Path("~/models").expanduser() / model[4:]
            if not path.is_file():
                raise HearthError(f"{model}: no file {path}; download it first", "model_missing")
            return path
    """
