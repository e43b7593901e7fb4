"""The plugin boundary and the import graph of the core (``agent/``, imported as ``hearth``).

The graph is read from the source with ``ast``: every ``import`` and ``from ... import`` at any
depth (function-local ones too), relative imports resolved. The core knows hooks, not plugins: no
module under ``agent/`` imports ``hearth.plugins`` or ``hearth.tools``; and no two core modules
import each other, directly or through others (imports under ``if TYPE_CHECKING:`` are types
only, never run, and left out of the cycle check). The other way round, a plugin or tool imports
from the core only ``hearth`` and ``hearth.kit``, and no other plugin or tool. Every hook is typed
and shows an example; the core's root stays small; the public names exist.
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import inspect
from pathlib import Path

import hearth
from hearth import hookspecs

ROOT = Path(__file__).resolve().parent.parent
AGENT = ROOT / "agent"
FORBIDDEN = ("hearth.plugins", "hearth.tools")
# where each installed package lives in the repository, and its import name
PACKAGES = {AGENT: "hearth", ROOT / "plugins": "hearth.plugins", ROOT / "tools": "hearth.tools"}
PUBLIC = ("hearth", "hearth.kit")  # all a plugin or tool may import from the core
MAX_ROOT_MODULES = 14  # agent/*.py besides __init__.py: the rest lives in wings (turn/, tooling/, faces/, voice/...)


def module_name(path: Path) -> str:
    base = next(b for b in PACKAGES if path.is_relative_to(b))
    parts = path.relative_to(base).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGES[base], *parts))


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes inside ``if TYPE_CHECKING:`` blocks (types only, never run)."""
    return {id(inner) for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for stmt in node.body for inner in ast.walk(stmt)}


def imports(path: Path, *, type_only: bool = True) -> list[tuple[str, int, list[str]]]:
    """(imported module, line, names taken from it) for each import in the file, resolved to absolute
    names; ``type_only=False`` leaves out those under ``if TYPE_CHECKING:``."""
    here = module_name(path)
    package = here if is_package(path) else here.rpartition(".")[0]
    found: list[tuple[str, int, list[str]]] = []
    tree = ast.parse(path.read_text(), str(path))
    skip = set() if type_only else _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno, [alias.name for alias in node.names]))
    return found


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(AGENT.rglob("*.py"))}


