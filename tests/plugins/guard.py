"""A test plugin that refuses one tool on purpose, from an async before_tool_call."""

import asyncio

from hearth import ToolBlocked, hookimpl


@hookimpl
async def before_tool_call(call, ctx):
    await asyncio.sleep(0)
    if call["name"] == "add_to_shopping_list" and ctx.session == "kitchen":
        raise ToolBlocked("the list is read-only today")
