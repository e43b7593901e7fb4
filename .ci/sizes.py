"""The fast lane's size rules: no file over 400 lines, no function over 80 lines.

Small files with one job and short functions keep the code readable; ruff checks complexity
(C901), this checks length. Walks ``agent/``, ``plugins/`` and ``tools/`` (or the folders given as
arguments), prints each offender as ``path:line: ...`` and exits 1 when there is one.

Run from the repository root: ``python .ci/sizes.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80
FOLDERS = ("agent", "plugins", "tools")


def python_files(folders: list[Path]) -> Iterator[Path]:
    """Every ``.py`` file under ``folders``, in a stable order."""
    for folder in folders:
        yield from sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def offenders(path: Path) -> Iterator[str]:
    """This file's breaches of the size rules, one ``path:line: message`` each."""
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    if lines > MAX_FILE_LINES:
        yield f"{path}:1: file has {lines} lines (at most {MAX_FILE_LINES}); split it by job"
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as err:
        yield f"{path}:{err.lineno or 1}: does not parse: {err.msg}"
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            length = (node.end_lineno or node.lineno) - start + 1
            if length > MAX_FUNCTION_LINES:
                yield (f"{path}:{node.lineno}: function {node.name} has {length} lines "
                       f"(at most {MAX_FUNCTION_LINES}); split it")


def main(argv: list[str]) -> int:
    """Check the folders in ``argv`` (default: agent, plugins, tools); 1 if anything is too long."""
    folders = [Path(a) for a in argv] or [Path(f) for f in FOLDERS]
    missing = [str(f) for f in folders if not f.is_dir()]
    if missing:
        print(f"sizes: no such folder: {', '.join(missing)} (run from the repository root)", file=sys.stderr)
        return 2
    found = [line for path in python_files(folders) for line in offenders(path)]
    for line in found:
        print(line)
    if found:
        print(f"sizes: {len(found)} offender(s): files at most {MAX_FILE_LINES} lines, "
              f"functions at most {MAX_FUNCTION_LINES}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
