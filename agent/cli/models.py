"""``hearth models``: the models in models.toml, their locked settings and context budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from hearth.agent import DEFAULT_SYSTEM_PROMPT, Agent
from hearth.cli.common import Column, fail, load_plugins, render_table, report_plugin_errors
from hearth.cli.extras import backend_hint
from hearth.config import ModelConfig, load_models
from hearth.errors import HearthError
from hearth.pluginmanager import PluginManager


def context_budget(name: str, cfg: ModelConfig, pm: PluginManager, tools: list[dict[str, Any]]) -> dict[str, Any]:
    """The context budget of one model: what the system prompt and tool schemas take of n_ctx."""
    factory = pm.backends.get(cfg.backend)
    if factory is None:
        hint = backend_hint(pm, cfg.backend)
        return {"error": f"backend {cfg.backend!r} is not available" + (f"; {hint}" if hint else "")}
    system = [{"role": "system", "content": cfg.system_prompt or DEFAULT_SYSTEM_PROMPT}, {"role": "user", "content": ""}]
    try:
        used = factory(name, cfg).count_tokens(system, tools)
    except HearthError as e:
        return {"error": str(e)}
    except Exception as e:  # a model file that cannot be read: say so, show the rest
        return {"error": f"{type(e).__name__}: {e}"}
    if used is None:
        return {"error": "the backend cannot count tokens"}
    return {"n_ctx": cfg.n_ctx, "system_and_tools": used, "reply": cfg.max_tokens,
            "history": cfg.n_ctx - used - cfg.max_tokens}


def models(
    as_json: bool = typer.Option(False, "--json"),
    models_path: Path | None = typer.Option(None, "--models", help="models.toml to show"),
    budget: bool = typer.Option(True, "--budget/--no-budget", help="Count each model's context budget (reads each "
                                "tokenizer)."),
) -> None:
    """Show the models in models.toml with their locked settings and context budget.

    The budget is n_ctx split into the system prompt with every tool's schema, the reply
    (max_tokens), and what is left for history; the oldest turns are left out to fit it."""
    try:
        path, mf = load_models(models_path)
    except HearthError as e:
        fail(str(e))
    roles = {v: k for k, v in mf.roles.model_dump().items() if v}
    budgets: dict[str, dict[str, Any]] = {}
    if budget:
        pm = load_plugins(report=False)
        report_plugin_errors(pm, mf)  # what this models.toml needs, not the one in force
        tools = Agent(models=mf, plugins=pm).tool_schemas()
        budgets = {n: context_budget(n, m, pm, tools) for n, m in mf.models.items()}
    if as_json:
        print(json.dumps({"file": str(path), "roles": mf.roles.model_dump(),
                          "models": {n: {**m.model_dump(), **({"budget": budgets[n]} if n in budgets else {})}
                                     for n, m in mf.models.items()}}, indent=2))
        return
    columns = [Column("model"), Column("role"), Column("backend"), Column("num_gpu", right=True),
               Column("n_ctx", right=True), Column("kv_cache"), Column("keep_alive"), Column("tools"),
               Column("reference", wrap=True)]
    if budget:
        columns.append(Column("tokens: system+tools / reply / history", wrap=True))
    rows = []
    for n, m in mf.models.items():
        row = [escape(str(x)) for x in (n, roles.get(n, ""), m.backend, m.num_gpu, m.n_ctx, m.kv_cache,
                                        m.keep_alive, m.tool_calling, m.model)]
        if budget:
            b = budgets[n]
            row.append(f"[dim]{escape(b['error'][:60])}[/]" if "error" in b
                       else f"{b['system_and_tools']} / {b['reply']} / {b['history']}")
        rows.append(row)
    render_table(f"Models ({path})", columns, rows)


def register(app: typer.Typer) -> None:
    """Add ``hearth models`` to the ``hearth`` app."""
    app.command()(models)