def graph() -> dict[str, set[str]]:
    """Each core module and the core modules it imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    modules = core_modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _, names in imports(path, type_only=False):
            for candidate in [f"{target}.{n}" for n in names if f"{target}.{n}" in modules] or [target]:
                if candidate in modules and candidate != name:
                    edges[name].add(candidate)
    return edges


def test_the_graph_sees_relative_and_function_local_imports():
    edges = graph()
    assert "hearth.config" in edges["hearth.agent"]          # from .config import ... at the top
    assert "hearth.gpu.probe" in edges["hearth.gpu"]        # from .probe import ... in a package
    assert "hearth.cli.common" in edges["hearth.cli.chat"]  # a sibling in a subpackage
    assert "hearth.agent" in edges["hearth.cli.common"]      # two dots: the parent package
    # hookspecs names the Agent type under TYPE_CHECKING only: seen as an import, not run, so no edge
    assert "hearth.agent" in [t for t, _, _ in imports(AGENT / "hookspecs.py")]
    assert "hearth.agent" not in edges["hearth.hookspecs"]


def test_the_core_imports_no_plugin_and_no_tool():
    offenders = [f"{path.relative_to(AGENT.parent)}:{line} imports {target}"
                 for name, path in core_modules().items() for target, line, names in imports(path)
                 if any(target == f or target.startswith(f + ".") for f in FORBIDDEN)
                 or (target == "hearth" and {"plugins", "tools"} & set(names))]
    assert offenders == [], "the core knows hooks, not plugins:\n" + "\n".join(offenders)


def test_core_modules_import_each_other_without_a_cycle():
    try:
        tuple(graphlib.TopologicalSorter(graph()).static_order())
    except graphlib.CycleError as err:
        raise AssertionError(f"an import cycle among core modules: {' -> '.join(err.args[1])}") from None


# ---- the plugin boundary, seen from the plugins --------------------------------------------------------


def own_package(name: str) -> str:
    """``hearth.plugins.llamacpp`` for ``hearth.plugins.llamacpp.backend``; a single-file plugin is its own."""
    return ".".join(name.split(".")[:3])


def taken(target: str, names: list[str]) -> list[str]:
    """The hearth modules one import takes: ``from hearth import kit`` takes ``hearth.kit``,
    ``from hearth.plugins import ollama`` takes ``hearth.plugins.ollama``."""
    if target == "hearth":
        return ["hearth"] + [f"hearth.{n}" for n in names if n in ("kit", "plugins", "tools")]
    if target in FORBIDDEN:
        return [f"{target}.{n}" for n in names]
    return [target]


def boundary_offenders(path: Path) -> list[str]:
    """``file:line imports module`` for each import of a plugin or tool file beyond ``PUBLIC`` and its own package."""
    own = own_package(module_name(path))
    where = path.relative_to(next(b for b in PACKAGES if path.is_relative_to(b)).parent)
    return [f"{where}:{line} imports {module}"
            for target, line, names in imports(path) for module in taken(target, names)
            if (module == "hearth" or module.startswith("hearth.")) and module not in PUBLIC
            and module != own and not module.startswith(own + ".")]


def test_plugins_and_tools_import_only_the_public_core_and_their_own_package():
    offenders = [o for base in (ROOT / "plugins", ROOT / "tools") for path in sorted(base.rglob("*.py"))
                 for o in boundary_offenders(path)]
    assert offenders == [], ("a plugin imports from the core only hearth and hearth.kit, and no other plugin:\n"
                             + "\n".join(offenders))


def test_the_boundary_check_sees_stray_imports(tmp_path, monkeypatch):
    package = tmp_path / "plugins" / "weather"
    package.mkdir(parents=True)
    path = package / "__init__.py"
    path.write_text("from . import api\nfrom hearth import hookimpl, kit\nfrom hearth.kit import fn_schema\n"
                    "from hearth.plugins import llamacpp\nimport hearth.tools.timers\n\n\n"
                    "def f():\n    from hearth.tooling.tool import Tool\n")
    monkeypatch.setitem(PACKAGES, tmp_path / "plugins", "hearth.plugins")

    assert sorted(boundary_offenders(path)) == [
        "plugins/weather/__init__.py:4 imports hearth.plugins.llamacpp",
        "plugins/weather/__init__.py:5 imports hearth.tools.timers",
        "plugins/weather/__init__.py:9 imports hearth.tooling.tool",
    ]


# ---- hooks, the root, the public names -----------------------------------------------------------------


def hook_specs() -> dict[str, object]:
    return {name: fn for name, fn in vars(hookspecs).items() if getattr(fn, "hearth_spec", None) is not None}


def test_every_hookspec_is_typed_and_shows_an_example():
    specs = hook_specs()
    missing = []
    for name, fn in specs.items():
        sig = inspect.signature(fn)
        missing += [f"{name}({p})" for p, param in sig.parameters.items() if param.annotation is inspect.Parameter.empty]
        if sig.return_annotation is inspect.Signature.empty:
            missing.append(f"{name} -> ?")
        if "Example" not in (fn.__doc__ or ""):
            missing.append(f"{name}: no Example in its docstring")
    assert len(specs) >= 11 and missing == [], "\n".join(missing)


def test_the_core_root_stays_small():
    root = sorted(p.name for p in AGENT.glob("*.py") if p.name != "__init__.py")
    assert len(root) <= MAX_ROOT_MODULES, f"{len(root)} modules at agent/'s root (at most {MAX_ROOT_MODULES}): {root}"


def test_the_public_names_exist():
    kit = importlib.import_module("hearth.kit")
    absent = [f"{mod.__name__}.{n}" for mod in (hearth, kit) for n in mod.__all__ if not hasattr(mod, n)]
    doubled = [f"{mod.__name__}.{n}" for mod in (hearth, kit) for n in set(mod.__all__) if mod.__all__.count(n) > 1]
    assert (absent, doubled) == ([], [])
