"""Find, load and isolate plugins.

Sources, in order: the ``hearth`` entry-point group (built-ins register there exactly as a
third-party package does), then single ``.py`` files in ``$HEARTH_HOME/plugins/``.
``HEARTH_LOAD_PLUGINS=a,b`` names the only plugins to load. A plugin that fails to import, raises
in a hook (an ``async`` hook is awaited inside the same isolation), implements a hook that does not
exist or registers a duplicate tool is recorded with its error and blocked; the rest keep working.
Two hooks differ: ``on_event`` is an observer, so its exception is only logged; ``before_tool_call``
may raise ``hearth.ToolBlocked`` to refuse a call, and anything else it raises blocks the plugin.
Every hook call goes through one path, :meth:`PluginManager._call`. A plugin that imports a module
the core moved (``hearth.tooling.moved.MOVED``) fails to load with an error that names the new place.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pydantic import BaseModel

from hearth import hookspecs
from hearth.config import hearth_home
from hearth.errors import HearthError, PluginError, ToolBlocked
from hearth.tooling.moved import moved_error
from hearth.tooling.registry import ToolRegistry
from hearth.tooling.tool import RegisterTool, Tool
from hearth.turn.router import IntentMatch

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hearth"
OBSERVERS = frozenset({"on_event"})  # an exception there is logged and ignored; the plugin is not blocked
REFUSERS = frozenset({"before_tool_call"})  # may raise ToolBlocked to refuse a call on purpose
REGISTRATION = (("register_settings", "settings"), ("register_tools", "tools"), ("register_backends", "backends"),
                ("register_stt", "stt"), ("register_tts", "tts"), ("register_sentences", "sentences"))  # (hook, PluginInfo field), in the order they run



@dataclass
class PluginInfo:
    name: str
    source: str
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    stt: list[str] = field(default_factory=list)
    tts: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # the models.toml tables it declared
    sentences: list[str] = field(default_factory=list)  # the sentence folders it registered
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # problems the plugin runs on with (a server that is down)
    dist: str | None = None  # the distribution that installed it (its extras may bring what it imports)
    missing: str | None = None  # the module it could not import, when that is why it did not load

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def allowed_plugins() -> set[str] | None:
    """The names in ``HEARTH_LOAD_PLUGINS``, or None when every plugin may load."""
    value = os.environ.get("HEARTH_LOAD_PLUGINS")
    if value is None:
        return None
    return {p.strip() for p in value.split(",") if p.strip()}


def plugins_dir() -> Path:
    return hearth_home() / "plugins"


class PluginManager:
    """pluggy's manager plus per-plugin isolation and bookkeeping."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.info: dict[str, PluginInfo] = {}
        self.tools = ToolRegistry()
        self.backends: dict[str, Callable[..., Any]] = {}
        self.stt: dict[str, Callable[..., Any]] = {}
        self.tts: dict[str, Callable[..., Any]] = {}
        self.settings_models: dict[str, type[BaseModel]] = {}  # [table] -> the model its plugin declared
        self.complete = False  # every installed plugin was asked to load (a table none declares is an error)

    # ---- loading ---------------------------------------------------------------------------------

    def load(self, *, entry_points: bool = True, directory: Path | None = None) -> None:
        """Load every allowed plugin, then collect what they register."""
        allowed = allowed_plugins()
        self.complete = entry_points and allowed is None
        if entry_points:
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                if allowed is not None and ep.name not in allowed:
                    continue
                if ep.name in self.info:
                    continue
                dist = getattr(ep, "dist", None)
                source = f"entry point {ep.value}" + (f" ({dist.name})" if dist else "")
                version = dist.version if dist else None
                self._load_one(ep.name, source, version, ep.load, dist=dist.name if dist else None)
        folder = directory if directory is not None else plugins_dir()
        if folder.is_dir():
            for path in sorted(folder.glob("*.py")):
                name = path.stem
                if name.startswith("_") or (allowed is not None and name not in allowed):
                    continue
                if name in self.info:
                    self.info[f"{name} ({path})"] = PluginInfo(
                        name, f"file {path}",
                        error=f"a plugin named {name!r} is already loaded from {self.info[name].source}; rename the file")
                    continue
                self._load_one(name, f"file {path}", None, functools.partial(_import_file, name, path))
        self.collect()

    def register_module(self, module: ModuleType | object, name: str, source: str = "in-process") -> None:
        """Register an already imported plugin object (tests, embedding)."""
        self._load_one(name, source, None, lambda: module)

    def _load_one(self, name: str, source: str, version: str | None, loader: Callable[[], Any],
                  dist: str | None = None) -> None:
        info = PluginInfo(name, source, version, dist=dist)
        self.info[name] = info
        try:
            module = loader()
        except BaseException as err:  # SyntaxError, ImportError, SystemExit in a plugin...
            if isinstance(err, KeyboardInterrupt):
                raise
            info.error = moved_error(err) or f"import failed: {type(err).__name__}: {err}"
            # a dependency not installed (often an extra left out): the faces say so where it matters
            missing = err.name if isinstance(err, ModuleNotFoundError) else None
            info.missing = missing if missing and not missing.startswith("hearth") else None
            log.log(logging.INFO if info.missing else logging.WARNING, "plugin %s: %s", name, info.error)
            return
        if isinstance(module, type):
            # a plugin class: one instance per manager, so per agent; its state lives on the instance
            try:
                module = module()
            except Exception as err:
                info.error = f"could not create the plugin object: {type(err).__name__}: {err}"
                log.warning("plugin %s: %s", name, info.error)
                return
        if info.version is None:
            info.version = getattr(module, "__version__", None) or getattr(
                sys.modules.get(type(module).__module__), "__version__", None)
        unknown = [
            attr for attr in dir(module)
            if getattr(getattr(module, attr, None), f"{ENTRY_POINT_GROUP}_impl", None) is not None
            and not _has_spec(self.pm, attr)
        ]
        if unknown:
            info.error = f"unknown hook(s) {', '.join(unknown)}; see hearth.hookspecs for the hook names"
            log.warning("plugin %s: %s", name, info.error)
            return
        try:
            self.pm.register(module, name=name)
        except Exception as err:  # pluggy.PluginValidationError: wrong arguments...
            info.error = f"invalid plugin: {err}"
            log.warning("plugin %s: %s", name, info.error)
            return
        info.hooks = sorted(
            c.name for c in (self.pm.get_hookcallers(module) or [])
        )

    # ---- registration hooks ----------------------------------------------------------------------

    def collect(self) -> None:
        """Run the registration hooks one plugin at a time, so one failure blocks only its plugin."""
        for hook_name, kind in REGISTRATION:
            for impl in self.impls(hook_name):
                plugin = impl.plugin_name
                if plugin in self.info and self.info[plugin].error:
                    continue
                register: Callable[..., Any]
                if kind == "tools":
                    register = self._tool_registrar(plugin)
                elif kind == "sentences":
                    register = self._sentence_registrar(plugin)
                else:
                    register = self._named_registrar(plugin, kind, hook_name)
                self._call_now(impl, hook_name, {"register": register})

    def _tool_registrar(self, plugin: str) -> RegisterTool:
        def register(fn: Callable[..., Any], **options: Any) -> Tool:
            tool = Tool(fn, plugin=plugin, **options)
            self.tools.add(tool)  # raises on a duplicate name: the plugin is blocked
            self.info[plugin].tools.append(tool.name)
            return tool
        return register

    def _sentence_registrar(self, plugin: str) -> Callable[[Any], None]:
        def register(folder: Any) -> None:
            path = Path(folder)
            if not path.is_dir():
                raise HearthError(f"register_sentences: {path} is no folder", "sentences_missing")
            if str(path) not in self.info[plugin].sentences:
                self.info[plugin].sentences.append(str(path))
        return register

    def sentence_folders(self) -> list[Path]:
        """The sentence folders of the plugins that run, in load order (the grammar's sources)."""
        return [Path(f) for info in self.info.values() if not info.error for f in info.sentences]

    def _named_registrar(self, plugin: str, kind: str, hook_name: str) -> Callable[..., None]:
        """The ``register(name, factory)`` of one plugin for one registration hook; ``kind`` names both
        the manager's registry (``self.backends``, ``self.settings_models`` for settings) and the
        ``PluginInfo`` field that lists what the plugin registered."""
        target: dict[str, Any] = self.settings_models if kind == "settings" else getattr(self, kind)

        def register(name: str, factory: Callable[..., Any]) -> None:
            if name in target:
                raise HearthError(f"{hook_name}: {name!r} is already registered by another plugin", "duplicate_name")
            target[name] = factory
            getattr(self.info[plugin], kind).append(name)
        return register

    def warn(self, plugin: str, message: str) -> None:
        """Record a problem a plugin runs on with (shown by ``hearth plugins``), e.g. a server it
        could not reach at start and keeps retrying."""
        log.warning("plugin %s: %s", plugin, message)
        info = self.info.get(plugin)
        if info is not None and message not in info.warnings:
            info.warnings.append(message)

    def block(self, plugin: str, error: str) -> None:
        """Record the error, drop what the plugin registered and stop calling its hooks."""
        log.warning("plugin %s blocked: %s", plugin, error)
        info = self.info.setdefault(plugin, PluginInfo(plugin, "unknown"))
        info.error = error
        self.tools.remove_plugin(plugin)
        info.tools.clear()
        for names, registry in ((info.backends, self.backends), (info.stt, self.stt), (info.tts, self.tts),
                                (info.settings, self.settings_models), (info.sentences, {})):
            for name in names:
                registry.pop(name, None)
            names.clear()
        if self.pm.get_plugin(plugin) is not None:
            self.pm.unregister(name=plugin)
        self.pm.set_blocked(plugin)

    @property
    def errors(self) -> dict[str, str]:
        return {n: i.error for n, i in self.info.items() if i.error}

    def impls(self, hook_name: str) -> list:
        """A hook's implementations in plugin load order."""
        return _in_load_order(getattr(self.pm.hook, hook_name).get_hookimpls(), self.info)

    # ---- calling hooks: one isolated path ---------------------------------------------------------

    async def _call(self, impl: Any, hook_name: str, kwargs: dict[str, Any]) -> Any:
        """Call one implementation in isolation: with the arguments it accepts (it may take fewer than
        the spec), awaiting an ``async`` one inside the same isolation. Returns its result, or a
        :class:`_Failed` when it raised: the plugin is then blocked (``hearth plugins`` shows why),
        except for an observer hook (``OBSERVERS``: only logged). ``ToolBlocked`` from a refusing hook
        (``REFUSERS``) is a deliberate answer and goes through to the caller."""
        try:
            result = impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames or k in impl.kwargnames})
            if inspect.isawaitable(result):
                result = await result
            return result
        except Exception as err:
            if isinstance(err, ToolBlocked) and hook_name in REFUSERS:
                raise
            return self._failed(impl.plugin_name, hook_name, err)

    def _call_now(self, impl: Any, hook_name: str, kwargs: dict[str, Any]) -> Any:
        """:meth:`_call` for a hook that must answer at once (registration, ``match_intent``): run to
        its end without an event loop. An implementation that waits for something cannot, and is
        blocked with a sentence that says so."""
        step: Coroutine[Any, Any, Any] = self._call(impl, hook_name, kwargs)
        try:
            step.send(None)
        except StopIteration as done:
            return done.value
        step.close()
        return self._failed(impl.plugin_name, hook_name, TypeError(
            f"it awaited something; {hook_name} must answer at once (a plain def, not async)"))

    def _failed(self, plugin: str, hook_name: str, err: BaseException) -> _Failed:
        failed = _Failed(plugin, f"{hook_name} raised {type(err).__name__}: {err}", err)
        if hook_name in OBSERVERS:
            log.error("plugin %s: %s failed (ignored)", plugin, hook_name, exc_info=err)
        else:
            self.block(plugin, failed.error)
        return failed

    async def call_each(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook on each plugin separately (``startup``, ``shutdown``): a raising plugin is
        blocked, the rest go on. The results of those that did not raise, in load order."""
        results = [await self._call(impl, hook_name, kwargs) for impl in self.impls(hook_name)]
        return [r for r in results if not isinstance(r, _Failed)]

    async def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call an observer hook (``on_event``) on each plugin; an exception is logged and ignored:
        the plugin keeps its tools and its other hooks."""
        for impl in self.impls(hook_name):
            await self._call(impl, hook_name, kwargs)

    def first_result(self, hook_name: str, **kwargs: Any) -> tuple[str, Any] | None:
        """(plugin, result) of the first plugin, in load order, whose implementation answers
        something else than ``None``; ``None`` when none does. The hook must answer at once. A result
        of the wrong shape (``SHAPES``) blocks its plugin and the next one is asked."""
        shape = SHAPES.get(hook_name)
        for impl in self.impls(hook_name):
            found = self._call_now(impl, hook_name, kwargs)
            if found is None or isinstance(found, _Failed):
                continue
            wrong = shape(found) if shape is not None else None
            if wrong:
                self.block(impl.plugin_name, f"{hook_name} returned {found!r}, {wrong}")
                continue
            return impl.plugin_name, found
        return None

    def match_intent(self, text: str) -> IntentMatch | None:
        """Tier 1 by plugins: the first ``match_intent`` call for ``text`` (the router's first matcher)."""
        answer = self.first_result("match_intent", text=text, tools=self.tools)
        if answer is None:
            return None
        plugin, found = answer
        why = found.get("reason")
        return IntentMatch(found["name"], found.get("arguments") or {},
                           f"plugin {plugin}: {why}" if isinstance(why, str) and why else f"plugin {plugin} matched")

    def prompt_context(self, session: str, room: str | None) -> list[str]:
        """Every plugin's ``prompt_context`` text, in load order (a result that is no text is ignored)."""
        found = [self._call_now(impl, "prompt_context", {"session": session, "room": room})
                 for impl in self.impls("prompt_context")]
        return [t.strip() for t in found if isinstance(t, str) and t.strip()]

    async def check_call(self, call: dict[str, Any], ctx: Any) -> None:
        """Run every ``before_tool_call`` (the runner's ``before_call``). ``ToolBlocked`` refuses the
        call; any other exception is the plugin's bug: the plugin is blocked and the call fails with
        ``PluginError`` (code ``plugin_error``) rather than passing unchecked."""
        for impl in self.impls("before_tool_call"):
            result = await self._call(impl, "before_tool_call", {"call": call, "ctx": ctx})
            if isinstance(result, _Failed):
                raise PluginError(f"The call to {call.get('name')} was not made: plugin {result.plugin}'s "
                                  f"{result.error}. The plugin is now blocked; see hearth plugins.") from result.err


@dataclass(frozen=True)
class _Failed:
    """What :meth:`PluginManager._call` returns for an implementation that raised."""

    plugin: str
    error: str  # "startup raised RuntimeError: ...": what hearth plugins shows
    err: BaseException


def _intent_shape(found: Any) -> str | None:
    if isinstance(found, dict) and isinstance(found.get("name"), str):
        return None
    return "not {'name': ..., 'arguments': {...}}"


SHAPES: dict[str, Callable[[Any], str | None]] = {"match_intent": _intent_shape}  # what's wrong with a result


def _in_load_order(impls: list, info: dict[str, PluginInfo]) -> list:
    """Hook implementations in the order their plugins loaded (built-ins and entry points first),
    so a later plugin cannot take a name an earlier one registered."""
    order = {name: i for i, name in enumerate(info)}
    return sorted(impls, key=lambda impl: order.get(impl.plugin_name, len(order)))


def _has_spec(pm: pluggy.PluginManager, name: str) -> bool:
    caller = getattr(pm.hook, name, None)
    return caller is not None and caller.spec is not None


def _import_file(name: str, path: Path) -> ModuleType:
    mod_name = f"hearth_plugin_{name}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(mod_name, None)
        raise
    return module
