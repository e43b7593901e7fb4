"""A plugin that does not compile: the def line lacks its colon."""

from hearth import hookimpl


@hookimpl
def register_tools(register)
    pass
