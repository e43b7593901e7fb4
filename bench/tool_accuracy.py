"""Tool-call accuracy of a model on varied shopping-list requests (no fast path).

    python bench/tool_accuracy.py [--model gemma3-270m] [--limit N] [--only-test]

Prints a table: each request, the call the model made, right or wrong, seconds; then the rate.
A call is right when the tool name matches and the arguments mean the same to the tool: items
compare after the shopping list's own normalisation (case, plural, "2 loaves of bread" = bread x2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hearth import CallRequest
from hearth.config import load_models
from hearth.kit import read_quantity
from hearth.pluginmanager import PluginManager
from hearth.tools.shopping_list import item_key

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "shopping_requests.json"


def effective(name: str, args: dict) -> tuple:
    """What the shopping list tool would do with this call."""
    args = dict(args or {})
    if "item" in args and isinstance(args["item"], str):
        qty, item = read_quantity(args["item"])
        q = args.get("quantity", 1)
        if qty is not None and q == 1:
            q = qty
        return name, item_key(item), q if name == "add_to_shopping_list" else None
    return name, None, None


def is_right(case: dict, call: CallRequest | None) -> bool:
    if call is None:
        return False
    return effective(call.name, call.arguments if isinstance(call.arguments, dict) else {}) == effective(case["name"], case["arguments"])


async def first_call(backend, tools, text: str) -> tuple[CallRequest | None, str]:
    messages = [{"role": "system", "content": "You are Hearth, a helpful assistant in the user's home."},
                {"role": "user", "content": text}]
    call, said = None, ""
    async for ev in backend.chat(messages, tools):
        if isinstance(ev, CallRequest) and call is None:
            call = ev
        elif hasattr(ev, "text"):
            said += ev.text
    return call, said


async def run(model: str | None, limit: int | None, only_test: bool) -> dict:
    from hearth import Agent
    _, mf = load_models()
    name = model or mf.roles.main
    pm = PluginManager()
    pm.load()
    agent = Agent(models=mf, plugins=pm)
    backend = agent.pool.backend(name)
    await backend.load()
    tools = agent.tool_schemas()
    cases = json.loads(CASES.read_text())
    if only_test:
        cases = [c for c in cases if c.get("test")]
    cases = cases[:limit] if limit else cases
    rows, right, total_s = [], 0, 0.0
    for c in cases:
        t0 = time.perf_counter()
        call, said = await first_call(backend, tools, c["text"])
        dt = time.perf_counter() - t0
        total_s += dt
        ok = is_right(c, call)
        right += ok
        shown = f"{call.name}({json.dumps(call.arguments)})" if call else f"text: {said[:40]!r}"
        rows.append((c["text"], shown, ok, dt))
    await backend.close()
    return {"model": name, "right": right, "total": len(cases), "rows": rows, "s_per_request": total_s / max(1, len(cases))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model name in models.toml (default: the main role)")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--only-test", action="store_true", help="only the 10 requests the test suite uses")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    r = asyncio.run(run(a.model, a.limit, a.only_test))
    if a.json:
        print(json.dumps({k: v for k, v in r.items() if k != "rows"}))
        return
    t = Table(title=f"Tool-call accuracy: {r['model']}")
    for col in ("request", "call", "right", "s"):
        t.add_column(col)
    for text, shown, ok, dt in r["rows"]:
        t.add_row(text, shown, "yes" if ok else "[red]no[/]", f"{dt:.2f}")
    con = Console()
    con.print(t)
    con.print(f"{r['right']}/{r['total']} right ({100 * r['right'] / r['total']:.0f}%), {r['s_per_request']:.2f} s per request")


if __name__ == "__main__":
    sys.exit(main())
