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

    Called once at start. ``register`` (a ``hearth.RegisterTool``) is ``register(fn, *, name=None,
    examples=(), slot_values=None, intents=None, timeout=10.0)``:

    - ``fn``: a function (sync or ``async``) with a type hint on every parameter and a docstring.
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
def register_settings(register) -> None:
    """Declare a top-level table of ``models.toml`` that this plugin reads.

    ``register(table, model)``: ``table`` is the table's name (``"homeassistant"`` for
    ``[homeassistant]``) and ``model`` a pydantic model that validates it (forbid unknown keys).
    The core validates the table at start without knowing its name, with errors that name the
    file, the table and the key; the plugin reads the validated object with
    ``agent.settings(table)`` (``None`` when the file has no such table and the model has
    required fields). A table no installed plugin declares is an error. Called once at load.

    Example::

        class WeatherSettings(BaseModel):
            model_config = ConfigDict(extra="forbid")
            city: str = "Oslo"

        @hookimpl
        def register_settings(register):
            register("weather", WeatherSettings)
    """


@hookspec
def before_tool_call(call: dict[str, Any], ctx) -> None:
    """Inspect a validated tool call before it runs. May be ``async`` (it is awaited).

    ``call`` is ``{"id", "name", "arguments"}``; ``ctx`` is the ``hearth.ToolContext``. Raise
    ``hearth.ToolBlocked(message)`` to refuse the call: the model hears a ``tool_blocked`` error with
    the message. Any other exception is a bug in the plugin: the call is not made and fails with
    ``plugin_error``, and the plugin is blocked (``hearth plugins`` shows why).

    Example::

        from hearth import ToolBlocked, hookimpl

        @hookimpl
        def before_tool_call(call):
            if call["name"] == "clear_shopping_list":
                raise ToolBlocked("clearing the list is switched off")
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

    A backend's own models.toml keys are declared by the factory's ``settings`` attribute: a
    pydantic model with ``extra="forbid"`` (``hearth.Backend.settings``). Hearth validates each
    table's keys beyond the common ones (:class:`hearth.ModelConfig`) against it, so a typo is an
    error naming the file, the table and the key; the backend reads the validated instance as
    ``config.backend_settings``. A backend without ``settings`` takes no keys of its own.

    ``chat()`` streams ``Delta`` text and ``CallRequest`` calls, then one ``Done``. A model without
    native tool calls can use ``hearth.tooling.calls``: ``injected_messages`` for the prompt and
    ``HoldBack`` to hold back text that may be a call and read the calls back (an unreadable call
    becomes a ``CallRequest`` with ``raw`` set, which the core answers with what is wrong).

    Example::

        class Settings(pydantic.BaseModel):
            model_config = pydantic.ConfigDict(extra="forbid")
            region: str = "eu"

        class CloudBackend(hearth.Backend):
            settings = Settings
            ...

        @hookimpl
        def register_backends(register):
            register("cloud", CloudBackend)
    """


@hookspec
def register_stt(register) -> None:
    """Register speech-to-text engines by name: ``register(name, factory)``.

    Called once at start. ``[speech.stt] engine`` in models.toml picks one by ``name``.
    ``factory(config: hearth.voice.speech.SttConfig)`` builds the engine for the ``[speech.stt]`` table
    (``model``, ``language``, ``beam_size``, ``compute_type``, ``device``, ``cpu_threads``) and must not
    load weights. The engine is a blocking object (``hearth.voice.speech.SpeechToText``) that Hearth calls
    from a worker thread, one call at a time:

    - ``load() -> None``: load the model, once; later calls return at once. Raise
      ``hearth.ModelLoadError(message, "speech_model_missing")`` when the model is not there.
    - ``transcribe(pcm16: bytes, rate: int) -> str``: the words in 16-bit little-endian mono PCM
      at ``rate`` Hz (16000 from the voice loop); ``""`` when nothing was said.

    Example::

        from hearth import hookimpl

        class Vosk:
            def __init__(self, config):
                self.config, self.model = config, None

            def load(self):
                if self.model is None:
                    self.model = vosk.Model(self.config.model)

            def transcribe(self, pcm16, rate):
                rec = vosk.KaldiRecognizer(self.model, rate)
                rec.AcceptWaveform(pcm16)
                return json.loads(rec.FinalResult())["text"]

        @hookimpl
        def register_stt(register):
            register("vosk", Vosk)
    """


