"""A test plugin whose async startup fails: it must cost only itself."""

import asyncio

from hearth import hookimpl


def ping() -> str:
    """Answer pong."""
    return "pong"


@hookimpl
def register_tools(register):
    register(ping)


@hookimpl
async def startup(agent):
    await asyncio.sleep(0)
    raise RuntimeError("the network is down")
