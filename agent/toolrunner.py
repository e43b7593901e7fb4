"""Tools: a typed, documented Python function becomes a tool with a JSON schema.

Schema rules: the docstring's summary line is the description, its ``Args:`` lines describe the
arguments, ``Literal`` becomes an enum, a parameter without a type hint is an error, and a
parameter typed :class:`ToolContext` is injected by Hearth and hidden from the schema.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import json
import re
import time
import types
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Union

import jsonschema

from .errors import HearthError, PluginError, ToolBlocked, ToolError
from .events import Event, EventBus
from .scheduler import Scheduler
from .storage import Storage


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
    """

    session: str
    storage: Storage
    bus: EventBus
    turn_id: str = ""
    _scheduler: Scheduler | None = field(default=None, repr=False)
    _emit: Emit | None = field(default=None, repr=False)

    @property
    def scheduler(self) -> Scheduler:
        """The agent's scheduler (an error when this context was built without an agent)."""
        if self._scheduler is None:
            raise HearthError("This ToolContext has no scheduler; build it with Agent.tool_context().", "no_scheduler")
        return self._scheduler

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
    may use instead of writing its own.
    """

    data: Any = None
    say: str | None = None


@dataclass
class ToolOutcome:
    """What running one call produced, success or failure."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    result: Any = None
    say: str | None = None
    error_code: str | None = None
    duration_ms: float = 0.0

    def for_model(self) -> str:
        """The message content the model reads back."""
        if self.ok:
            return json.dumps(self.result, ensure_ascii=False, default=str)
        return json.dumps({"error": self.error_code, "message": self.result}, ensure_ascii=False)


