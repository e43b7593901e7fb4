"""A test plugin: a tool that never answers (it sleeps far past its timeout), and one that answers."""

import time

from hearth import hookimpl


def hang(seconds: float = 600) -> str:
    """Wait, and wait.

    Args:
        seconds: How long to wait.
    """
    time.sleep(seconds)
    return "woke up"


def ping() -> str:
    """Answer at once."""
    return "pong"


@hookimpl
def register_tools(register):
    register(hang, timeout=0.3)
    register(ping)
