"""A tool: a typed, documented Python function, with the JSON schema the models see and the
validation of the arguments a model gives, both built by pydantic from the function's signature.

Schema rules: the docstring's summary (its first paragraph) is the description; its argument
section (Google Args:, NumPy Parameters, reST :param x:, read by docstring_parser)
describes the arguments; Literal and Enum become enums; a parameter without a type hint is
an error; and a parameter typed :class:`ToolContext` is injected by Hearth and hidden from the schema.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import docstring_parser
import pydantic
from pydantic.json_schema import GenerateJsonSchema
from sqlmodel import Session

from hearth.errors import HearthError, ToolError
from hearth.events import Event, EventBus
from hearth.scheduler import Scheduler
from hearth.storage import Storage

T = TypeVar("T")


class ToolDefinitionError(HearthError):
    """A function cannot become a tool (missing type hint, bad name, ...)."""

    code = "tool_definition"


Emit = Callable[[Event], Awaitable[Any]]


@dataclass
class ToolContext:
    """What a tool may use besides its arguments; injected into a parameter typed ``ToolContext``.

    ``session`` is the conversation, ``turn_id`` the turn ("direct" for ``hearth tools run``),
    ``storage`` the agent's :class:`hearth.Storage` (``storage.session()`` for a plugin's own SQLModel
    tables), ``scheduler`` the agent's :class:`hearth.Scheduler`, and ``await ctx.emit(event)`` sends
    an event to the bus and every ``on_event`` hook. The agent builds it (``Agent.tool_context``).

    ``ctx.transaction()`` is a storage session for the call's effect: Hearth commits it together
    with the record of the call, so the two are stored together or not at all (see :meth:`transaction`).
    """

    session: str
    storage: Storage
    bus: EventBus
    turn_id: str = ""
    # the request a model's calls answer (model rounds only): each call is checked against it
    said: str | None = None
    # the request this call answers, as read (any tier; "" for a direct call): what a tool may weigh
    # beyond its arguments ("all the lights" against "the lights")
    heard: str = ""
    # the room the speaker is in (Agent.set_room), as the home names it; None when unknown
    room: str | None = None
    _scheduler: Scheduler | None = field(default=None, repr=False)
    _emit: Emit | None = field(default=None, repr=False)
    _transaction: Session | None = field(default=None, repr=False)
    _agent: Any = field(default=None, repr=False)

    def transaction(self) -> Session:
        """A SQLModel session on Hearth's storage for this call's effect (a plugin's own tables).

        Add, change or delete rows in it and return; do not commit. When the tool returns, Hearth
        adds the record of the call (the ``tool_calls`` row) to the same session and commits both
        in one transaction, so after a crash either the effect and its record are both stored or
        neither is. When the tool raises or times out the session is rolled back: no effect. Each
        call gets its own (the same session on every call of ``transaction()`` within a call)."""
        if self._transaction is None:
            self._transaction = Session(self.storage.engine, expire_on_commit=False)
        return self._transaction

    @property
    def scheduler(self) -> Scheduler:
        """The agent's scheduler (an error when this context was built without an agent)."""
        if self._scheduler is None:
            raise HearthError("This ToolContext has no scheduler; build it with Agent.tool_context().", "no_scheduler")
        return self._scheduler

    def state(self, cls: type[T]) -> T:
        """The agent's one instance of ``cls`` (:meth:`hearth.Agent.state`): plugin state per agent."""
        if self._agent is None:
            raise HearthError("This ToolContext has no agent; build it with Agent.tool_context().", "no_agent")
        return self._agent.state(cls)

    def settings(self, table: str) -> Any:
        """The plugin's validated ``models.toml`` table (:meth:`hearth.Agent.settings`)."""
        if self._agent is None:
            raise HearthError("This ToolContext has no agent; build it with Agent.tool_context().", "no_agent")
        return self._agent.settings(table)

    async def emit(self, event: Event) -> None:
        """Send ``event`` to the agent's bus and ``on_event`` hooks (only to the bus without an agent)."""
        if self._emit is not None:
            await self._emit(event)
        else:
            await self.bus.emit(event)


@dataclass
class ToolResult:
    """A tool's result with an optional sentence to say (as Home Assistant's intent responses do).

    ``data`` is what the model sees (any JSON value); ``say`` is a clean reply a small model
    may use instead of writing its own. ``undo`` is, for a write, the call that puts back exactly
    what this call changed, as ``(tool_name, arguments)`` ("undo", "never mind" and corrections run
    it); ``None`` when the call changed nothing or cannot be undone.
    """

    data: Any = None
    say: str | None = None
    undo: tuple[str, dict[str, Any]] | None = None

_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (first paragraph, on one line) and each argument's description."""
    doc = inspect.cleandoc(doc or "")
    summary = " ".join(doc.split("\n\n", 1)[0].split())
    try:
        params = docstring_parser.parse(doc).params
    except docstring_parser.ParseError:
        params = []
    return summary, {p.arg_name.lstrip("*"): " ".join((p.description or "").split()) for p in params}


class _ToolSchema(GenerateJsonSchema):
    """pydantic's JSON schema without titles (noise in a prompt)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def generate(self, schema: Any, mode: Any = "validation") -> dict[str, Any]:
        out = super().generate(schema, mode)
        out.pop("title", None)
        return out


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """Replace each ``$ref`` with the definition it names (small models read flat schemas) and drop
    the titles pydantic puts on enums and models."""
    if isinstance(schema, list):
        return [_inline(s, defs) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties":
            out[key] = {name: _inline(s, defs) for name, s in value.items()}
        elif key in ("default", "enum", "const", "examples", "required"):
            out[key] = value
        else:
            out[key] = _inline(value, defs)
    return out


class Tool:
    """A callable with a name, a description, a JSON schema and example sentences.

    ``hints`` are what the tool's own plugin says about it to the engines and faces, so that
    neither the core nor another plugin names the tool: ``"fallback"``: the arguments to call it
    with when no tool fits a request (it says what Hearth cannot do yet); ``"panel"``: a title, and
    the web page shows the tool's result (``{"items": [{"name", "quantity", "checked"}]}``) as a list;
    ``"model": False``: the tool is not offered to models (an undo step; a tool tier 1 reaches);
    ``"tier1": False``: its ``examples`` are for models and rankers only, tier 1 reaching it through its
    plugin's own ``match_intent`` (which knows what a slot may hold: a home's device names).

    ``destructive`` tools (clear a list, cancel every timer, unlock a door) run only on a strict
    tier-1 match of their own sentences; from any other reading Hearth asks first.
    """

    hints: dict[str, Any] = {}  # never mutated: each Tool.__init__ gives its own
    # true when ``examples`` were written out from the tool's sentence file (tier 1 compiles the file)
    examples_from_sentences: bool = False
    destructive: bool = False  # see the class docstring; a SchemaTool (an MCP server's tool) is not

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        examples: Sequence[str] = (),
        timeout: float = 10.0,
        plugin: str | None = None,
        slot_values: dict[str, list[Any]] | None = None,
        intents: dict[str, Callable[[dict[str, Any]], dict[str, Any]] | None] | None = None,
        hints: dict[str, Any] | None = None,
        destructive: bool = False,
    ) -> None:
        self.fn = fn
        self.destructive = destructive
        self.hints = dict(hints or {})
        self.slot_values = dict(slot_values or {})
        # Home Assistant intent name -> converter from the intent's slots to this tool's arguments
        # (None: the slots are the arguments); the intent fast path matches HA's own sentences
        self.intents = dict(intents or {})
        self.name = name or fn.__name__
        self.plugin = plugin
        self.timeout = timeout
        self.examples = list(examples)
        where = f"tool {self.name!r}"
        if not _NAME.match(self.name):
            raise ToolDefinitionError(f"{where}: a tool name must be letters, digits and underscores")
        summary, arg_docs = _parse_docstring(fn.__doc__ or "")
        self.description = description or summary
        if not self.description:
            raise ToolDefinitionError(f"{where}: give the function a docstring; its first line describes the tool")
        try:
            hints = typing.get_type_hints(fn)
        except Exception as err:
            raise ToolDefinitionError(f"{where}: cannot read type hints: {err}") from err
        self.context_param: str | None = None
        fields: dict[str, Any] = {}
        for pname, param in inspect.signature(fn).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ToolDefinitionError(f"{where}: *args and **kwargs are not allowed in a tool")
            if pname not in hints:
                raise ToolDefinitionError(f"{where}: parameter {pname!r} has no type hint")
            if hints[pname] is ToolContext:
                self.context_param = pname
                continue
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[pname] = (hints[pname], pydantic.Field(default, description=arg_docs.get(pname)))
        try:
            self.arguments_model: type[pydantic.BaseModel] = pydantic.create_model(
                f"{self.name}_arguments", __config__=pydantic.ConfigDict(extra="forbid"), **fields)
            raw = self.arguments_model.model_json_schema(schema_generator=_ToolSchema)
        except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticInvalidForJsonSchema, TypeError) as err:
            raise ToolDefinitionError(f"{where}: an argument's type cannot be expressed as JSON ({err}); use str, "
                                      "int, float, bool, Literal, an Enum, list or dict") from err
        defs = raw.pop("$defs", {})
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": _inline(raw.get("properties", {}), defs),
            "required": list(raw.get("required", [])),
            "additionalProperties": False,
        }
        self.is_async = inspect.iscoroutinefunction(fn)
        self.server: str | None = None  # where a tool made at run time lives (see SchemaTool)
        self.available = True
        self.unavailable_reason = ""

    def set_available(self, available: bool, reason: str = "") -> None:
        """Mark the tool (un)available: an unavailable tool is not offered to models (its server is
        down, its plugin not set up yet); ``reason`` is what a call made meanwhile is told."""
        self.available = available
        self.unavailable_reason = "" if available else reason

    def schema(self) -> dict[str, Any]:
        """OpenAI-style function schema, the form chat templates and Ollama expect."""
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}

    def validate(self, arguments: Any) -> dict[str, Any]:
        """The keyword arguments for the function (``"5"`` for an int becomes 5, an enum's value its
        member); raise ToolError('invalid_arguments') naming each bad argument."""
        if not isinstance(arguments, dict):
            raise ToolError(f"Arguments for {self.name} must be a JSON object, got {type(arguments).__name__}",
                            "invalid_arguments")
        try:
            model = self.arguments_model.model_validate(arguments)
        except pydantic.ValidationError as err:
            parts = []
            for e in err.errors(include_url=False):
                at = ".".join(str(p) for p in e["loc"])
                msg = e["msg"] if e["type"] in ("missing", "extra_forbidden") else f"{e['msg']} (got {e['input']!r})"
                parts.append(f"{at}: {msg}" if at else msg)
            raise ToolError(f"Invalid arguments for {self.name}: " + "; ".join(parts), "invalid_arguments") from None
        return {k: getattr(model, k) for k in model.model_fields_set}

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, plugin={self.plugin!r})"


class SchemaTool(Tool):
    """A tool that arrives at run time: a name, a description, a JSON input schema and an async
    callable taking the arguments as one dict (an MCP server's tool, for instance).

    The arguments are checked against the JSON schema (``jsonschema``) before the call, with no
    coercion: the callable gets exactly the JSON the model gave. ``server`` names where the tool
    lives (shown by ``hearth tools``). While ``available`` is false (its server is down) a call
    fails with the coded tool error ``tool_unavailable`` and ``unavailable_reason`` says why.
    """

    def __init__(
        self,
        name: str,
        description: str,
        input_schema: dict[str, Any],
        call: Callable[[dict[str, Any]], Awaitable[Any]],
        *,
        plugin: str | None = None,
        server: str | None = None,
        examples: Sequence[str] = (),
        slot_values: dict[str, list[Any]] | None = None,
        timeout: float = 10.0,
    ) -> None:
        import jsonschema  # only the plugins that make tools at run time need it

        where = f"tool {name!r}" + (f" of server {server!r}" if server else "")
        if not _NAME.match(name):
            raise ToolDefinitionError(f"{where}: a tool name must be letters, digits and underscores")
        schema = dict(input_schema or {})
        schema.setdefault("type", "object")
        if schema["type"] != "object":
            raise ToolDefinitionError(f"{where}: the input schema must describe an object, not {schema['type']!r}")
        validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        try:
            validator_cls.check_schema(schema)
        except jsonschema.SchemaError as err:
            raise ToolDefinitionError(f"{where}: invalid input schema: {err.message}") from err
        self._validator = validator_cls(schema)
        self.call = call
        self.name = name
        self.description = " ".join((description or "").split()) or name.replace("_", " ")
        self.plugin = plugin
        self.server = server
        self.timeout = timeout
        self.examples = list(examples)
        self.slot_values = dict(slot_values or {})
        self.intents = {}
        self.context_param = None
        self.is_async = True
        # what the models and ``hearth tools`` read: always with properties and required
        self.parameters = {**schema, "properties": dict(schema.get("properties") or {}),
                           "required": list(schema.get("required") or [])}
        self.available = True
        self.unavailable_reason = ""
        self.fn = self._run

    async def _run(self, **arguments: Any) -> Any:
        if not self.available:
            where = f" (server {self.server})" if self.server else ""
            raise ToolError(f"{self.name} is unavailable{where}: {self.unavailable_reason or 'not connected'}",
                            "tool_unavailable")
        return await self.call(arguments)

    def validate(self, arguments: Any) -> dict[str, Any]:
        """The arguments unchanged when they match the input schema; else ToolError('invalid_arguments')
        naming each bad argument."""
        if not isinstance(arguments, dict):
            raise ToolError(f"Arguments for {self.name} must be a JSON object, got {type(arguments).__name__}",
                            "invalid_arguments")
        problems = []
        for e in sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
            at = ".".join(str(p) for p in e.absolute_path)
            problems.append(f"{at}: {e.message}" if at else e.message)
        if problems:
            raise ToolError(f"Invalid arguments for {self.name}: " + "; ".join(problems), "invalid_arguments")
        return dict(arguments)

    def __repr__(self) -> str:
        return f"SchemaTool({self.name!r}, plugin={self.plugin!r}, server={self.server!r})"


class RegisterTool(Protocol):
    """The ``register`` callable the ``register_tools`` hook gets; see ``hearth.hookspecs.register_tools``."""

    def __call__(self, fn: Callable[..., Any], *, name: str | None = None, description: str | None = None,
                 examples: Sequence[str] = (), timeout: float = 10.0,
                 slot_values: dict[str, list[Any]] | None = None,
                 intents: dict[str, Callable[[dict[str, Any]], dict[str, Any]] | None] | None = None,
                 hints: dict[str, Any] | None = None, destructive: bool = False) -> Tool: ...
