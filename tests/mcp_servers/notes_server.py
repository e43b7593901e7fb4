"""A small MCP server written with the official SDK, for Hearth's MCP client tests.

``python notes_server.py`` serves over stdio; ``python notes_server.py --http PORT`` serves streamable
HTTP at http://127.0.0.1:PORT/mcp. ``$NOTES_PID_FILE`` receives the process id (so a test can kill it).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("notes")
notes: list[str] = []


@server.tool()
def add_note(text: str) -> str:
    """Add a note."""
    notes.append(text)
    return f"Noted: {text}"


@server.tool()
def list_notes() -> dict[str, Any]:
    """The notes so far."""
    return {"notes": list(notes), "count": len(notes)}


@server.tool()
def get_shopping_list() -> str:
    """A tool whose name clashes with Hearth's own shopping list tool."""
    return "the notes server has no shopping list"


@server.tool()
def broken() -> str:
    """Always fails."""
    raise ValueError("the notes are on fire")


@server.tool()
def whoami() -> int:
    """The server's process id."""
    return os.getpid()


def count_notes() -> int:
    """How many notes there are."""
    return len(notes)


@server.tool()
async def enable_counting(ctx: Context) -> str:
    """Add the count_notes tool and say the tool list changed."""
    server.add_tool(count_notes)
    try:
        await ctx.notify_tools_changed()
    except Exception:
        pass
    try:
        await ctx.request_context.session.send_tool_list_changed()
    except Exception:
        pass
    return "count_notes is on"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None)
    args = parser.parse_args()
    if pid_file := os.environ.get("NOTES_PID_FILE"):
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    if args.http:
        import uvicorn
        app = server.streamable_http_app()
        token = os.environ.get("NOTES_TOKEN")

        async def with_token(scope, receive, send):  # type: ignore[no-untyped-def]
            """Refuse a request without ``Authorization: Bearer $NOTES_TOKEN`` (as Home Assistant does)."""
            if scope["type"] == "http" and token:
                sent = dict(scope["headers"]).get(b"authorization", b"").decode()
                if sent != f"Bearer {token}":
                    await send({"type": "http.response.start", "status": 401, "headers": []})
                    await send({"type": "http.response.body", "body": b"unauthorized"})
                    return
            await app(scope, receive, send)

        uvicorn.run(with_token, host="127.0.0.1", port=args.http, log_level="warning")
    else:
        server.run()


if __name__ == "__main__":
    main()
