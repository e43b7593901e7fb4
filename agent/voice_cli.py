"""CLI commands of this module; ``hearth.cli`` calls ``register(app)``."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``hearth`` app."""
