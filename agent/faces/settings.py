"""How ``hearth serve`` listens and what it will take: :class:`ServerSettings`, and :class:`ServerError`
for a request (or a setting) the server refuses."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from hearth.config import is_loopback
from hearth.errors import HearthError


class ServerError(HearthError):
    """A request the server will not take (``busy``, ``bad_frame``...)."""


@dataclass(frozen=True)
class ServerSettings:
    """How ``hearth serve`` listens and what it will take (every limit has a CLI option)."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    concurrency: int = 4          # turns running at once, across sessions
    queue: int = 64               # turns waiting for a slot before "busy"
    connection_queue: int = 8     # chats one websocket may have waiting
    max_frame: int = 64 * 1024    # bytes of one websocket frame / HTTP body
    max_message: int = 4000       # characters of one message
    rate: float = 5.0             # frames (or requests) per second, per connection (or client)
    burst: int = 20               # ... with this many at once
    turn_timeout: float = 120.0   # seconds
    prewarm: bool = True

    def check(self) -> None:
        """Refuse a token that is empty, blank or not visible ASCII, and listening beyond this machine
        without a token."""
        if self.token is not None:
            if not self.token.strip():
                raise ServerError("the token is empty or only spaces; set a real one with --token or HEARTH_TOKEN "
                                  "(or unset HEARTH_TOKEN to serve on loopback without one)", "token_invalid")
            if not (self.token.isascii() and self.token.isprintable()) or " " in self.token:
                raise ServerError("the token must be visible ASCII characters without spaces, so that every "
                                  "client can send it in a header or a URL", "token_invalid")
        if not is_loopback(self.host) and not self.token:
            raise ServerError(
                f"binding to {self.host} exposes Hearth to the network; set a token with --token or "
                "HEARTH_TOKEN (clients send it as 'Authorization: Bearer TOKEN' or ?token=TOKEN)", "token_required")


SESSION_HEADER = r"^[!-~]([ -~]*[!-~])?$"  # an X-Session-ID: visible ASCII, inner spaces allowed


def user_session(user_id: str) -> str:
    """The session of a user's own conversation: ``user-`` and the id, percent-encoded (UTF-8) where it
    is not plain ASCII, so the session always fits an HTTP header."""
    return "user-" + quote(user_id, safe="")
