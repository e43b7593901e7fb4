"""Hearth's tools over MCP stdio, as ``hearth mcp`` will serve them: an Agent with no model, then
``hearth.mcp_server.run_stdio``. Run with ``$HEARTH_HOME`` set (the shopping list lives there)."""

from __future__ import annotations

import asyncio

from hearth import Agent
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.mcp_server import run_stdio


def main() -> None:
    # serving tools needs no model: a placeholder role keeps models.toml out of the way
    placeholder = ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")})
    asyncio.run(run_stdio(Agent(models=placeholder)))


if __name__ == "__main__":
    main()
