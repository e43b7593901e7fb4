"""``hearth serve``: Hearth as a local service (websocket, HTTP and a chat page)."""

from __future__ import annotations

import socket
from pathlib import Path

import typer

from hearth.cli.common import build_agent, fail, models_option
from hearth.faces.server import serve as run_server
from hearth.faces.settings import ServerError, ServerSettings


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind. Anything but loopback needs a token."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port (0: any free port; the address is printed)."),
    token: str | None = typer.Option(None, envvar="HEARTH_TOKEN", show_envvar=True,
                                        help="Required on every request and websocket when set."),
    concurrency: int = typer.Option(4, min=1, help="Turns that run at once across sessions."),
    queue: int = typer.Option(64, min=0, help="Turns that may wait for a slot; past it, 'busy'."),
    max_frame: int = typer.Option(64 * 1024, min=1024, help="Largest websocket frame or HTTP body (bytes)."),
    rate: float = typer.Option(5.0, min=0.1, help="Frames per second per websocket (and requests per client)."),
    burst: int = typer.Option(20, min=1, help="Frames allowed at once above the rate."),
    turn_timeout: float = typer.Option(120.0, min=1, help="Seconds a turn may take."),
    prewarm: bool = typer.Option(True, help="Load the role models in the background at start."),
    models: Path | None = models_option(),
) -> None:
    """Serve Hearth: websocket /ws, HTTP /api/chat, a chat page at /, /healthz and /openapi.json."""
    settings = ServerSettings(host=host, port=port, token=token, concurrency=concurrency, queue=queue,
                              max_frame=max_frame, rate=rate, burst=burst, turn_timeout=turn_timeout, prewarm=prewarm)
    try:
        settings.check()
    except ServerError as e:
        fail(str(e))
    # bind here, so port 0 is known before uvicorn starts and a busy port is a clear error
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # no Nagle delay: a turn is several small frames, and Linux passes this to accepted sockets
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {e.strerror or e}")
    settings = ServerSettings(**{**settings.__dict__, "port": sock.getsockname()[1]})
    agent = build_agent(models)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host

    def ready() -> None:  # called once the port accepts connections and the app has started
        print(f"Hearth {'(token required) ' if settings.token else ''}on http://{shown}:{settings.port}/ "
              f"- websocket ws://{shown}:{settings.port}/ws - Ctrl-C stops", flush=True)
    run_server(agent, settings, log_level="warning", sock=sock, on_ready=ready)


def register(app: typer.Typer) -> None:
    """Add ``hearth serve`` to the ``hearth`` app."""
    app.command()(serve)
