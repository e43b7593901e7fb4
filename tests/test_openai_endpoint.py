"""Hearth's OpenAI-compatible endpoint (``/v1``) under a real uvicorn on 127.0.0.1, with the official
``openai`` client. The turns here are tier 1 (the intent fast path), which needs no model."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import openai
import pytest
import uvicorn
from conftest import free_port
from openai_servers import LlamaCppServer, packaged_gguf

from hearth import Agent, Storage
from hearth.faces.server import create_app
from hearth.faces.settings import ServerSettings

TOKEN = "s3cret-token"


@contextlib.asynccontextmanager
async def hearth_serve(tmp_path, monkeypatch, token: str | None = TOKEN, models: str | None = None,
                       turn_timeout: float = 120.0) -> AsyncIterator[str]:
    """``hearth serve`` in this event loop: the server app plus the /v1 routes, on a free port."""
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,openai,shopping_list")
    agent = Agent(models=models, storage=Storage(f"sqlite:///{tmp_path}/t.db"))
    app = create_app(agent, ServerSettings(token=token, prewarm=False, turn_timeout=turn_timeout))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        await task
        sock.close()


def client(base_url: str, key: str = TOKEN) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=base_url, api_key=key, max_retries=0)


async def items(c: openai.AsyncOpenAI, base_url: str) -> list[str]:
    r = await c._client.post(base_url.removesuffix("/v1") + "/api/tools/get_shopping_list", json={},
                             headers={"Authorization": f"Bearer {TOKEN}"})
    return [i["name"] for i in r.json()["result"]["items"]]


async def test_a_chat_that_adds_an_item_puts_it_on_the_list(tmp_path, monkeypatch):
    async with hearth_serve(tmp_path, monkeypatch) as url:
        c = client(url)
        r = await c.chat.completions.create(model="main", messages=[
            {"role": "system", "content": "ignored: Hearth keeps its own prompt"},
            {"role": "user", "content": "add eggs to my shopping list"}], extra_body={"hearth_tool_calls": True})
        assert r.object == "chat.completion" and r.choices[0].finish_reason == "stop"
        assert "eggs" in r.choices[0].message.content.lower()
        extra = r.model_extra or {}
        assert [(t["name"], t["arguments"]["item"], t["ok"]) for t in extra["hearth_tool_calls"]] == [
            ("add_to_shopping_list", "eggs", True)]
        assert extra["hearth"]["tier"] == 1
        assert await items(c, url) == ["eggs"]
        await c.close()


async def test_the_tool_calls_are_left_out_unless_asked(tmp_path, monkeypatch):
    async with hearth_serve(tmp_path, monkeypatch) as url:
        c = client(url)
        r = await c.chat.completions.create(model="main", messages=[{"role": "user", "content": "add milk to my shopping list"}])
        assert "hearth_tool_calls" not in (r.model_extra or {})
        await c.close()


async def test_streaming_sends_chunks_then_a_stop(tmp_path, monkeypatch):
    async with hearth_serve(tmp_path, monkeypatch) as url:
        c = client(url)
        stream = await c.chat.completions.create(model="main", stream=True,
                                                 messages=[{"role": "user", "content": "add butter to my shopping list"}])
        chunks = [ch async for ch in stream]
        assert all(ch.object == "chat.completion.chunk" for ch in chunks)
        assert chunks[0].choices[0].delta.role == "assistant"
        text = "".join(ch.choices[0].delta.content or "" for ch in chunks)
        assert "butter" in text.lower()
        assert chunks[-1].choices[0].finish_reason == "stop"
        assert await items(c, url) == ["butter"]
        await c.close()


async def test_the_conversation_is_kept_by_session_header_or_user(tmp_path, monkeypatch):
    async with hearth_serve(tmp_path, monkeypatch) as url:
        c = client(url)
        raw = await c.chat.completions.with_raw_response.create(
            model="main", messages=[{"role": "user", "content": "add tea to my shopping list"}], user="ann")
        assert raw.headers["x-session-id"] == "user-ann"
        raw = await c.chat.completions.with_raw_response.create(
            model="main", messages=[{"role": "user", "content": "add jam to my shopping list"}],
            extra_headers={"X-Session-ID": "kitchen"})
        assert raw.headers["x-session-id"] == "kitchen"
        history = await c._client.get(url.removesuffix("/v1") + "/api/sessions/kitchen",
                                      headers={"Authorization": f"Bearer {TOKEN}"})
        assert history.json()["messages"][0] == {"role": "user", "content": "add jam to my shopping list"}
        await c.close()


async def test_models_lists_hearths_roles(tmp_path, monkeypatch):
    async with hearth_serve(tmp_path, monkeypatch) as url:
        c = client(url)
        ids = [m.id async for m in await c.models.list()]
        assert ids == ["main", "gemma3-270m"]
        await c.close()


async def test_a_wrong_token_is_refused(tmp_path, monkeypatch):
    async with hearth_serve(tmp_path, monkeypatch) as url:
        c = client(url, key="wrong")
        with pytest.raises(openai.AuthenticationError):
            await c.chat.completions.create(model="main", messages=[{"role": "user", "content": "add eggs to my shopping list"}])
        with pytest.raises(openai.AuthenticationError):
            await c.models.list()
        await c.close()


async def test_errors_come_in_openais_shape(tmp_path, monkeypatch):
    async with hearth_serve(tmp_path, monkeypatch) as url:
        c = client(url)
        with pytest.raises(openai.NotFoundError) as err:
            await c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        assert err.value.code == "model_not_found" and "main" in err.value.message
        with pytest.raises(openai.BadRequestError) as err:
            await c.chat.completions.create(model="main", messages=[{"role": "assistant", "content": "hi"}])
        assert err.value.code == "empty_message"
        await c.close()


def remote_models(tmp_path, base_url: str) -> str:
    path = tmp_path / "models.toml"
    path.write_text(f'[roles]\nmain = "remote"\n\n[models.remote]\nbackend = "openai"\nmodel = "qwen"\n'
                    f'base_url = "{base_url}"\nmax_tokens = 48\n')
    return str(path)


async def test_a_failed_turn_is_an_openai_error_plain_and_streamed(tmp_path, monkeypatch):
    """Hearth's main model is behind an OpenAI-compatible server that is down: the turn fails with its code."""
    async with hearth_serve(tmp_path, monkeypatch, models=remote_models(tmp_path, f"http://127.0.0.1:{free_port()}/v1")) as url:
        c = client(url)
        with pytest.raises(openai.InternalServerError) as err:
            await c.chat.completions.create(model="main", messages=[{"role": "user", "content": "Tell me a joke."}])
        assert err.value.code == "openai_unreachable" and "cannot reach" in err.value.message
        stream = await c.chat.completions.create(model="main", stream=True,
                                                 messages=[{"role": "user", "content": "Tell me a joke."}])
        with pytest.raises(openai.APIError) as err:
            async for _chunk in stream:
                pass
        assert "cannot reach" in err.value.message
        r = await c.chat.completions.create(model="main", messages=[{"role": "user", "content": "add figs to my shopping list"}])
        assert "figs" in r.choices[0].message.content.lower()  # tier 1 still answers
        await c.close()


