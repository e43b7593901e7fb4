"""The Ollama backend through the official client against a loopback server that speaks Ollama's API.

The server (tests/ollama_server.py) stands in for the one part that cannot run here, an Ollama
server with a model on a GPU; it is real HTTP on 127.0.0.1 and its replies follow the real samples
in tests/data/ollama/.
"""

from __future__ import annotations

import json
import logging

import httpx
import ollama
import pytest
from conftest import free_port
from ollama_server import FakeModel, OllamaServer, Reply, chunk, fixture_objects, fixture_text, tool_call

from hearth import Agent, CallRequest, Delta, Done, ModelLoadError, Storage
from hearth.config import ModelConfig
from hearth.errors import BackendError
from hearth.plugins.ollama import OllamaBackend
from hearth.tooling.calls import render_tools_prompt

MODEL = "qwen2.5:0.5b"
ADD_TOOL = {"type": "function", "function": {
    "name": "add_to_shopping_list", "description": "Add an item to the shopping list.",
    "parameters": {"type": "object", "properties": {"item": {"type": "string", "description": "What to buy."}},
                   "required": ["item"]}}}


@pytest.fixture
def server(monkeypatch):
    with OllamaServer([FakeModel(MODEL, family="qwen2", parameter_size="494.03M", quantization_level="Q4_K_M"),
                       FakeModel("gemma3:4b", capabilities=["completion", "vision"], family="gemma3")]) as s:
        monkeypatch.setenv("OLLAMA_HOST", s.host)
        yield s


def backend(model: str = MODEL, **settings) -> OllamaBackend:
    return OllamaBackend("m", ModelConfig(backend="ollama", model=model, **settings))


