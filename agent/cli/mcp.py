"""``hearth mcp``: Hearth's tools for any MCP client, over stdin/stdout."""

from __future__ import annotations

import asyncio
import importlib.util

import typer

from hearth.agent import Agent
from hearth.cli.common import fail


def mcp(session: str = typer.Option("mcp", "--session", "-s", help="The session the calls are logged under.")) -> None:
    """Serve Hearth's tools to an MCP client over stdio (add `hearth mcp` to the client's servers)."""
    if importlib.util.find_spec("mcp") is None:
        fail("hearth mcp needs the MCP SDK: pip install 'hearth[mcp]'")
    from hearth.faces.mcp_server import run_stdio  # the SDK is an extra: imported only when serving MCP

    asyncio.run(run_stdio(Agent(), session=session))  # stdout is the protocol: nothing else may print there


def register(app: typer.Typer) -> None:
    """Add ``hearth mcp`` to the ``hearth`` app."""
    app.command("mcp")(mcp)
