"""A plugin whose import fails: it needs a package that is not installed."""

import hearth_no_such_package  # noqa: F401

from hearth import hookimpl


@hookimpl
def register_tools(register):
    pass
