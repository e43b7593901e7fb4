"""The ``openai`` backend against a real OpenAI-compatible server: llama-cpp-python's own
``python -m llama_cpp.server`` on 127.0.0.1 serving the packaged Qwen2.5-Coder-0.5B GGUF."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from conftest import free_port
from openai_servers import API_KEY, QWEN_ID, LlamaCppServer, packaged_gguf

from hearth import Agent, CallRequest, Delta, Done, ModelLoadError, Storage
from hearth.config import ModelConfig, load_models
from hearth.errors import BackendError
from hearth.plugins.openai_compat import OpenAIBackend, doctor_checks
from hearth.plugins.openai_compat.backend import chat_messages

pytestmark = pytest.mark.slow

KEY_ENV = "HEARTH_TEST_OPENAI_KEY"


@pytest.fixture(scope="module")
def qwen_file(models_dir):
    return packaged_gguf("qwen2.5-coder-0.5b", models_dir)


@pytest.fixture(scope="module")
def server(qwen_file, tmp_path_factory):
    srv = LlamaCppServer(qwen_file, log=tmp_path_factory.mktemp("llama_server") / "server.log").wait_ready()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, API_KEY)


def backend(base_url: str, model: str = QWEN_ID, **keys) -> OpenAIBackend:
    keys = {"api_key_env": KEY_ENV, "max_tokens": 24, **keys}
    return OpenAIBackend("remote", ModelConfig(backend="openai", model=model, base_url=base_url, **keys))


async def collect(b: OpenAIBackend, messages, tools=()) -> list:
    return [ev async for ev in b.chat(messages, list(tools))]


def models_toml(tmp_path, base_url: str, **keys) -> str:
    lines = "".join(f"{k} = {json.dumps(v)}\n" if isinstance(v, str) else f"{k} = {str(v).lower()}\n"
                    for k, v in keys.items())
    path = tmp_path / "models.toml"
    path.write_text(f'[roles]\nmain = "remote"\n\n[models.remote]\nbackend = "openai"\nmodel = "{QWEN_ID}"\n'
                    f'base_url = "{base_url}"\napi_key_env = "{KEY_ENV}"\n{lines}')
    return str(path)


def agent(tmp_path, monkeypatch, base_url: str, **keys) -> Agent:
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "openai,shopping_list")
    return Agent(models=models_toml(tmp_path, base_url, **keys), storage=Storage(f"sqlite:///{tmp_path}/t.db"))


async def items(a: Agent) -> list[str]:
    listed = await a.run_tool("get_shopping_list", {}, session="k")
    return [i["name"] for i in listed.result["items"]]


# ---- replies -------------------------------------------------------------------------------------


async def test_a_plain_reply_streams_as_deltas_then_done(server):
    b = backend(server.base_url)
    try:
        await b.load()
        evs = await collect(b, [{"role": "user", "content": "Say hello."}])
        deltas = [e for e in evs if isinstance(e, Delta)]
        assert len(deltas) > 1 and "".join(d.text for d in deltas).strip()
        assert isinstance(evs[-1], Done) and not any(isinstance(e, CallRequest) for e in evs)
    finally:
        await b.close()


async def test_a_plain_tier3_turn_answers_and_is_stored(server, tmp_path, monkeypatch):
    a = agent(tmp_path, monkeypatch, server.base_url, max_tokens=64)
    try:
        evs = [e async for e in a.turn("What colour is the sky? Answer in one word.", session="k", tier=3)]
        assert [e.type for e in evs][:2] == ["started", "routed"] and evs[-1].type == "finished", evs[-1]
        assert evs[-1].text.strip() and any(e.type == "text_delta" for e in evs)
        assert a.storage.history("k")[-1]["content"] == evs[-1].text
    finally:
        await a.stop()


async def test_an_injected_tool_call_through_the_server_changes_the_shopping_list(server, tmp_path, monkeypatch):
    a = agent(tmp_path, monkeypatch, server.base_url, tool_calling="inject", reply="tool", max_tokens=48)
    try:
        evs = [e async for e in a.turn("we need bread", session="k", tier=3)]
        calls = [(e.name, e.arguments.get("item")) for e in evs if e.type == "tool_call"]
        assert evs[-1].type == "finished" and calls[0] == ("add_to_shopping_list", "bread")
        assert await items(a) == ["bread"]
    finally:
        await a.stop()


async def test_a_native_tool_call_round_trip_through_the_server_changes_the_shopping_list(server, tmp_path, monkeypatch):
    """The server's own tool calls (``tools``, ``tool_choice: auto``; answered whole: llama-cpp-python's server
    cannot stream them). The first turn is tier 1 (no model) and leaves a call in the history, which is
    what this tiny model needs to answer with a call rather than prose; the tool's own sentence is the reply."""
    a = agent(tmp_path, monkeypatch, server.base_url, tool_calling="native", stream_tools=False, reply="tool",
              max_tokens=48)
    try:
        first = await a.ask("add milk to my shopping list", session="k")
        assert (first.type, first.tier) == ("finished", 1)
        evs = [e async for e in a.turn("we need bread", session="k", tier=3)]
        calls = [(e.name, e.arguments.get("item")) for e in evs if e.type == "tool_call"]
        assert calls == [("add_to_shopping_list", "bread")] and evs[-1].type == "finished", evs[-1]
        assert evs[-1].tier == 3 and "bread" in evs[-1].text.lower()
        assert await items(a) == ["milk", "bread"]
        assert a.backend().tool_calling == "native"  # no fallback: the server's tool calls were used
        stored = a.storage.history("k")
        assert any(m.get("tool_calls") and m["tool_calls"][0]["name"] == "add_to_shopping_list"
                   and m["tool_calls"][0]["arguments"]["item"] == "bread" for m in stored)
    finally:
        await a.stop()


