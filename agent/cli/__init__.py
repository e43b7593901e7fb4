"""The ``hearth`` command line: one module per command group, sharing :mod:`hearth.cli.common`."""

from __future__ import annotations

import logging

import typer

from hearth.cli import bench, chat, doctor, fit, mcp, models, plugins, serve, tools, voice, wyoming

app = typer.Typer(help="Hearth: a local voice and tool agent.", no_args_is_help=True, add_completion=False)

for _group in (chat, tools, plugins, models, bench, serve, wyoming, mcp, fit, doctor, voice):
    _group.register(app)


def main() -> None:
    """The ``hearth`` entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # plugin load problems are printed by the commands themselves
    logging.getLogger("hearth.pluginmanager").setLevel(logging.ERROR)
    app()


if __name__ == "__main__":
    main()