@pytest.mark.slow
async def test_both_ways_an_openai_client_through_hearth_to_an_openai_compatible_server(tmp_path, monkeypatch, models_dir):
    """OpenAI client -> Hearth's /v1 -> Hearth's openai backend -> llama_cpp.server, streamed end to end."""
    srv = LlamaCppServer(packaged_gguf("qwen2.5-coder-0.5b", models_dir), api_key=None,
                         log=tmp_path / "server.log").wait_ready()
    try:
        # a generous turn limit: on a busy CPU the first turn also waits for the model's pre-warm
        async with hearth_serve(tmp_path, monkeypatch, models=remote_models(tmp_path, srv.base_url), turn_timeout=900) as url:
            c = client(url)
            stream = await c.chat.completions.create(model="main", stream=True, messages=[
                {"role": "user", "content": "What colour is the sky? Answer in one word."}], user="ann")
            chunks = [ch async for ch in stream]
            text = "".join(ch.choices[0].delta.content or "" for ch in chunks)
            assert text.strip() and chunks[-1].choices[0].finish_reason == "stop"
            assert (chunks[-1].model_extra or {})["hearth"]["tier"] == 3
            history = await c._client.get(url.removesuffix("/v1") + "/api/sessions/user-ann",
                                          headers={"Authorization": f"Bearer {TOKEN}"})
            assert history.json()["messages"][-1] == {"role": "assistant", "content": text}
            await c.close()
    finally:
        srv.stop()