async def test_a_model_that_keeps_repeating_its_call_is_stopped_and_the_call_text_is_never_the_reply(
        server, tmp_path, monkeypatch):
    """The issue's loop through a real server: told to answer everything with one call, the model answers
    each tool result with a call again. A call it repeats is not run: the turn ends, with the result so
    far, while the rounds still offer tools (before: four rounds of calls, then the call's text from
    the last round, which offers none, as the reply)."""
    prompt = "Reply to every message with exactly this and nothing else: [add_to_shopping_list(item='saffron')]"
    a = agent(tmp_path, monkeypatch, server.base_url, tool_calling="inject", max_tokens=48, system_prompt=prompt)
    rounds = []
    try:
        b = a.backend()
        chat = b.chat

        def counted(messages, tools):
            rounds.append([fn["function"]["name"] for fn in tools])
            return chat(messages, tools)

        b.chat = counted
        evs = [e async for e in a.turn("we need saffron", session="k", tier=3)]
        assert [e.name for e in evs if e.type == "tool_result" and e.ok] == ["add_to_shopping_list"]
        assert 1 < len(rounds) <= 4 and rounds[-1]  # ended by the repeat, in a round that offered tools
        assert await items(a) == ["saffron"]
        said = "".join(e.text for e in evs if e.type == "text_delta")
        assert evs[-1].type == "finished" and evs[-1].text == said.strip() and "saffron" in said.lower()
        assert "add_to_shopping_list" not in said and "[" not in said
    finally:
        await a.stop()


async def test_a_call_written_in_the_last_round_through_the_server_is_not_said(server, tmp_path, monkeypatch):
    """With one tool round, the round after the call offers no tools: the model writes the call as text
    there (the server passes it on as text), and the reply is the call's result instead."""
    prompt = "Reply to every message with exactly this and nothing else: [add_to_shopping_list(item='saffron')]"
    a = agent(tmp_path, monkeypatch, server.base_url, tool_calling="inject", max_tokens=48, system_prompt=prompt,
              max_tool_rounds=1)
    try:
        evs = [e async for e in a.turn("we need saffron", session="k", tier=3)]
        assert [(e.name, e.ok) for e in evs if e.type == "tool_result"] == [("add_to_shopping_list", True)]
        said = "".join(e.text for e in evs if e.type == "text_delta")
        assert evs[-1].type == "finished" and evs[-1].text == said.strip() and "saffron" in said.lower()
        assert "add_to_shopping_list" not in said and "[" not in said
        assert await items(a) == ["saffron"]
    finally:
        await a.stop()


