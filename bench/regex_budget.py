"""How many regex alternatives the project's code holds: the budget of issue 24 is under 300.

    python bench/regex_budget.py [--json] [--top N]

Counted, over ``agent/``, ``plugins/`` and ``tools/``: in every module that imports ``re``, each ``|`` in a
string constant that is not a docstring (nor the ``"|"`` of a join), plus one per item of every
``"|".join(...)`` over a literal list,
tuple or set of strings (or a name bound to one in the same module). Sentence files (YAML) are data and are
not counted. Prints a table per file, largest first, and the total.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("agent", "plugins", "tools")
BUDGET = 300


def _imports_re(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "re" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "re":
            return True
    return False


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                ids.add(id(first.value))
    return ids


def _literal_words(node: ast.AST, names: dict[str, ast.AST]) -> int | None:
    if isinstance(node, ast.Name) and node.id in names:
        node = names[node.id]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return len(node.elts)
    return None


def count_file(path: Path) -> int:
    tree = ast.parse(path.read_text(), str(path))
    if not _imports_re(tree):
        return 0
    docs = _docstrings(tree)
    names: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            names[node.targets[0].id] = node.value
    joins = {id(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr == "join" and isinstance(n.func.value, ast.Constant) and n.func.value.value == "|"}
    total = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs | joins:
            total += node.value.count("|")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
              and isinstance(node.func.value, ast.Constant) and node.func.value.value == "|" and node.args):
            words = _literal_words(node.args[0], names)
            total += words or 0
    return total


def counts() -> dict[str, int]:
    out = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            n = count_file(path)
            if n:
                out[str(path.relative_to(ROOT))] = n
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    per_file = counts()
    total = sum(per_file.values())
    if args.json:
        print(json.dumps({"total": total, "budget": BUDGET, "files": per_file}, indent=2))
    else:
        for path, n in list(per_file.items())[:args.top]:
            print(f"{n:6d}  {path}")
        print(f"{total:6d}  total ({len(per_file)} files; budget under {BUDGET})")
    sys.exit(0 if total < BUDGET else 1)


if __name__ == "__main__":
    main()