@hookspec
def register_tts(register) -> None:
    """Register text-to-speech engines by name: ``register(name, factory)``.

    Called once at start. ``[speech.tts] engine`` in models.toml picks one by ``name``.
    ``factory(config: hearth.voice.speech.TtsConfig)`` builds the engine for the ``[speech.tts]`` table
    (``voice``, ``speaker_id``, ``length_scale``, ``volume``, ``use_cuda``) and must not load weights.
    The engine is a blocking object (``hearth.voice.speech.TextToSpeech``) that Hearth calls from a worker
    thread, one call at a time:

    - ``sample_rate: int``: Hz of the audio it makes (set by ``load``).
    - ``load() -> None``: load the voice, once; raise ``hearth.ModelLoadError`` when it is missing.
    - ``synthesize(text: str) -> Iterator[bytes]``: 16-bit little-endian mono PCM chunks. Yield the
      first chunk as early as you can (a sentence at a time): the voice loop plays each chunk as it
      comes, and already hands you the reply one sentence at a time while the model still writes.

    Example::

        from hearth import hookimpl

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
def startup(agent) -> Any:
    """Called once when the agent starts, after every plugin registered. May be ``async`` (it is
    awaited).

    ``agent`` is the ``hearth.Agent``: use ``agent.bus.subscribe(...)``, ``agent.storage``,
    ``agent.scheduler``, ``await agent.emit(event)``. If it raises, the plugin is blocked (its tools
    removed, ``hearth plugins`` shows why); the agent and the other plugins start.
    """


@hookspec
def shutdown(agent) -> Any:
    """Called once when the agent stops. May be ``async`` (it is awaited). Release what ``startup``
    took. If it raises, the plugin is blocked; the others still stop."""


@hookspec
def on_event(event) -> None:
    """Observe every event of every turn (``hearth.events.Event``; ``event.to_dict()`` is its
    wire form). May be ``async`` (it is awaited). Runs on the event loop: return quickly. An
    exception is logged and ignored: the plugin is not blocked and keeps its tools."""


@hookspec(firstresult=True)
def match_intent(text: str, tools) -> Any:
    """Fast path: map an utterance to a tool call without a model.

    Return ``{"name": ..., "arguments": {...}}`` to call that tool directly (optionally with
    ``"reason": "..."``, a few words the ``routed`` event shows), or ``None`` to let the next matcher
    (and finally the model) try. Stops at first non-None result.
    """


# -------------------------------------------------------------------------------------------------
# --- doctor and fit
# -------------------------------------------------------------------------------------------------


@hookspec
def doctor_checks(models, load: bool) -> Any:
    """Check what this plugin needs for ``hearth doctor``: return a list of ``hearth.Check``.

    ``models`` is the parsed models.toml (``hearth.ModelsFile``), holding only the models whose
    backend is available; check those whose ``backend`` is yours and leave the rest alone. ``load``
    is true for ``hearth doctor --load``: you may load a model to see where it sits. May be
    ``async``. Never raise for what you check: each problem is a ``Check`` with status ``"fail"``
    (or ``"warn"``) and a sentence saying what to do. A plugin that raises gets one ``fail`` line
    naming it; the other checks still run.

    Example::

        from hearth import Check, hookimpl

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
def resolve_model_file(model: str) -> Any:
    """The local file a models.toml ``model`` reference names (a GGUF path, ``package:NAME``...), as a
    ``pathlib.Path``; ``None`` when this plugin does not know the reference. Stops at the first
    non-None answer. ``hearth fit`` and plans use it to read the model's shape. Raise
    ``hearth.HearthError`` with a sentence for the user when the reference is yours but the file is
    missing.

    Example::

        from pathlib import Path
        from hearth import HearthError, hookimpl

        @hookimpl
        def resolve_model_file(model):
            if not model.startswith("hub:"):
                return None
            path = Path("~/models").expanduser() / model[4:]
            if not path.is_file():
                raise HearthError(f"{model}: no file {path}; download it first", "model_missing")
            return path
    """
