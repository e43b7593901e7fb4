"""A test plugin with async startup, on_event and shutdown hooks that record what they saw."""

import asyncio

from hearth import hookimpl

calls: list[str] = []


@hookimpl
async def startup(agent):
    await asyncio.sleep(0)
    calls.append("startup")


@hookimpl
async def on_event(event):
    await asyncio.sleep(0)
    calls.append(event.type)


@hookimpl
async def shutdown(agent):
    await asyncio.sleep(0)
    calls.append("shutdown")
