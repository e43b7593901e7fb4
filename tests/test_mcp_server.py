"""Hearth's tools for MCP clients: the SDK's own client over stdio (what ``hearth mcp`` runs) and over
streamable HTTP (the ASGI app ``hearth serve`` mounts at /mcp), served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from conftest import import_or_skip  # noqa: E402

import_or_skip("mcp")

import uvicorn  # noqa: E402
from conftest import free_port  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402

from hearth import Agent  # noqa: E402
from hearth.config import ModelConfig, ModelsFile, Roles  # noqa: E402
from hearth.faces.mcp_server import mcp_asgi_app  # noqa: E402

HEARTH = shutil.which("hearth", path=str(Path(sys.executable).parent)) or "hearth"


def placeholder_agent() -> Agent:
    return Agent(models=ModelsFile(roles=Roles(main="none"), models={"none": ModelConfig(backend="none", model="none")}))


async def shopping_list() -> list[str]:
    """What Hearth's own shopping list holds (the same HEARTH_HOME database)."""
    agent = placeholder_agent()
    try:
        outcome = await agent.run_tool("get_shopping_list", {})
    finally:
        await agent.stop()
    return [i["name"] for i in outcome.result["items"]]


async def exercise(client: Client) -> None:
    """List Hearth's tools, add an item, and see a bad call refused with Hearth's code."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"add_to_shopping_list", "get_shopping_list", "start_timer"} <= set(tools)
    assert tools["add_to_shopping_list"].input_schema["required"] == ["item"]
    added = await client.call_tool("add_to_shopping_list", {"item": "oat milk"})
    assert not added.is_error
    assert added.content[0].text == "Added oat milk to your shopping list."
    assert added.structured_content == {"name": "oat milk", "quantity": 1, "checked": False}
    bad = await client.call_tool("add_to_shopping_list", {"thing": "x"})
    assert bad.is_error and '"error": "invalid_arguments"' in bad.content[0].text


async def test_sdk_client_over_stdio(home):
    params = StdioServerParameters(command=HEARTH, args=["mcp"], env={"HEARTH_HOME": str(home),
                                   "HEARTH_LOAD_PLUGINS": "shopping_list,timers"})
    async with Client(params) as client:
        await exercise(client)
    assert await shopping_list() == ["oat milk"]
    # the calls were logged like any other, under session "mcp"
    agent = placeholder_agent()
    calls = [(r.name, r.ok) for r in agent.storage.tool_calls("mcp")]
    assert calls == [("add_to_shopping_list", True), ("add_to_shopping_list", False)]


async def test_sdk_client_over_streamable_http(home, monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,timers")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(mcp_asgi_app(placeholder_agent()), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(600):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.05)
        assert server.started
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            await exercise(client)
    finally:
        server.should_exit = True
        await serving
    assert await shopping_list() == ["oat milk"]


async def test_hearth_serve_mcp_route_behind_the_token(home, monkeypatch):
    """The wiring the lead adds to ``hearth serve``: /mcp routed to McpHttp.app, behind the same guard."""
    import httpx
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    from hearth.faces.mcp_server import McpHttp
    from hearth.faces.server import ServerSettings, create_app

    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,timers")
    agent = placeholder_agent()
    app = create_app(agent, ServerSettings(token="s3cret", prewarm=False, rate=1000, burst=1000))
    face = McpHttp(agent)
    app.add_route("/mcp", face.app)  # a Route, not a Mount: /mcp itself answers
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    async with face.running():  # in hearth serve: inside the app's lifespan
        serving = asyncio.create_task(server.serve())
        try:
            for _ in range(600):
                if server.started or serving.done():
                    break
                await asyncio.sleep(0.05)
            assert server.started
            url = f"http://127.0.0.1:{port}/mcp"
            hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            accept = {"Accept": "application/json, text/event-stream"}
            async with httpx.AsyncClient() as raw:
                for headers in ({}, {"Authorization": "Bearer guess"}):
                    refused = await raw.post(url, json=hello, headers={**accept, **headers})
                    assert refused.status_code == 401  # no token, a wrong token: refused before MCP sees it
            good = httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret"})
            async with Client(streamable_http_client(url, http_client=good)) as client:
                await exercise(client)
        finally:
            server.should_exit = True
            await serving
    assert await shopping_list() == ["oat milk"]
