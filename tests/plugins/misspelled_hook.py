"""A plugin that implements `register_tool`, a hook that does not exist (it means register_tools)."""

from hearth import hookimpl


def ping() -> str:
    """Answer pong."""
    return "pong"


@hookimpl
def register_tool(register):
    register(ping)
