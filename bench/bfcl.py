"""BFCL v4 (live_simple, live_irrelevance): Hearth's injected tool calling against plain prompting.

    python bench/bfcl.py [--limit N] [--method injected|plain|both] [--json] [--no-save] [--show-cases]

Both methods use the same embedded model (the ``main`` role of models.toml):

- ``injected``: Hearth's real path, ``backend.chat(messages, tools)`` with the model's configured
  settings (for Gemma 3 270M: ``tool_calling = "inject"``, ``tool_select = "rank"``: the tool is
  chosen by the model's likelihood of the request, then arguments are filled under a grammar).
- ``plain``: the same model prompted with the schemas (``plain_prompt``), greedy, no grammar and no
  ranking; calls read back with ``parse_calls`` and positional arguments bound to the schema.

Data: the first 100 cases of each category, in ``bench/data/`` (see its README.md).
Scoring follows BFCL's AST checker for simple (Python) calls: exactly one call, the right
function name, required arguments present, no argument outside the schema or the ground truth,
types as the schema says (an int is accepted for a float), strings compared after BFCL's
normalisation, lists and dicts element by element. live_irrelevance passes when no call is made.
BFCL function names with dots are given to the model with underscores (as BFCL does for OpenAI,
Mistral and Google models) and compared in that form.

A case that raises (e.g. a grammar llama.cpp cannot build) counts as a failure; its exception is
recorded and shown. Writes ``bench/results/bfcl.md`` unless ``--no-save``; text under a
``## Notes`` heading in an existing file is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import os
import platform
import re
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from hearth import CallRequest, Delta, Done
from hearth.config import load_models
from hearth.pluginmanager import PluginManager

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results" / "bfcl.md"
SIMPLE = DATA / "bfcl_live_simple_100.jsonl"
SIMPLE_ANSWERS = DATA / "bfcl_live_simple_100_answers.jsonl"
IRRELEVANCE = DATA / "bfcl_live_irrelevance_100.jsonl"
DEFAULT_SYSTEM = "You are a helpful assistant."
METHODS = ("injected", "plain")
PLAIN_MAX_TOKENS = 128


# -------------------------------------------------------------------------------------------------
# data
# -------------------------------------------------------------------------------------------------

def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tool_name(name: str) -> str:
    """The name the model sees: BFCL's dot-to-underscore mapping."""
    return name.replace(".", "_")


_TYPES = {"dict": "object", "float": "number", "tuple": "array"}


