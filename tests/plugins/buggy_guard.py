"""A test plugin whose before_tool_call has a bug (a KeyError), not a deliberate refusal."""

from hearth import hookimpl


@hookimpl
def before_tool_call(call):
    if call["arguments"]["quantity"] > 10:  # KeyError: not every call has a quantity
        raise RuntimeError("unreachable")