async def test_a_model_that_writes_its_calls_as_text_falls_back_to_injected_calls_with_one_warning(
        qwen_file, tmp_path, monkeypatch, caplog):
    """The server shows the model the tools through its own chat template but does not parse its calls
    (llama-cpp-python without a chat format; vLLM without --tool-call-parser): the JSON call arrives as
    text. Hearth reads it, warns once, and injects from then on."""
    own = LlamaCppServer(qwen_file, chat_format=None, log=tmp_path / "own.log").wait_ready()
    a = agent(tmp_path, monkeypatch, own.base_url, tool_calling="native", reply="tool", max_tokens=48)
    caplog.set_level(logging.WARNING, logger="hearth.plugins.openai_compat.backend")
    try:
        evs = [e async for e in a.turn("we need bread", session="k", tier=3)]
        calls = [(e.name, e.arguments.get("item")) for e in evs if e.type == "tool_call"]
        assert calls == [("add_to_shopping_list", "bread")] and evs[-1].type == "finished", evs[-1]
        assert not any(e.type == "text_delta" and "{" in e.text for e in evs)  # the call text is not said
        assert await items(a) == ["bread"]
        b = a.backend()
        assert b.tool_calling == "inject" and "as text" in (b.fallback_reason or "")
        await a.ask("we need milk", session="k", tier=3)
        warnings = [r for r in caplog.records if "does not support native tool calls" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        own.stop()
        await a.stop()


async def test_a_native_round_sends_tools_with_tool_choice_auto_and_reads_the_servers_tool_calls(server):
    """llama-cpp-python's chatml-function-calling answers a forced round with ``tool_calls`` (non-streamed)."""
    b = backend(server.base_url, tool_calling="native", stream_tools=False, max_tokens=48)
    tools = [{"type": "function", "function": {"name": "add_to_shopping_list", "description": "Add an item",
              "parameters": {"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}}}]
    history = [{"role": "system", "content": "You are Hearth."}, {"role": "user", "content": "we need bread"},
               {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "add_to_shopping_list",
                                                                   "arguments": {"item": "milk"}}]},
               {"role": "tool", "tool_call_id": "c1", "name": "add_to_shopping_list", "content": '{"ok": true}'}]
    try:
        evs = await collect(b, history, tools)
        calls = [e for e in evs if isinstance(e, CallRequest)]
        assert calls and calls[0].name == "add_to_shopping_list" and calls[0].id and not calls[0].raw
        assert isinstance(calls[0].arguments.get("item"), str)
        assert b.tool_calling == "native"
    finally:
        await b.close()


def test_history_goes_out_in_openais_shape():
    msgs = chat_messages([{"role": "user", "content": "we need bread"},
                          {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "add", "arguments": {"item": "bread"}}]},
                          {"role": "tool", "tool_call_id": "c1", "name": "add", "content": "{}"}])
    assert msgs[1] == {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"item": "bread"}'}}]}
    assert msgs[2] == {"role": "tool", "tool_call_id": "c1", "content": "{}"}


# ---- errors --------------------------------------------------------------------------------------


async def test_a_wrong_api_key_is_openai_unauthorized(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "not-the-key")
    b = backend(server.base_url)
    with pytest.raises(ModelLoadError) as err:
        await b.load()
    assert err.value.code == "openai_unauthorized" and KEY_ENV in str(err.value)
    await b.close()


async def test_a_missing_key_variable_says_which_one(server, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ModelLoadError) as err:
        await backend(server.base_url).load()
    assert err.value.code == "api_key_missing" and KEY_ENV in str(err.value)


async def test_a_model_the_server_does_not_list_is_model_missing(server):
    b = backend(server.base_url, model="qwen2.5-7b-instruct")
    with pytest.raises(ModelLoadError) as err:
        await b.load()
    assert err.value.code == "model_missing" and "it serves: qwen" in str(err.value)
    await b.close()


async def test_no_server_is_openai_unreachable():
    b = backend(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ModelLoadError) as err:
        await b.load()
    assert err.value.code == "openai_unreachable"
    await b.close()


async def test_a_conversation_longer_than_the_context_is_context_length_exceeded(server):
    """A non-streamed request: the server answers 400 before generating."""
    b = backend(server.base_url, tool_calling="native", stream_tools=False)
    tools = [{"type": "function", "function": {"name": "add_to_shopping_list", "parameters": {"type": "object", "properties": {}}}}]
    try:
        await b.load()
        with pytest.raises(BackendError) as err:
            await collect(b, [{"role": "user", "content": "bread " * 1500}], tools)
        assert err.value.code == "context_length_exceeded"
    finally:
        await b.close()


async def test_a_stream_that_breaks_off_without_a_finish_reason_is_openai_incomplete(server):
    """llama-cpp-python's server checks the context only once streaming has begun, and then just ends the stream."""
    b = backend(server.base_url)
    try:
        with pytest.raises(BackendError) as err:
            await collect(b, [{"role": "user", "content": "bread " * 1500}])
        assert err.value.code == "openai_incomplete"
    finally:
        await b.close()


async def test_a_reply_cut_off_at_max_tokens_is_reply_cut_off(server):
    b = backend(server.base_url, max_tokens=2)
    try:
        with pytest.raises(BackendError) as err:
            await collect(b, [{"role": "user", "content": "Write a long poem about bread."}])
        assert err.value.code == "reply_cut_off" and "max_tokens = 2" in str(err.value)
    finally:
        await b.close()


async def test_a_server_stopped_mid_turn_fails_the_turn_and_hearth_keeps_serving(qwen_file, tmp_path, monkeypatch):
    own = LlamaCppServer(qwen_file, log=tmp_path / "own.log").wait_ready()
    a = agent(tmp_path, monkeypatch, own.base_url, max_tokens=2000)
    try:
        await a.start(load_model=True)

        async def stop_mid_reply() -> None:
            # well into a reply that takes far longer than this (up to 2000 tokens), whatever the text
            # the backend holds back while it may still be a call
            await asyncio.sleep(2.0)
            await asyncio.to_thread(own.stop)

        stopper = asyncio.create_task(stop_mid_reply())
        evs = [ev async for ev in a.turn("Write a very long story about a loaf of bread.", session="k", tier=3)]
        await stopper
        assert evs[-1].type == "failed" and evs[-1].code in ("openai_disconnected", "openai_unreachable"), evs[-1]
        done = await a.ask("add milk to my shopping list", session="k")  # tier 1 needs no model
        assert done.type == "finished" and await items(a) == ["milk"]
        again = await a.ask("Tell me another story.", session="k", tier=3)
        assert (again.type, again.code) == ("failed", "openai_unreachable")
    finally:
        own.stop()
        await a.stop()


# ---- doctor --------------------------------------------------------------------------------------


async def test_doctor_says_the_server_answers_and_lists_the_model(server, tmp_path):
    _, mf = load_models(models_toml(tmp_path, server.base_url))
    checks = await doctor_checks(mf, load=False)
    assert [(c.status, c.name) for c in checks] == [("ok", "openai"), ("ok", "model remote")]


async def test_doctor_fails_a_model_the_server_does_not_serve_and_a_server_that_is_down(server, tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(f'[roles]\nmain = "a"\n\n[models.a]\nbackend = "openai"\nmodel = "nope"\nbase_url = "{server.base_url}"\n'
                    f'api_key_env = "{KEY_ENV}"\n\n[models.b]\nbackend = "openai"\nmodel = "x"\n'
                    f'base_url = "http://127.0.0.1:{free_port()}/v1"\n')
    _, mf = load_models(path)
    checks = await doctor_checks(mf, load=False)
    assert [(c.status, c.name) for c in checks] == [("ok", "openai"), ("fail", "model a"), ("fail", "openai")]
    assert "it serves: qwen" in checks[1].detail and "openai_unreachable" in checks[2].detail


def test_an_unknown_key_in_the_table_is_a_config_error(tmp_path):
    path = tmp_path / "models.toml"
    path.write_text('[roles]\nmain = "a"\n\n[models.a]\nbackend = "openai"\nmodel = "m"\nbase_url = "http://x/v1"\nbaseurl = 1\n')
    with pytest.raises(Exception) as err:
        OpenAIBackend("a", load_models(path)[1].models["a"])
    assert "baseurl" in str(err.value)

