"""The ``[mcp]`` table of models.toml: ``[[mcp.servers]]``, each a stdio command or a streamable HTTP url.

The plugin declares the table (``register_settings("mcp", McpConfig)``), so the core validates it at start;
:func:`mcp_config` validates a table by hand with errors that name the server (``hearth doctor``, tests).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hearth.kit import validation_error


class McpServerConfig(BaseModel):
    """One ``[[mcp.servers]]`` table: stdio (``command``) or streamable HTTP (``url``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$",
                      description="the server's name: shown beside its tools, and the prefix of a clashing tool name")
    command: str | None = Field(None, description="stdio: the program that runs the server")
    args: list[str] = Field(default_factory=list, description="stdio: its arguments")
    env: dict[str, str] = Field(default_factory=dict, description="stdio: extra environment variables")
    cwd: str | None = Field(None, description="stdio: the working directory")
    url: str | None = Field(None, description="streamable HTTP: the server's MCP endpoint")
    token_env: str | None = Field(None, description="streamable HTTP: environment variable holding a bearer token")
    timeout: float = Field(30.0, gt=0, description="seconds one tool call may take")
    connect_timeout: float = Field(15.0, gt=0, description="seconds to connect and list the tools")
    ping_interval: float = Field(10.0, gt=0, description="seconds between liveness pings")
    max_backoff: float = Field(60.0, gt=0, description="longest wait between reconnection attempts, in seconds")
    examples: dict[str, list[str]] = Field(
        default_factory=dict, description="tier-1 sentence templates per tool, e.g. {add_note = ['note {text}']}")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://", v):
            raise ValueError("url must start with http:// or https://")
        return v

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either command (stdio) or url (streamable HTTP)")
        if self.url is None and self.token_env:
            raise ValueError("token_env is for a url server")
        if self.command is None and (self.args or self.env or self.cwd):
            raise ValueError("args, env and cwd are for a command (stdio) server")
        return self

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command else "http"


class McpConfig(BaseModel):
    """The ``[mcp]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    servers: list[McpServerConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> McpConfig:
        names = [s.name for s in self.servers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"two servers are named {', '.join(dup)}; give each its own name")
        return self


def mcp_config(data: dict[str, Any] | None, source: str | Path) -> McpConfig:
    """Validate an ``[mcp]`` table; ConfigError naming the file, the table and the key."""
    data = data or {}

    def where(loc: tuple) -> str:
        parts = [str(p) for p in loc]
        if len(parts) >= 2 and parts[0] == "servers" and parts[1].isdigit():
            i = int(parts[1])
            servers = data.get("servers") or []
            name = servers[i].get("name") if i < len(servers) and isinstance(servers[i], dict) else None
            table = f"[[mcp.servers]] #{i + 1}" + (f" ({name})" if isinstance(name, str) else "")
            key = ".".join(parts[2:])
        else:
            table, key = "[mcp]", ".".join(parts)
        return f"{table} key '{key}'" if key else table

    try:
        return McpConfig.model_validate(data)
    except ValidationError as err:
        raise validation_error(err, source, where) from err