_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Summary line and Google-style ``Args:`` descriptions."""
    doc = inspect.cleandoc(doc or "")
    if not doc:
        return "", {}
    lines = doc.splitlines()
    summary_lines: list[str] = []
    for line in lines:
        if not line.strip():
            break
        summary_lines.append(line.strip())
    args: dict[str, str] = {}
    in_args, current, arg_indent = False, None, None
    for line in lines:
        stripped = line.strip()
        if re.match(r"^(Args|Arguments|Parameters):\s*$", stripped):
            in_args, arg_indent = True, None
            continue
        if not in_args or not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:  # the next section ("Returns:", prose) ends the arguments
            in_args = False
            continue
        m = re.match(r"^\s+(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", line)
        if m and (arg_indent is None or indent == arg_indent):
            arg_indent = indent
            current = m.group(1).lstrip("*")
            args[current] = m.group(2).strip()
        elif current:  # a continuation line, however it looks
            args[current] = (args[current] + " " + stripped).strip()
    return " ".join(summary_lines), args


def type_to_schema(tp: Any, where: str) -> dict[str, Any]:
    """JSON schema for a Python type hint (the subset tools use)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is type(None):
        return {"type": "null"}
    if tp is Any:
        return {}
    if origin is Literal:
        values = list(args)
        kinds = {type(v) for v in values}
        schema: dict[str, Any] = {"enum": values}
        if kinds <= {str}:
            schema["type"] = "string"
        elif kinds <= {int}:
            schema["type"] = "integer"
        return schema
    if inspect.isclass(tp) and issubclass(tp, enum.Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    if origin in (Union, types.UnionType):
        non_null = [a for a in args if a is not type(None)]
        if len(non_null) == 1:
            inner = type_to_schema(non_null[0], where)
            return {"anyOf": [inner, {"type": "null"}]} if len(non_null) < len(args) else inner
        return {"anyOf": [type_to_schema(a, where) for a in args]}
    if tp in (list, tuple, set) or origin in (list, tuple, set, frozenset):
        schema = {"type": "array"}
        if args and args[0] is not Ellipsis:
            schema["items"] = type_to_schema(args[0], where)
        return schema
    if tp is dict or origin is dict:
        return {"type": "object"}
    raise ToolDefinitionError(f"{where}: type {tp!r} cannot be expressed as JSON; use str, int, float, bool, Literal, list or dict")


class Tool:
    """A callable with a name, a description, a JSON schema and example sentences."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        examples: list[str] | tuple[str, ...] = (),
        timeout: float = 10.0,
        plugin: str | None = None,
        slot_values: dict[str, list[Any]] | None = None,
        intents: dict[str, Callable[[dict[str, Any]], dict[str, Any]] | None] | None = None,
    ) -> None:
        self.fn = fn
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
        properties: dict[str, Any] = {}
        required: list[str] = []
        for pname, param in inspect.signature(fn).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ToolDefinitionError(f"{where}: *args and **kwargs are not allowed in a tool")
            if pname not in hints:
                raise ToolDefinitionError(f"{where}: parameter {pname!r} has no type hint")
            tp = hints[pname]
            if tp is ToolContext:
                self.context_param = pname
                continue
            schema = type_to_schema(tp, f"{where} parameter {pname!r}")
            if pname in arg_docs:
                schema["description"] = arg_docs[pname]
            if param.default is inspect.Parameter.empty:
                required.append(pname)
            elif param.default is None or isinstance(param.default, (str, int, float, bool, enum.Enum)):
                schema["default"] = param.default.value if isinstance(param.default, enum.Enum) else param.default
            properties[pname] = schema
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
        self._validator = jsonschema.Draft202012Validator(self.parameters)
        self._enums = {p: hints[p] for p in properties if inspect.isclass(hints[p]) and issubclass(hints[p], enum.Enum)}
        self.is_async = inspect.iscoroutinefunction(fn)

    def schema(self) -> dict[str, Any]:
        """OpenAI-style function schema, the form chat templates and Ollama expect."""
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}

    def validate(self, arguments: Any) -> None:
        """Raise ToolError('invalid_arguments') naming each bad argument."""
        if not isinstance(arguments, dict):
            raise ToolError(f"Arguments for {self.name} must be a JSON object, got {type(arguments).__name__}", "invalid_arguments")
        errors = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.path))
        if errors:
            parts = []
            for e in errors:
                at = ".".join(str(p) for p in e.path)
                parts.append(f"{at}: {e.message}" if at else e.message)
            raise ToolError(f"Invalid arguments for {self.name}: " + "; ".join(parts), "invalid_arguments")

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, plugin={self.plugin!r})"


class RegisterTool(Protocol):
    """The ``register`` callable the ``register_tools`` hook gets; see ``hearth.hookspecs.register_tools``."""

    def __call__(self, fn: Callable[..., Any], *, name: str | None = None, description: str | None = None,
                 examples: Sequence[str] = (), timeout: float = 10.0,
                 slot_values: dict[str, list[Any]] | None = None,
                 intents: dict[str, Callable[[dict[str, Any]], dict[str, Any]] | None] | None = None) -> Tool: ...


class ToolRegistry:
    """Tools by name; a duplicate name is refused with both plugins named."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            other = self._tools[tool.name]
            raise ToolDefinitionError(
                f"tool {tool.name!r} from plugin {tool.plugin!r} duplicates the one from plugin "
                f"{other.plugin!r}; rename one of them or disable a plugin with HEARTH_LOAD_PLUGINS",
                "duplicate_tool",
            )
        self._tools[tool.name] = tool

    def remove_plugin(self, plugin: str) -> None:
        for name in [n for n, t in self._tools.items() if t.plugin == plugin]:
            del self._tools[name]

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __iter__(self):
        return iter(sorted(self._tools.values(), key=lambda t: t.name))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def names(self) -> list[str]:
        return sorted(self._tools)


@dataclass
class ToolRunner:
    """Validate, run under a timeout, and turn every failure into a ToolOutcome with a code."""

    registry: ToolRegistry
    # awaited before each valid call; raises ToolBlocked to refuse it, PluginError when a hook failed
    before_call: Callable[[dict[str, Any], ToolContext], Awaitable[None]] | None = None
    timeout: float | None = None  # overrides each tool's own, when set
    _ids: int = field(default=0, init=False)

    def new_call_id(self) -> str:
        self._ids += 1
        return f"call_{self._ids}"

    async def run(self, name: str, arguments: Any, ctx: ToolContext, call_id: str | None = None) -> ToolOutcome:
        call_id = call_id or self.new_call_id()
        args = arguments if isinstance(arguments, dict) else {}
        start = time.perf_counter()

        def done(ok: bool, result: Any, code: str | None = None, say: str | None = None) -> ToolOutcome:
            return ToolOutcome(call_id, name, args, ok, result, say, code, (time.perf_counter() - start) * 1000)

        tool = self.registry.get(name)
        if tool is None:
            known = ", ".join(self.registry.names()) or "none"
            return done(False, f"There is no tool called {name!r}. Known tools: {known}.", "unknown_tool")
        try:
            tool.validate(arguments)
            if self.before_call is not None:
                await self.before_call({"id": call_id, "name": name, "arguments": args}, ctx)
        except ToolBlocked as err:  # before_tool_call refused the call on purpose
            return done(False, f"The call to {name} was blocked: {err}", err.code)
        except HearthError as err:  # invalid arguments; a before_tool_call hook that failed (plugin_error)
            return done(False, str(err), err.code)
        except Exception as err:  # a before_call that is not the agent's: its failure is the plugin's
            return done(False, f"The check before {name} failed: {type(err).__name__}: {err}", PluginError.code)
        kwargs = {k: (tool._enums[k](v) if k in tool._enums else v) for k, v in args.items()}
        if tool.context_param:
            kwargs[tool.context_param] = ctx
        timeout = self.timeout or tool.timeout
        try:
            if tool.is_async:
                value = await asyncio.wait_for(tool.fn(**kwargs), timeout)
            else:
                value = await asyncio.wait_for(asyncio.to_thread(tool.fn, **kwargs), timeout)
        except asyncio.TimeoutError:
            return done(False, f"{name} did not answer within {timeout:g} s", "tool_timeout")
        except ToolError as err:
            return done(False, str(err), err.code)
        except Exception as err:
            return done(False, f"{name} failed: {type(err).__name__}: {err}", "tool_failed")
        if isinstance(value, ToolResult):
            return done(True, _jsonable(value.data), say=value.say)
        return done(True, _jsonable(value))


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return json.loads(json.dumps(value, default=str))
