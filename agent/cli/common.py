"""What every ``hearth`` command shares: the consoles, failing cleanly, loading plugins and the agent,
and tables that stay readable in a narrow terminal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.padding import Padding
from rich.status import Status
from rich.table import Table
from rich.text import Text

from hearth.agent import Agent
from hearth.cli import extras
from hearth.config import ModelsFile, load_models
from hearth.errors import HearthError
from hearth.events import Event
from hearth.pluginmanager import PluginManager

out = Console()
err = Console(stderr=True, soft_wrap=True)

MODELS_HELP = "models.toml to use (default: $HEARTH_MODELS, $HEARTH_HOME/models.toml, the shipped one)"


def models_option(help: str = MODELS_HELP) -> Any:
    """The ``--models`` option every command that reads models.toml takes."""
    return typer.Option(None, "--models", help=help)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _models_in_force() -> ModelsFile | None:
    """The models.toml in force, for deciding which optional plugins matter; None if it does not load."""
    try:
        return load_models()[1]
    except HearthError:
        return None


def plugin_error_lines(pm: PluginManager, models: ModelsFile | None) -> list[str]:
    """What to say about the plugins that did not load. An optional plugin whose extra is not
    installed is not worth a line unless ``models`` needs it: then the line says what needs it and
    the command that installs it (:mod:`hearth.cli.extras`). ``hearth plugins`` lists them all."""
    lines = []
    for info in pm.info.values():
        if not info.error:
            continue
        error, command = info.error, extras.install_command(info)
        if command is not None:
            needs = extras.uses(pm, models, info)
            if not needs:
                continue  # an extra this setup does not use: nothing to say
            error = f"{error}; {', '.join(needs)} needs it: install it with {command}"
        lines.append(f"[yellow]plugin {escape(info.name)} skipped:[/] {escape(error)}")
    return lines


def report_plugin_errors(pm: PluginManager, models: ModelsFile | None = None) -> None:
    """One stderr line per plugin that did not load and matters (:func:`plugin_error_lines`);
    ``models``: the models.toml in use (default: the one in force)."""
    if pm.errors and models is None:
        models = _models_in_force()
    for line in plugin_error_lines(pm, models):
        err.print(line, highlight=False)


def load_plugins(*, report: bool = True) -> PluginManager:
    """The loaded plugins, with load errors reported on stderr (unless ``report`` is false)."""
    pm = PluginManager()
    pm.load()
    if report:
        report_plugin_errors(pm)
    return pm


def build_agent(models: Path | None) -> Agent:
    """The agent for ``models`` (a models.toml path or None), or a clean exit naming what is wrong."""
    try:
        agent = Agent(models=models)
    except HearthError as e:
        fail(str(e))
    report_plugin_errors(agent.plugins, agent.models)
    return agent


def progress_printer(status: Status) -> Callable[[str, float | None], None]:
    """A model-load progress callback that updates a spinner line."""
    def progress(what: str, fraction: float | None) -> None:
        status.update(f"[cyan]{what}[/]" + (f" {fraction:.0%}" if fraction is not None else ""))
    return progress


def print_json_event(event: Event) -> None:
    """One event as a JSON line on stdout."""
    print(json.dumps(event.to_dict(), ensure_ascii=False, default=str), flush=True)


# ---- tables that fit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column. ``wrap``: long text that may wrap onto more lines (a description);
    other columns keep each cell on one line. ``right``: right-justified (numbers)."""

    header: str
    wrap: bool = False
    right: bool = False


def _plain(cell: str) -> str:
    return Text.from_markup(cell).plain


def _needed(column: Column, cells: Sequence[str]) -> int:
    """The narrowest this column can be without cutting its header or a cell (a word, if it wraps)."""
    texts = [_plain(c) for c in cells]
    if column.wrap:
        widest = max((len(w) for t in texts for w in t.split()), default=0)
    else:
        widest = max((len(t) for t in texts), default=0)
    return max(len(column.header), widest)


def fits(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> bool:
    """Whether the table fits ``width`` columns with no header and no one-line cell cut."""
    chrome = 3 * len(columns) + 1  # a space either side of each cell and a rule between and around
    return sum(_needed(c, [r[i] for r in rows]) for i, c in enumerate(columns)) + chrome <= width


def render_table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
                 styles: Sequence[str] | None = None, console: Console | None = None) -> None:
    """Print rows (cells may hold rich markup) as a table when it fits the terminal, else as one
    block per row: the first cell as its heading, then one ``header  value`` line per other cell."""
    console = console or out
    if fits(columns, rows, console.width):
        table = Table(title=title)
        for i, c in enumerate(columns):
            table.add_column(c.header, justify="right" if c.right else "left", no_wrap=not c.wrap,
                             min_width=None if c.wrap else _needed(c, [r[i] for r in rows]))
        for n, row in enumerate(rows):
            table.add_row(*row, style=styles[n] if styles else None)
        console.print(table)
        return
    console.print(f"[bold]{escape(title)}[/]", highlight=False)
    for n, row in enumerate(rows):
        block = Table.grid(padding=(0, 2))
        block.add_column(style="dim", no_wrap=True)
        block.add_column(overflow="fold")
        for c, cell in zip(columns[1:], row[1:], strict=False):
            if _plain(cell).strip():
                block.add_row(escape(c.header), cell)
        style = styles[n] if styles else ""
        heading = Text.from_markup(row[0], style="bold " + style if style else "bold")
        console.print(Group(Text(""), heading, Padding(block, (0, 0, 0, 2), expand=False)), highlight=False)