def to_json_schema(schema: Any) -> Any:
    """A BFCL parameter schema as JSON schema ("dict" -> "object", "float" -> "number", ...)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            if value == "any":
                continue
            out["type"] = _TYPES.get(value, value) if isinstance(value, str) else value
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {p: to_json_schema(s) for p, s in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [to_json_schema(s) for s in value]
        else:  # enum, default, description, required, ...
            out[key] = value
    return out


def to_tool(doc: dict[str, Any]) -> dict[str, Any]:
    params = to_json_schema(doc.get("parameters") or {"type": "dict", "properties": {}})
    params.setdefault("type", "object")
    return {"type": "function", "function": {"name": tool_name(doc["name"]), "description": doc.get("description", ""),
                                             "parameters": params}}


def to_messages(case: dict[str, Any]) -> list[dict[str, Any]]:
    turn = [{"role": m["role"], "content": m.get("content") or ""} for m in case["question"][0]]
    if not any(m["role"] == "system" for m in turn):
        turn.insert(0, {"role": "system", "content": DEFAULT_SYSTEM})
    return turn


# -------------------------------------------------------------------------------------------------
# scoring (BFCL's AST checker, simple category, Python)
# -------------------------------------------------------------------------------------------------

_PY = {"string": str, "integer": int, "float": float, "boolean": bool, "array": list, "tuple": list,
       "dict": dict, "any": str}


def norm(s: str) -> str:
    return re.sub(r"[ ,./\-_*^]", "", s).lower().replace("'", '"')


def _gold_type(acceptable: list[Any]) -> type | None:
    return next((type(a) for a in acceptable if a != ""), None)


def _type_ok(value: Any, acceptable: list[Any], expected: type, nested: type | None) -> tuple[bool, bool]:
    """(valid, is_variable). Exact types (a bool is no int); one level of nesting for arrays."""
    gold = _gold_type(acceptable)
    is_variable = gold is not None and gold is not expected
    if type(value) is expected:
        if nested is None:
            return True, is_variable
        for acc in acceptable:
            if isinstance(acc, list) and all(_type_ok(v, acc, nested, None)[0] for v in value):
                return True, is_variable
            if not isinstance(acc, list):  # an optional "" or a variable: no element types to check against
                return True, is_variable
    if gold is not None and type(value) is gold:
        return True, True
    return False, is_variable


def _dict_ok(value: dict[str, Any], acceptable: list[Any]) -> bool:
    for gold in acceptable:
        if gold == "" or not isinstance(gold, dict):
            continue
        ok = True
        for k, v in value.items():
            if k not in gold:
                ok = False
                break
            options = [norm(x) if isinstance(x, str) else x for x in gold[k]]
            if (norm(v) if isinstance(v, str) else v) not in options:
                ok = False
                break
        if ok and all(k in value or "" in opts for k, opts in gold.items()):
            return True
    return False


def _list_ok(value: list[Any], acceptable: list[Any]) -> bool:
    got = [norm(x) if isinstance(x, str) else x for x in value]
    for gold in acceptable:
        if isinstance(gold, list) and got == [norm(x) if isinstance(x, str) else x for x in gold]:
            return True
    return False


def check_simple(doc: dict[str, Any], answer: dict[str, Any], calls: list[tuple[str, Any]]) -> str | None:
    """None when the calls pass; otherwise the reason (BFCL-style error type: detail)."""
    if len(calls) != 1:
        return f"wrong_count: {len(calls)} calls"
    name, args = calls[0]
    gold = next(iter(answer["ground_truth"][0].values()))
    want = tool_name(doc["name"])
    if name != want:
        return f"wrong_func_name: {name!r}"
    if not isinstance(args, dict):
        return f"unparsed_args: {str(args)[:60]!r}"
    props = doc["parameters"].get("properties") or {}
    for p in doc["parameters"].get("required") or []:
        if p not in args:
            return f"missing_required: {p}"
    for p, value in args.items():
        if p not in props or p not in gold:
            return f"unexpected_param: {p}"
        t = props[p].get("type", "any")
        expected = _PY.get(t, str)
        nested = _PY.get((props[p].get("items") or {}).get("type", "any"), str) if t in ("array", "tuple") else None
        if t == "tuple" and isinstance(value, tuple):
            value = list(value)
        if t == "float" and type(value) is int:
            value = float(value)
        ok, is_variable = _type_ok(value, gold[p], expected, nested)
        if not ok:
            return f"type_error: {p}={value!r} (want {t})"
        if not is_variable:
            if expected is dict:
                if not _dict_ok(value, gold[p]):
                    return f"value_error:dict: {p}={json.dumps(value)[:60]}"
                continue
            if expected is str:
                if norm(value) not in [norm(a) for a in gold[p] if isinstance(a, str)]:
                    return f"value_error:string: {p}={value!r}"
                continue
            if expected is list:
                if not _list_ok(value, gold[p]):
                    return f"value_error:list: {p}={value!r}"
                continue
        if value not in gold[p]:
            return f"value_error:other: {p}={value!r}"
    for p, acceptable in gold.items():
        if p not in args and "" not in acceptable:
            return f"missing_optional: {p}"
    return None


def check_irrelevance(calls: list[tuple[str, Any]]) -> str | None:
    return None if not calls else f"made_call: {calls[0][0]}"


# -------------------------------------------------------------------------------------------------
# the two methods
# -------------------------------------------------------------------------------------------------

async def run_injected(backend: Any, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[list, str]:
    calls, said = [], ""
    async for ev in backend.chat(messages, tools):
        if isinstance(ev, CallRequest):
            calls.append((ev.name, ev.arguments))
        elif isinstance(ev, Delta):
            said += ev.text
        elif isinstance(ev, Done):
            pass
    return calls, said


def run_plain(backend: Any, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[list, str]:
    from hearth.plugins.llamacpp.prompt import PLAIN_STOPS, plain_prompt
    from hearth.tooling.calls import bind_positional, fn_schema, parse_calls
    prompt = plain_prompt(messages, tools)
    llm = backend.llm
    tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
    if len(tokens) + PLAIN_MAX_TOKENS > llm.n_ctx():
        raise ValueError(f"prompt of {len(tokens)} tokens + {PLAIN_MAX_TOKENS} exceeds n_ctx={llm.n_ctx()}")
    with backend._lock:
        out = llm.create_completion(tokens, max_tokens=PLAIN_MAX_TOKENS, temperature=0, top_k=1, stop=PLAIN_STOPS)
    text = out["choices"][0]["text"]
    by_name = {fn_schema(t)["name"]: t for t in tools}
    parsed, _ = parse_calls(text, set(by_name))
    calls = []
    for c in parsed:
        c = bind_positional(c, by_name.get(c.name))
        calls.append((c.name, c.arguments))
    return calls, text


# -------------------------------------------------------------------------------------------------
# the run
# -------------------------------------------------------------------------------------------------

def _short(calls: list[tuple[str, Any]], said: str) -> str:
    if calls:
        return "; ".join(f"{n}({json.dumps(a, ensure_ascii=False)})" for n, a in calls)[:160]
    return f"text: {said.strip()[:60]!r}"


async def run(limit: int | None, methods: list[str], progress: bool) -> dict[str, Any]:
    commit = git_commit()  # read before the run: the code that is imported now is the code measured
    _, mf = load_models()
    name = mf.roles.main
    pm = PluginManager()
    pm.load()
    backend = pm.backends[mf.models[name].backend](name, mf.models[name])
    t0 = time.perf_counter()
    await backend.load()
    load_s = time.perf_counter() - t0

    simple = read_jsonl(SIMPLE)
    answers = {a["id"]: a for a in read_jsonl(SIMPLE_ANSWERS)}
    irrelevance = read_jsonl(IRRELEVANCE)
    if limit:
        simple, irrelevance = simple[:limit], irrelevance[:limit]
    cats = [("live_simple", simple), ("live_irrelevance", irrelevance)]

    results: dict[str, Any] = {m: {"rows": [], "seconds": 0.0} for m in methods}
    total = len(methods) * (len(simple) + len(irrelevance))
    done = 0
    for method in methods:
        for cat, cases in cats:
            for case in cases:
                doc = case["function"][0]
                tools = [to_tool(f) for f in case["function"]]
                messages = to_messages(case)
                crash = None
                t1 = time.perf_counter()
                try:
                    if method == "injected":
                        calls, said = await run_injected(backend, messages, tools)
                    else:
                        calls, said = await asyncio.to_thread(run_plain, backend, messages, tools)
                except Exception as err:  # noqa: BLE001 - a crash is a failure; keep going
                    calls, said = [], ""
                    cause = err.__cause__ or err
                    crash = f"{type(err).__name__}: {err}"
                    if cause is not err:
                        crash += f" (from {type(cause).__name__})"
                    if os.environ.get("BFCL_TRACE"):
                        traceback.print_exc()
                dt = time.perf_counter() - t1
                results[method]["seconds"] += dt
                if crash:
                    why = f"crash: {crash}"
                elif cat == "live_simple":
                    why = check_simple(doc, answers[case["id"]], calls)
                else:
                    why = check_irrelevance(calls)
                results[method]["rows"].append({"id": case["id"], "category": cat, "ok": why is None, "why": why,
                                                "crash": crash, "got": _short(calls, said), "s": round(dt, 2)})
                done += 1
                if progress:
                    print(f"[{done}/{total}] {method} {case['id']}: {'ok' if why is None else why} ({dt:.1f}s)",
                          file=sys.stderr, flush=True)
    await backend.close()

    summary: dict[str, Any] = {"model": name, "model_file": backend.path.name if backend.path else None,
                               "load_s": round(load_s, 1), "cases_per_category": len(simple),
                               "date": _dt.date.today().isoformat(), "machine": machine(), "commit": commit, "methods": {}}
    for method in methods:
        rows = results[method]["rows"]
        s_ok = sum(r["ok"] for r in rows if r["category"] == "live_simple")
        i_ok = sum(r["ok"] for r in rows if r["category"] == "live_irrelevance")
        n_s = sum(r["category"] == "live_simple" for r in rows)
        n_i = sum(r["category"] == "live_irrelevance" for r in rows)
        acc_s, acc_i = s_ok / max(1, n_s), i_ok / max(1, n_i)
        summary["methods"][method] = {
            "live_simple": s_ok, "live_simple_n": n_s, "live_irrelevance": i_ok, "live_irrelevance_n": n_i,
            "mean": round((acc_s + acc_i) / 2, 4), "s_per_case": round(results[method]["seconds"] / max(1, len(rows)), 2),
            "errors": dict(Counter(r["why"].split(":")[0] if not r["crash"] else "crash"
                                   for r in rows if not r["ok"]).most_common()),
            "crashes": [{"id": r["id"], "error": r["crash"]} for r in rows if r["crash"]],
            "rows": rows,
        }
    return summary


def git_commit() -> str:
    import subprocess
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench"],
                               cwd=HERE.parent,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" (with uncommitted changes outside bench/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> str:
    cpu = platform.processor()
    if not cpu:
        try:
            cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                       if line.startswith("model name"))
        except (OSError, StopIteration):
            cpu = platform.machine()
    return f"{cpu}, {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), no GPU"


# -------------------------------------------------------------------------------------------------
# output
# -------------------------------------------------------------------------------------------------

def print_table(r: dict[str, Any], show_cases: bool) -> None:
    con = Console()
    n = r["cases_per_category"]
    if show_cases:
        for method, m in r["methods"].items():
            t = Table(title=f"{method}: cases")
            for col in ("id", "ok", "call / text", "why", "s"):
                t.add_column(col)
            for row in m["rows"]:
                t.add_row(row["id"], "yes" if row["ok"] else "[red]no[/]", row["got"], row["why"] or "", f"{row['s']:.1f}")
            con.print(t)
    t = Table(title=f"BFCL v4, first {n} cases per category: {r['model']} ({r['machine']})")
    for col in ("method", f"live_simple (/{n})", f"live_irrelevance (/{n})", "mean", "s/case", "crashes"):
        t.add_column(col)
    for method, m in r["methods"].items():
        t.add_row(method, f"{m['live_simple']}/{m['live_simple_n']}", f"{m['live_irrelevance']}/{m['live_irrelevance_n']}",
                  f"{100 * m['mean']:.1f}%", f"{m['s_per_case']:.2f}", str(len(m["crashes"])))
    con.print(t)
    for method, m in r["methods"].items():
        con.print(f"{method} failures by type: {m['errors']}")
        for c in m["crashes"]:
            con.print(f"  [red]crash[/] {c['id']}: {c['error'][:200]}")


def markdown(r: dict[str, Any], notes: str) -> str:
    n = r["cases_per_category"]
    lines = [
        "# BFCL v4: injected vs plain tool calling",
        "",
        f"- Date: {r['date']}",
        f"- Machine: {r['machine']}",
        f"- Code: commit {r['commit']}",
        f"- Model: `{r['model']}` ({r['model_file']}), llama.cpp backend, settings from models.toml",
        f"- Data: first {n} cases of `live_simple` and of `live_irrelevance` (`bench/data/`, see its README.md)",
        "- Command: `python bench/bfcl.py" + (f" --limit {n}" if n < 100 else "") + "`",
        "",
        "| method | live_simple | live_irrelevance | mean | s/case | crashes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for method, m in r["methods"].items():
        lines.append(f"| {method} | {m['live_simple']}/{m['live_simple_n']} | {m['live_irrelevance']}/{m['live_irrelevance_n']} "
                     f"| {100 * m['mean']:.1f}% | {m['s_per_case']:.2f} | {len(m['crashes'])} |")
    lines += [
        "",
        "`injected`: `backend.chat(messages, tools)` as the agent calls it (tool ranked by likelihood, arguments under a",
        "grammar). `plain`: `plain_prompt` + greedy `create_completion` (128 tokens), `parse_calls`, `bind_positional`.",
        "Scoring: BFCL's AST checker for simple calls; live_irrelevance passes when no call is made. A crash counts as a failure.",
        "",
        "## Failures by type",
        "",
    ]
    for method, m in r["methods"].items():
        lines.append(f"- {method}: " + (", ".join(f"{k} {v}" for k, v in m["errors"].items()) or "none"))
        for c in m["crashes"]:
            lines.append(f"  - crash `{c['id']}`: `{c['error'][:200]}`")
    lines += ["", "## Examples of failures (live_simple)", ""]
    for method, m in r["methods"].items():
        bad = [row for row in m["rows"] if not row["ok"] and row["category"] == "live_simple"]
        seen: set[str] = set()
        picked = []
        for row in bad:  # one per error type first, then fill up
            kind = (row["why"] or "").split(":")[0]
            if kind not in seen:
                seen.add(kind)
                picked.append(row)
        picked += [row for row in bad if row not in picked][: max(0, 5 - len(picked))]
        lines.append(f"- {method}:")
        for row in picked[:6]:
            lines.append(f"  - `{row['id']}`: {row['why']} ; got `{row['got'][:120]}`")
    if notes.strip():
        lines += ["", "## Notes", "", notes.strip()]
    return "\n".join(lines) + "\n"


def save_markdown(r: dict[str, Any], path: Path = RESULTS) -> None:
    notes = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if "\n## Notes\n" in old:
            notes = old.split("\n## Notes\n", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(r, notes), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="run only the first N cases of each category")
    ap.add_argument("--method", choices=("injected", "plain", "both"), default="both")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.relative_to(HERE.parent)}")
    ap.add_argument("--show-cases", action="store_true", help="also print every case")
    ap.add_argument("--quiet", action="store_true", help="no per-case progress on stderr")
    a = ap.parse_args()
    methods = list(METHODS) if a.method == "both" else [a.method]
    r = asyncio.run(run(a.limit, methods, progress=not a.quiet))
    if not a.no_save:
        save_markdown(r)
    if a.json:
        print(json.dumps({**r, "methods": {k: {kk: vv for kk, vv in v.items() if kk != "rows"}
                                            for k, v in r["methods"].items()}}))
    else:
        print_table(r, a.show_cases)


if __name__ == "__main__":
    sys.exit(main())