async def collect(b: OllamaBackend, messages=None, tools=()) -> list:
    messages = messages or [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    return [ev async for ev in b.chat(messages, list(tools))]


# ---- load and the options sent --------------------------------------------------------------------------


async def test_load_checks_the_model_and_prewarms_it_with_the_locked_options(server):
    b = backend(num_gpu=20, n_ctx=2048, keep_alive="10m", temperature=0.2, seed=7, max_tokens=64)
    await b.load()
    assert server.paths() == ["POST /api/show", "POST /api/chat"]
    assert server.requests[1]["json"] == {
        "model": MODEL, "messages": [], "tools": [], "stream": False, "keep_alive": 600,
        "options": {"num_gpu": 20, "num_ctx": 2048, "temperature": 0.2, "seed": 7, "num_predict": 64}}
    assert list(server.running) == [MODEL]
    assert b.loaded and b.capabilities == ["completion", "tools"]
    await b.close()


async def test_every_answer_carries_num_gpu_num_ctx_and_keep_alive(server):
    server.script(Reply.text(MODEL, "Hi."))
    b = backend(num_gpu=0, n_ctx=1024, keep_alive=-1, tool_calling="native")
    await collect(b, tools=[ADD_TOOL])
    (sent,) = server.chat_requests()
    assert (sent["options"], sent["keep_alive"], sent["stream"]) == (
        {"num_gpu": 0, "num_ctx": 1024, "temperature": 0.0, "seed": 0, "num_predict": 256}, -1, True)
    assert sent["tools"] == [{"type": "function", "function": {
        "name": "add_to_shopping_list", "description": "Add an item to the shopping list.",
        "parameters": {"type": "object", "required": ["item"],
                       "properties": {"item": {"type": "string", "description": "What to buy."}}}}}]
    await b.close()


async def test_keep_alive_zero_loads_on_the_first_answer_instead_of_prewarming(server):
    b = backend(keep_alive=0)
    await b.load()
    assert server.paths() == ["POST /api/show"]
    assert b.loaded and server.running == {}


# ---- streaming and tool calls ---------------------------------------------------------------------------


async def test_text_streams_as_deltas_then_done_with_ollamas_counts(server):
    server.script(Reply.text(MODEL, "The ", "kettle ", "is on.", prompt_eval_count=31, eval_count=4))
    evs = await collect(backend())
    assert evs[:3] == [Delta("The "), Delta("kettle "), Delta("is on.")]
    assert evs[3] == Done({"prompt_tokens": 31, "completion_tokens": 4, "prompt_eval_ms": 24.6, "load_ms": 41.3,
                           "model_ms": 182.2})
    assert server.chat_requests()[0]["messages"] == [{"role": "system", "content": "Be brief."},
                                                     {"role": "user", "content": "hi"}]


@pytest.mark.parametrize("in_final", [False, True], ids=["calls-then-done", "calls-in-done-chunk"])
async def test_native_tool_calls_come_back_as_call_requests(server, in_final):
    server.script(Reply.calls(MODEL, tool_call("add_to_shopping_list", {"item": "bread"}),
                              tool_call("add_to_shopping_list", {"item": "eggs"}), in_final=in_final))
    evs = await collect(backend(tool_calling="native"), tools=[ADD_TOOL])
    assert evs[:2] == [CallRequest("add_to_shopping_list", {"item": "bread"}),
                       CallRequest("add_to_shopping_list", {"item": "eggs"})]
    assert isinstance(evs[2], Done) and len(evs) == 3


async def test_injected_calls_go_in_the_system_prompt_and_are_parsed_from_the_text(server):
    server.script(Reply.text(MODEL, '[add_to_shopping_list(', 'item="oat milk")]'))
    evs = await collect(backend(tool_calling="inject"), tools=[ADD_TOOL])
    assert evs[0] == CallRequest("add_to_shopping_list", {"item": "oat milk"})
    (sent,) = server.chat_requests()
    assert sent["tools"] == []
    assert sent["messages"][0] == {"role": "system", "content": f"Be brief.\n\n{render_tools_prompt([ADD_TOOL])}"}


async def test_injected_path_streams_plain_answers(server):
    server.script(Reply.text(MODEL, "Nothing ", "to do."))
    evs = await collect(backend(tool_calling="inject"), tools=[ADD_TOOL])
    assert [e for e in evs if isinstance(e, Delta)] == [Delta("Nothing "), Delta("to do.")]


async def test_an_injected_call_that_does_not_parse_goes_to_the_runner_raw(server):
    server.script(Reply.text(MODEL, "[add_to_shopping_list(", "item=bread)]"))
    evs = await collect(backend(tool_calling="inject"), tools=[ADD_TOOL])
    assert evs[0] == CallRequest("add_to_shopping_list", raw="[add_to_shopping_list(item=bread)]")
    assert not [e for e in evs if isinstance(e, Delta)]


# ---- "does not support tools" ---------------------------------------------------------------------------


async def test_a_native_model_without_the_tools_capability_is_injected_from_load(server, caplog):
    server.script(Reply.text("gemma3:4b", "[add_to_shopping_list(item=\"tea\")]"))
    b = backend("gemma3:4b", tool_calling="native")
    with caplog.at_level(logging.WARNING, logger="hearth.plugins.ollama"):
        evs = await collect(b, tools=[ADD_TOOL])
    assert evs[0] == CallRequest("add_to_shopping_list", {"item": "tea"})
    assert server.chat_requests()[0]["tools"] == []
    assert b.info()["tool_calling"] == "inject"
    assert caplog.messages == [
        "[models.m] gemma3:4b does not support native tool calls (Ollama lists its capabilities as completion, "
        "vision, without tools); Hearth injects the tool schemas into the prompt instead. Set tool_calling = "
        "\"inject\" in models.toml to say so and silence this warning."]


async def test_a_400_does_not_support_tools_falls_back_to_injected_calls(server, caplog):
    # a server that does not list capabilities (before 0.6.4) but refuses tools, with the real body
    server.add(FakeModel("gemma3:4b", capabilities=None))
    server.script(Reply(body=fixture_text("issue_9680_error_gemma3_does_not_support_tools.txt").strip().encode(),
                        status=400),
                  Reply.text("gemma3:4b", "[add_to_shopping_list(item=\"tea\")]"))
    b = backend("gemma3:4b", tool_calling="native")
    with caplog.at_level(logging.WARNING, logger="hearth.plugins.ollama"):
        evs = await collect(b, tools=[ADD_TOOL])
    assert evs[0] == CallRequest("add_to_shopping_list", {"item": "tea"})
    first, second = server.chat_requests()
    assert (len(first["tools"]), second["tools"]) == (1, [])
    assert b.info()["tool_calling_fallback"] == \
        "Ollama answered: registry.ollama.ai/library/gemma3:4b does not support tools"
    assert "injects the tool schemas into the prompt" in caplog.text
    # later rounds go straight to the injected path
    server.script(Reply.text("gemma3:4b", "ok"))
    await collect(b, tools=[ADD_TOOL])
    assert server.chat_requests()[2]["tools"] == []


# ---- errors -----------------------------------------------------------------------------------------------


async def test_server_down_at_load_says_where_and_to_start_ollama_serve(monkeypatch):
    port = free_port()
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{port}")
    with pytest.raises(ModelLoadError) as e:
        await backend().load()
    assert e.value.code == "ollama_unreachable"
    assert str(e.value) == (f"cannot reach the Ollama server at http://127.0.0.1:{port}; "
                            "start it with `ollama serve`, or set OLLAMA_HOST to where it runs")


async def test_a_models_own_host_wins_over_ollama_host(server, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{free_port()}")
    b = backend(host=server.host)
    await b.load()
    assert server.paths() == ["POST /api/show", "POST /api/chat"] and b.loaded
    await b.close()


async def test_server_gone_while_answering_is_a_backend_error(server):
    b = backend()
    await b.load()
    server.stop()
    with pytest.raises(BackendError) as e:
        await collect(b)
    assert e.value.code == "ollama_unreachable"
    assert str(e.value) == (f"cannot reach the Ollama server at {server.host}; start it with `ollama serve`, or "
                            "set OLLAMA_HOST to where it runs")


async def test_a_model_not_pulled_says_ollama_pull(server):
    with pytest.raises(ModelLoadError) as e:
        await backend("llama3.2:3b").load()
    assert e.value.code == "model_missing"
    assert str(e.value) == (f"the Ollama server at {server.host} has no model 'llama3.2:3b' "
                            "(model 'llama3.2:3b' not found); pull it with `ollama pull llama3.2:3b`")


async def test_a_load_without_enough_memory_says_what_to_lower(server):
    server.models[MODEL].load_error = fixture_text("issue_easy_rag_9_error_more_system_memory.txt").strip().encode()
    with pytest.raises(ModelLoadError) as e:
        await backend(n_ctx=8192).load()
    assert e.value.code == "out_of_memory"
    assert str(e.value) == (
        "Ollama has too little memory for model 'qwen2.5:0.5b' (model requires more system memory (3.7 GiB) than "
        "is available (3.6 GiB), HTTP 500); lower n_ctx (now 8192) in [models.m], unload other models (`ollama ps`, "
        "`ollama stop NAME`), or pick a smaller quantization")


async def test_a_connection_that_breaks_mid_answer_is_a_backend_error(server):
    server.script(Reply(chunks=[chunk(MODEL, "Sure")], drop=True))
    evs = []
    with pytest.raises(BackendError) as e:
        async for ev in backend().chat([{"role": "user", "content": "hi"}], []):
            evs.append(ev)
    assert evs == [Delta("Sure")]
    assert e.value.code == "ollama_disconnected"
    assert str(e.value).startswith(f"the connection to the Ollama server at {server.host} broke while answering "
                                   "(RemoteProtocolError: ")


async def test_gpu_id_is_sent_as_main_gpu(server):
    server.script(Reply.text(MODEL, "ok"))
    await collect(backend(gpu_id=1))
    assert server.chat_requests()[0]["options"]["main_gpu"] == 1


async def test_an_error_line_mid_stream_ends_the_answer_with_a_backend_error(server):
    # docs/api/errors.mdx: the error arrives as an NDJSON line and the status stays 200
    server.script(Reply(chunks=[chunk(MODEL, " Yes"), chunk(MODEL, ".")],
                        error="an error was encountered while running the model"))
    evs = []
    with pytest.raises(BackendError) as e:
        async for ev in backend().chat([{"role": "user", "content": "hi"}], []):
            evs.append(ev)
    assert evs == [Delta(" Yes"), Delta(".")]
    assert e.value.code == "ollama_error"
    assert str(e.value).startswith("Ollama failed while answering with model 'qwen2.5:0.5b': an error was "
                                   "encountered while running the model (in the stream);")


async def test_http_500_before_any_chunk_is_a_backend_error(server):
    server.script(Reply(body=json.dumps(fixture_objects("docs_errors.txt")[0]).encode(), status=500))
    with pytest.raises(BackendError) as e:
        await collect(backend())
    assert e.value.code == "ollama_error"
    assert "the model failed to generate a response (HTTP 500)" in str(e.value)


async def test_a_tool_call_ollama_cannot_parse_says_to_retry_or_inject(server):
    body = fixture_text("issue_continue_10221_error_parsing_tool_call.txt").strip().encode()
    server.script(Reply(body=body, status=500))
    with pytest.raises(BackendError) as e:
        await collect(backend(tool_calling="native"), tools=[ADD_TOOL])
    assert e.value.code == "tool_call_malformed"
    assert str(e.value) == (
        "Ollama could not parse the tool call model 'qwen2.5:0.5b' wrote (error parsing tool call: raw='ls -R\n', "
        "err=invalid character 'l' looking for beginning of value, HTTP 500); ask again, or set tool_calling = "
        "\"inject\" in [models.m] so Hearth reads the calls itself")


async def test_a_stream_line_the_client_cannot_read_is_a_backend_error(server):
    # Ollama 0.11.4 sent its tool-call parse error under the wrong key (ollama#11704 / #11781)
    (wrong_key,) = fixture_objects("issue_11704_stream_error_wrong_key.txt")
    server.script(Reply(chunks=[chunk(MODEL, "Let me"), json.dumps(wrong_key).encode() + b"\n"]))
    with pytest.raises(BackendError) as e:
        await collect(backend(tool_calling="native"), tools=[ADD_TOOL])
    assert e.value.code == "ollama_bad_response"
    assert str(e.value).startswith(f"the Ollama server at {server.host} sent a reply the client cannot read")


async def test_tool_arguments_that_are_not_an_object_are_a_backend_error(server):
    # OpenAI-style string arguments: Ollama's API always sends an object; anything else is refused
    server.script(Reply.calls(MODEL, tool_call("add_to_shopping_list", '{"item": "bread"')))
    with pytest.raises(BackendError) as e:
        await collect(backend(tool_calling="native"), tools=[ADD_TOOL])
    assert e.value.code == "ollama_bad_response"


# ---- the real samples through the official client ------------------------------------------------------


async def test_the_docs_tool_call_stream_replayed_line_by_line(server):
    objs = fixture_objects("docs_api_chat_stream_with_tools.txt")
    server.script(Reply(chunks=[json.dumps(o).encode() + b"\n" for o in objs]))
    evs = await collect(backend(tool_calling="native"), tools=[ADD_TOOL])
    assert evs == [CallRequest("get_weather", {"city": "Tokyo"}),
                   Done({"prompt_tokens": 169, "completion_tokens": 15, "prompt_eval_ms": 24.6, "load_ms": 41.3,
                         "model_ms": 182.2})]


async def test_the_blog_qwen3_stream_gives_text_then_the_call(server):
    objs = fixture_objects("blog_streaming_tool_qwen3_chat_stream.txt")
    server.script(Reply(chunks=[json.dumps(o).encode() + b"\n" for o in objs] + [chunk(MODEL, done=True)]))
    evs = await collect(backend(tool_calling="native"), tools=[ADD_TOOL])
    assert evs[:3] == [Delta("celsius"), Delta("</think>"),
                       CallRequest("get_current_weather", {"format": "celsius", "location": "Toronto"})]


@pytest.mark.parametrize("name, call", [
    ("docs_api_chat_nonstream_with_tools.txt", ("get_weather", {"city": "Tokyo"})),
    ("docs_api_chat_nonstream_with_tools_2.txt", ("get_current_weather", {"format": "celsius", "location": "Paris, FR"})),
    ("issue_12557_chat_nonstream_tool_calls_qwen3coder.txt", ("calculate", {"expression": "2 + 2"})),
])
async def test_real_non_streamed_tool_call_replies_parse_in_the_client(server, name, call):
    server.script(Reply(body=fixture_text(name).encode(), status=200))
    r = await ollama.AsyncClient(host=server.host).chat(model=MODEL, messages=[{"role": "user", "content": "x"}],
                                                        tools=[ADD_TOOL], stream=False)
    (tc,) = r.message.tool_calls
    assert (tc.function.name, dict(tc.function.arguments)) == call
    assert r.done is True


async def test_the_loopback_server_answers_ps_tags_and_show_in_the_shapes_the_client_reads(server):
    client = ollama.AsyncClient(host=server.host)
    await backend().load()
    (m,) = (await client.ps()).models
    for sample in ("docs_api_ps.txt", "issue_nirmato_13_api_ps_gemma3.txt"):
        real = fixture_objects(sample)[0]["models"][0]
        assert set(m.model_dump(exclude_none=True)) == set(real) | {"context_length"}
    assert (m.model, m.size, m.size_vram, m.context_length) == (MODEL, 5137025024, 5137025024, 4096)
    tags = await client.list()
    assert [t.model for t in tags.models] == [MODEL, "gemma3:4b"]
    assert set(tags.models[0].model_dump(exclude_none=True)) <= set(fixture_objects("docs_api_tags.txt")[0]["models"][0])
    show = await client.show(MODEL)
    assert show.capabilities == json.loads(fixture_text("issue_10444_show_capabilities_completion_tools.txt")
                                           .split("\n", 1)[1])


@pytest.mark.parametrize("model, sample", [
    ("gemma3:4b", "issue_9680_error_gemma3_does_not_support_tools.txt"),
    ("codellama", "issue_10444_error_codellama_does_not_support_tools.txt"),
])
async def test_the_loopback_server_refuses_tools_with_ollamas_exact_body(server, model, sample):
    server.add(FakeModel(model, capabilities=["completion"]))
    refused = httpx.post(f"{server.host}/api/chat", json={"model": model, "tools": [ADD_TOOL],
                                                          "messages": [{"role": "user", "content": "x"}]})
    assert (refused.status_code, refused.text) == (400, fixture_text(sample).strip())


# ---- a whole Hearth turn ---------------------------------------------------------------------------------


def _agent(tmp_path, monkeypatch, tool_calling: str, extra: str = "") -> Agent:
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "ollama,shopping_list")
    toml = tmp_path / "models.toml"
    toml.write_text(f'[roles]\nmain = "qwen"\n\n[models.qwen]\nbackend = "ollama"\nmodel = "{MODEL}"\n'
                    f'num_gpu = 99\nn_ctx = 2048\nkeep_alive = "5m"\ntool_calling = "{tool_calling}"\n{extra}')
    return Agent(models=toml, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


async def _items(agent: Agent) -> list[tuple[str, int]]:
    listed = await agent.run_tool("get_shopping_list", {}, session="k")
    return [(i["name"], i["quantity"]) for i in listed.result["items"]]


async def test_a_native_tier3_turn_stores_the_item_and_sends_the_result_back(server, tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, "native")
    server.script(Reply.calls(MODEL, tool_call("add_to_shopping_list", {"item": "bread"})),
                  Reply.text(MODEL, "Added ", "bread."))
    try:
        evs = [e async for e in agent.turn("we need bread", session="k", tier=3)]
        assert [e.type for e in evs] == ["started", "routed", "tool_call", "tool_result", "text_delta",
                                         "text_delta", "finished"]
        assert (evs[-1].text, evs[-1].tool_calls, evs[-1].tier) == ("Added bread.", 1, 3)
        assert await _items(agent) == [("bread", 1)]
        assert server.chat_requests()[1]["messages"][-3:] == [
            {"role": "user", "content": "we need bread"},
            {"role": "assistant", "tool_calls": [
                {"function": {"name": "add_to_shopping_list", "arguments": {"item": "bread"}}}]},
            {"role": "tool", "content": '{"name": "bread", "quantity": 1, "checked": false}',
             "tool_name": "add_to_shopping_list"}]
    finally:
        await agent.stop()


async def test_an_injected_tier3_turn_stores_the_item(server, tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, "inject")
    server.script(Reply.text(MODEL, '[add_to_shopping_list(item="bread")]'), Reply.text(MODEL, "Added bread."))
    try:
        done = await agent.ask("we need bread", session="k", tier=3)
        assert (done.type, done.text, done.tool_calls) == ("finished", "Added bread.", 1)
        assert await _items(agent) == [("bread", 1)]
        assert server.chat_requests()[1]["messages"][-2:] == [
            {"role": "assistant", "content": '[add_to_shopping_list(item="bread")]'},
            {"role": "user", "content": 'Tool add_to_shopping_list returned: {"name": "bread", "quantity": 1, "checked": false}'}]
    finally:
        await agent.stop()


async def test_a_malformed_injected_call_is_answered_with_the_error_and_the_model_retries(server, tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, "inject")
    server.script(Reply.text(MODEL, "[add_to_shopping_list(item=bread)]"),
                  Reply.text(MODEL, '[add_to_shopping_list(item="bread")]'), Reply.text(MODEL, "Added bread."))
    try:
        evs = [e async for e in agent.turn("we need bread", session="k", tier=3)]
        results = [(e.ok, e.error_code) for e in evs if e.type == "tool_result"]
        assert results == [(False, "invalid_arguments"), (True, None)]
        assert (evs[-1].type, evs[-1].text) == ("finished", "Added bread.")
        assert await _items(agent) == [("bread", 1)]
        told = server.chat_requests()[1]["messages"][-1]["content"]
        assert json.loads(told.removeprefix("Tool add_to_shopping_list returned: ")) == {
            "error": "invalid_arguments", "message": "Could not read the arguments of this call to "
            "add_to_shopping_list: [add_to_shopping_list(item=bread)]. Write the call as "
            "[add_to_shopping_list(item: str, quantity: int = 1)], with strings in double quotes."}
    finally:
        await agent.stop()


async def test_a_model_that_repeats_its_call_is_stopped_and_its_call_is_run_once(server, tmp_path, monkeypatch):
    """The issue's loop: the model answers every round with the same call; the second one ends the turn."""
    agent = _agent(tmp_path, monkeypatch, "inject")
    saffron = '[add_to_shopping_list(item="saffron")]'
    server.script(*[Reply.text(MODEL, saffron) for _ in range(5)])
    try:
        evs = [e async for e in agent.turn("we need saffron", session="k", tier=3)]
        assert [e.ok for e in evs if e.type == "tool_result"] == [True]
        assert len(server.chat_requests()) == 2
        assert await _items(agent) == [("saffron", 1)]
        done = evs[-1]
        assert done.type == "finished" and "saffron" in done.text.lower()
        assert "add_to_shopping_list" not in done.text and "[" not in done.text
    finally:
        await agent.stop()


async def test_a_call_written_as_text_in_the_last_round_never_reaches_the_user(server, tmp_path, monkeypatch):
    """The last round sends no tools, so Ollama passes the model's call on as text: it is not said."""
    agent = _agent(tmp_path, monkeypatch, "native", "max_tool_rounds = 1\n")
    server.script(Reply.calls(MODEL, tool_call("add_to_shopping_list", {"item": "saffron"})),
                  Reply.text(MODEL, "[add_to_shopping_list(", 'item="saffron", ', "...)]"))
    try:
        evs = [e async for e in agent.turn("we need saffron", session="k", tier=3)]
        assert not server.chat_requests()[1].get("tools")
        said = "".join(e.text for e in evs if e.type == "text_delta")
        assert "add_to_shopping_list" not in said and "add_to_shopping_list" not in evs[-1].text
        assert evs[-1].type == "finished" and "saffron" in evs[-1].text.lower()
        assert await _items(agent) == [("saffron", 1)]
    finally:
        await agent.stop()


async def test_a_question_does_not_become_a_write_on_the_native_path(server, tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, "native")
    server.script(Reply.calls(MODEL, tool_call("add_to_shopping_list", {"item": "milk"})),
                  Reply.calls(MODEL, tool_call("get_shopping_list", {})), Reply.text(MODEL, "No, there is no milk."))
    try:
        evs = [e async for e in agent.turn("is milk on my shopping list?", session="k", tier=3)]
        results = [(e.name, e.ok, e.error_code) for e in evs if e.type == "tool_result"]
        assert results == [("add_to_shopping_list", False, "question_not_a_write"), ("get_shopping_list", True, None)]
        assert await _items(agent) == [] and evs[-1].text == "No, there is no milk."
        told = server.chat_requests()[1]["messages"][-1]
        assert told["role"] == "tool" and "question" in told["content"]
    finally:
        await agent.stop()


async def test_a_failing_ollama_fails_the_turn_with_the_backend_code(server, tmp_path, monkeypatch):
    agent = _agent(tmp_path, monkeypatch, "native")
    server.script(Reply(body=fixture_text("issue_continue_10221_error_parsing_tool_call.txt").strip().encode(), status=500))
    try:
        done = await agent.ask("we need bread", session="k", tier=3)
        assert (done.type, done.code) == ("failed", "tool_call_malformed")
    finally:
        await agent.stop()
