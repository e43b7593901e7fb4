"""A plugin whose register_tools registers one tool, then raises."""

from hearth import hookimpl


def ping() -> str:
    """Answer pong."""
    return "pong"


@hookimpl
def register_tools(register):
    register(ping)
    raise RuntimeError("weather service unreachable")
