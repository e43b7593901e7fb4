"""``hearth serve`` against hostile and clumsy clients (issue 15): any Unicode, racing requests, a model
that will not load, the OpenAPI description against what the server does, blank tokens, control and
invisible characters, and stopping while tools hang. Real server processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import HEARTH, run_hearth
from test_server import PLUGINS, Server, chat, shopping_list
from websockets.asyncio.client import connect

ADD = "add {} to my shopping list"


@pytest.fixture
def hang_home(home, monkeypatch) -> Path:
    (home / "plugins").mkdir()
    for name in ("slow.py", "hang.py"):
        (home / "plugins" / name).write_text((PLUGINS / name).read_text())
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,slow,hang")
    return home


@pytest.fixture
def server(hang_home):
    s = Server(hang_home).start()
    yield s
    s.stop()


# ---- Unicode in sessions, and no half-applied request --------------------------------------------


def test_a_user_id_beyond_latin1_is_answered_with_an_encoded_session(server):
    r = httpx.post(server.url + "/api/chat", json={"message": ADD.format("bananas"), "user_id": "Ω"})
    assert r.status_code == 200, r.text
    assert r.headers["X-Session-ID"] == r.json()["session"] == "user-%CE%A9"
    assert r.json()["user_id"] == "Ω"
    # the same user continues the same conversation, by user_id or by the session header
    again = httpx.post(server.url + "/api/chat", json={"message": "what is on my shopping list", "user_id": "Ω"})
    assert again.json()["session"] == "user-%CE%A9"
    history = httpx.get(server.url + "/api/sessions/user-%25CE%25A9")
    assert history.status_code == 200 and len(history.json()["messages"]) >= 4
    assert shopping_list(server) == ["bananas"]


def test_a_session_header_that_cannot_be_answered_is_refused_before_the_turn_runs(server):
    r = httpx.post(server.url + "/api/chat", json={"message": ADD.format("plums")},
                   headers=[(b"X-Session-ID", "caf\u00e9".encode("latin-1"))])
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", r.text
    assert shopping_list(server) == []  # nothing half-applied


def test_eight_concurrent_tool_calls_on_a_new_session_all_answer(server):
    def call(_: int) -> int:
        return httpx.post(server.url + "/api/tools/get_shopping_list", json={},
                          headers={"X-Session-ID": "fresh-session"}).status_code
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(call, range(8))) == [200] * 8


def test_a_model_that_fails_to_load_answers_503_with_its_code(hang_home):
    bad = hang_home / "broken.gguf"
    bad.write_bytes(b"not a gguf at all")
    models = hang_home / "models.toml"
    models.write_text(f'[roles]\nmain = "broken"\n\n[models.broken]\nbackend = "llamacpp"\nmodel = "{bad}"\n')
    s = Server(hang_home, "--models", str(models)).start()
    try:
        r = httpx.post(s.url + "/api/chat", json={"message": "tell me a story about the sea"}, timeout=120)
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "model_load_failed"
        spec = httpx.get(s.url + "/openapi.json").json()
        assert "503" in spec["paths"]["/api/chat"]["post"]["responses"]
    finally:
        s.stop()


# ---- the OpenAPI description agrees with the server ------------------------------------------------


def test_openapi_agrees_with_the_server(server):
    spec = httpx.get(server.url + "/openapi.json").json()
    message = spec["components"]["schemas"]["ChatRequest"]["properties"]["message"]
    assert message["minLength"] == 1 and message["maxLength"] == 4000
    chat_op = spec["paths"]["/api/chat"]["post"]
    assert "text/event-stream" in chat_op["responses"]["200"]["content"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "422" not in codes, (method, path)  # unreadable requests are 400
            if path.startswith("/api/"):
                assert {"400", "401", "413", "429", "500"} <= codes, (method, path)
    r = httpx.post(server.url + "/api/chat", json={"message": ""})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "empty_message")
    r = httpx.post(server.url + "/api/chat", json={"message": "x" * 4001})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "message_too_long")
    assert r.json()["error"]["message"].endswith("Say it in shorter parts.")


def test_a_method_not_allowed_names_the_allowed_ones(server):
    r = httpx.get(server.url + "/api/chat")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert r.headers["Allow"] == "POST"
    r = httpx.delete(server.url + "/api/tools")
    assert r.status_code == 405 and r.headers["Allow"] == "GET"


def test_rate_limited_reads_are_answered_429_as_listed(hang_home):
    s = Server(hang_home, "--rate", "0.1", "--burst", "1").start()
    try:
        statuses = [httpx.get(s.url + "/api/tools").status_code for _ in range(3)]
        assert 429 in statuses
        r = httpx.get(s.url + "/api/sessions/x")
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and r.headers["Retry-After"]
    finally:
        s.stop()


# ---- tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [("--token", ""), ("--token", " \t "), ("env", "   ")])
def test_a_blank_token_is_refused_at_start(hang_home, how):
    args, env = (["--token", how[1]], {}) if how[0] == "--token" else ([], {"HEARTH_TOKEN": how[1]})
    r = run_hearth("serve", "--port", "0", "--host", "0.0.0.0", *args, env=env, timeout=60)
    assert r.returncode == 1
    assert "token is empty or only spaces" in r.stderr and "Traceback" not in r.stderr


def test_the_token_is_compared_in_constant_time(monkeypatch):
    from hearth.faces import guard as server_guard
    from hearth.faces.settings import ServerSettings

    seen = []
    real = server_guard.hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)
    monkeypatch.setattr(server_guard.hmac, "compare_digest", spy)
    guard = server_guard.GuardMiddleware(lambda *a: None, ServerSettings(token="s3cret"))
    sent = []

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "path": "/api/tools", "headers": [(b"authorization", b"Bearer nope")], "query_string": b""}
    asyncio.run(guard(scope, None, send))
    assert seen == [(b"nope", b"s3cret")] and sent[0]["status"] == 401


# ---- control and invisible characters --------------------------------------------------------------


async def test_control_and_invisible_characters_are_cleaned_from_items_and_replies(server):
    async with connect(server.ws) as ws:
        await ws.recv()  # hello
        await chat(ws, ADD.format("milk"))
        await chat(ws, ADD.format("milk\x00"))
        await chat(ws, ADD.format("mi\u200blk"))
        frames = await chat(ws, ADD.format("\u202eegnaro"))
    assert shopping_list(server) == ["egnaro", "milk"]
    reply = frames[-1]["text"]
    assert "\u202e" not in reply and "egnaro" in reply
    assert httpx.post(server.url + "/api/tools/add_to_shopping_list", json={"item": "bread\x1b[31m\x85"}).json()["ok"]
    assert "bread[31m" in shopping_list(server)
    assert not any(c in json.dumps(httpx.get(server.url + "/api/sessions/" + frames[-1]["session"]).json())
                   for c in ("\\u0000", "\\u202e", "\\u200b"))


# ---- faults: a prompt address, a prompt stop --------------------------------------------------------


def test_the_address_is_printed_only_once_the_port_accepts_connections(hang_home):
    proc = subprocess.Popen([HEARTH, "serve", "--port", "0", "--no-prewarm"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "HEARTH_HOME": str(hang_home)})
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_server_stops_on_its_first_signal_while_tools_hang(server, sig):
    def hang(_: int) -> int:
        return httpx.post(server.url + "/api/tools/hang", json={"seconds": 600}, timeout=30).status_code
    with ThreadPoolExecutor(8) as pool:  # more hung calls than the machine has cores
        assert set(pool.map(hang, range(8))) == {200}
    # the server still answers its other work, then stops on the first signal
    assert httpx.get(server.url + "/api/sessions/nosuch", timeout=10).status_code == 404
    assert httpx.post(server.url + "/api/tools/ping", json={}, timeout=10).json()["result"] == "pong"
    server.proc.send_signal(sig)
    deadline = time.monotonic() + 10
    while server.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.proc.poll() is not None, "the server ignored its first signal"
