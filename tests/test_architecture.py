"""The plugin boundary and the import graph of the core (``agent/``, imported as ``hearth``).

The graph is read from the source with ``ast``: every ``import`` and ``from ... import`` at any
depth (function-local ones too), relative imports resolved. The core knows hooks, not plugins: no
module under ``agent/`` imports ``hearth.plugins`` or ``hearth.tools``; and no two core modules
import each other, directly or through others.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

AGENT = Path(__file__).resolve().parent.parent / "agent"
FORBIDDEN = ("hearth.plugins", "hearth.tools")


def module_name(path: Path) -> str:
    parts = path.relative_to(AGENT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("hearth", *parts))


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports(path: Path) -> list[tuple[str, int, list[str]]]:
    """(imported module, line, names taken from it) for each import in the file, resolved to absolute names."""
    here = module_name(path)
    package = here if is_package(path) else here.rpartition(".")[0]
    found: list[tuple[str, int, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
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
        for target, _, names in imports(path):
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
