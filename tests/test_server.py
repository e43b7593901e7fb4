"""``hearth serve`` for real: a server process on a free port of 127.0.0.1, real websocket and HTTP
clients (``websockets``, ``httpx``), real SQLite underneath."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import HEARTH, run_hearth
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

PLUGINS = Path(__file__).parent / "plugins"
GROCERIES = ["apples", "bananas", "carrots", "dates", "eggs", "flour", "grapes", "honey", "jam", "kale",
             "lemons", "mangoes", "noodles", "olives", "pears", "quinoa", "rice", "spinach", "tomatoes", "yogurt"]


class Server:
    """``hearth serve --port 0`` in a subprocess; ``url`` once it answers /healthz."""

    def __init__(self, home: Path, *args: str) -> None:
        self.home, self.args = home, args
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> Server:
        env = {**os.environ, "HEARTH_HOME": str(self.home)}
        self.proc = subprocess.Popen([HEARTH, "serve", "--port", "0", "--no-prewarm", *self.args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://([\d.]+):(\d+)/", line)
        assert m, f"no address in {line!r}; stderr: {self.proc.stderr.read() if self.proc.poll() is not None else ''}"
        self.url = f"http://{m.group(1)}:{m.group(2)}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(self.url + "/healthz", headers=self.auth).status_code in (200, 503):
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("server did not answer /healthz")

    @property
    def auth(self) -> dict[str, str]:
        if "--token" in self.args:
            return {"Authorization": "Bearer " + self.args[self.args.index("--token") + 1]}
        return {}

    @property
    def ws(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture
def plugin_home(home, monkeypatch) -> Path:
    (home / "plugins").mkdir()
    shutil.copy(PLUGINS / "slow.py", home / "plugins" / "slow.py")
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,slow")
    return home


@pytest.fixture
def server(plugin_home):
    s = Server(plugin_home).start()
    yield s
    s.stop()


@pytest.fixture
def make_server(plugin_home):
    started: list[Server] = []

    def make(*args: str) -> Server:
        s = Server(plugin_home, *args).start()
        started.append(s)
        return s
    yield make
    for s in started:
        s.stop()


async def frames_until(ws, *types: str, limit: float = 30) -> list[dict]:
    """Frames up to and including the first whose type is in ``types``."""
    got = []
    async with asyncio.timeout(limit):
        while True:
            frame = json.loads(await ws.recv())
            got.append(frame)
            if frame["type"] in types:
                return got


async def chat(ws, text: str, **extra) -> list[dict]:
    await ws.send(json.dumps({"type": "chat", "text": text, **extra}))
    return await frames_until(ws, "finished", "failed", "error")


def shopping_list(server: Server) -> list[str]:
    r = httpx.post(server.url + "/api/tools/get_shopping_list", json={}, headers=server.auth)
    assert r.status_code == 200, r.text
    return sorted(i["name"] for i in r.json()["result"]["items"])


# ---- websocket ----------------------------------------------------------------------------------------


async def test_websocket_turn_streams_events_and_stores_the_item(server):
    async with connect(server.ws) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["limits"]["max_frame"] == 65536
        frames = await chat(ws, "add eggs to my shopping list")
    assert [f["type"] for f in frames] == ["started", "routed", "tool_call", "tool_result", "text_delta", "finished"]
    assert {f["session"] for f in frames} == {hello["session"]}
    assert frames[2]["name"] == "add_to_shopping_list" and frames[2]["arguments"] == {"item": "eggs"}
    assert frames[-1]["text"] == "Added eggs to your shopping list." and frames[-1]["tier"] == 1
    assert shopping_list(server) == ["eggs"]


async def test_twenty_concurrent_sessions_all_stored(server):
    async def one(item: str) -> tuple[str, dict]:
        async with connect(server.ws) as ws:
            hello = json.loads(await ws.recv())
            frames = await chat(ws, f"add {item} to my shopping list")
            return hello["session"], frames[-1]

    results = await asyncio.gather(*(one(item) for item in GROCERIES))
    assert len({session for session, _ in results}) == 20
    assert [last["type"] for _, last in results] == ["finished"] * 20
    assert shopping_list(server) == GROCERIES
    assert httpx.get(server.url + "/healthz").json()["turns"] == {"running": 0, "waiting": 0, "capacity": 4, "queue": 64}


async def test_client_leaving_mid_turn_leaves_the_server_healthy_and_the_turn_stored(server):
    async with connect(server.ws) as ws:
        session = json.loads(await ws.recv())["session"]
        await ws.send(json.dumps({"type": "chat", "text": "slowly say marmalade"}))
        await frames_until(ws, "tool_call")
    # gone while the tool runs; the turn finishes without its listener
    await asyncio.sleep(2.5)
    async with connect(server.ws) as ws:
        await ws.recv()
        frames = await chat(ws, "add pears to my shopping list")
    assert frames[-1]["type"] == "finished"
    assert server.alive() and httpx.get(server.url + "/healthz").json()["ok"] is True
    history = httpx.get(f"{server.url}/api/sessions/{session}").json()["messages"]
    assert history[0] == {"role": "user", "content": "slowly say marmalade"}
    assert history[-1] == {"role": "assistant", "content": "You said marmalade."}


async def test_bad_frames_get_error_frames_and_the_connection_keeps_working(server):
    async with connect(server.ws, max_size=None) as ws:
        await ws.recv()

        async def reply_to(raw) -> dict:
            await ws.send(raw)
            return json.loads(await ws.recv())

        cases = {
            "{not json": "bad_json",
            b"\x00\x01binary": "binary_not_supported",
            json.dumps({"type": "dance"}): "unknown_type",
            json.dumps([1, 2]): "bad_frame",
            json.dumps({"type": "chat"}): "bad_frame",
            json.dumps({"type": "chat", "text": 42}): "bad_frame",
            json.dumps({"type": "chat", "text": "x" * 5000}): "message_too_long",
            json.dumps({"type": "chat", "text": "a" * 100_000}): "frame_too_large",
            json.dumps({"type": "cancel"}): "nothing_to_cancel",
        }
        for raw, code in cases.items():
            frame = await reply_to(raw)
            assert (frame["type"], frame["code"]) == ("error", code), raw[:40]
            assert frame["message"]
            assert await reply_to(json.dumps({"type": "ping", "id": 7})) == {"type": "pong", "id": 7}
        assert (await chat(ws, "add kale to my shopping list"))[-1]["type"] == "finished"


async def test_a_frame_beyond_the_protocol_limit_closes_with_1009(server):
    async with connect(server.ws, max_size=None) as ws:
        await ws.recv()
        await ws.send("x" * (2 << 20))
        with pytest.raises(ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd.code == 1009
    assert httpx.get(server.url + "/healthz").status_code == 200


async def test_rate_limit_answers_and_keeps_the_connection(make_server):
    server = make_server("--rate", "1", "--burst", "3")
    async with connect(server.ws) as ws:
        await ws.recv()
        for i in range(6):
            await ws.send(json.dumps({"type": "ping", "id": i}))
        frames = [json.loads(await ws.recv()) for _ in range(6)]
        assert [f["type"] for f in frames] == ["pong"] * 3 + ["error"] * 3
        assert {f["code"] for f in frames[3:]} == {"rate_limited"}
        await asyncio.sleep(1.2)
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}
    statuses = [httpx.get(server.url + "/api/tools").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
    limited = httpx.get(server.url + "/api/tools")
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1


async def test_cancel_stops_the_turn_after_the_running_tool_call(server):
    async with connect(server.ws) as ws:
        session = json.loads(await ws.recv())["session"]
        await ws.send(json.dumps({"type": "chat", "text": "slowly say plums"}))
        await frames_until(ws, "tool_call")
        await ws.send(json.dumps({"type": "cancel"}))
        frames = await frames_until(ws, "finished", "failed")
    assert [f["type"] for f in frames] == ["tool_result", "failed"]
    assert frames[-1]["code"] == "cancelled"
    calls = httpx.get(f"{server.url}/api/sessions/{session}").json()["messages"]
    assert calls[2] == {"role": "tool", "content": json.dumps({"word": "plums"}), "tool_call_id": frames[0]["call_id"],
                        "name": "slow_echo"}


async def test_turns_past_the_queue_are_answered_busy(make_server):
    server = make_server("--concurrency", "1", "--queue", "1")
    async with connect(server.ws) as a, connect(server.ws) as b, connect(server.ws) as c:
        for ws in (a, b, c):
            await ws.recv()
        await a.send(json.dumps({"type": "chat", "text": "slowly say one"}))
        await frames_until(a, "tool_call")
        await b.send(json.dumps({"type": "chat", "text": "slowly say two"}))
        assert (await frames_until(b, "queued"))[-1]["position"] == 1
        frames = await chat(c, "slowly say three")
        assert frames[-1]["type"] == "failed" and frames[-1]["code"] == "busy"
        assert "busy" in frames[-1]["message"]
        assert (await frames_until(a, "finished"))[-1]["text"] == "You said one."
        assert (await frames_until(b, "finished"))[-1]["text"] == "You said two."


async def test_a_turn_past_its_timeout_fails_with_timeout(make_server):
    server = make_server("--turn-timeout", "1")
    async with connect(server.ws) as ws:
        await ws.recv()
        frames = await chat(ws, "slowly say late")
    assert frames[-1]["type"] == "failed" and frames[-1]["code"] == "timeout"
    assert server.alive()


async def test_a_finished_timer_is_pushed_to_its_session(server):
    async with connect(server.ws) as ws:
        session = json.loads(await ws.recv())["session"]
        frames = await chat(ws, "set a timer for 1 second")
        assert frames[-1]["type"] == "finished" and frames[2]["name"] == "start_timer"
        done = (await frames_until(ws, "countdown_finished", limit=10))[-1]
    assert done["session"] == session and done["duration_s"] == 1 and done["kind"] == "timer"


# ---- HTTP -----------------------------------------------------------------------------------------


def test_http_chat_answers_in_one_json_and_continues_the_session(server):
    r = httpx.post(server.url + "/api/chat", json={"message": "add flour to my shopping list"})
    assert r.status_code == 200
    body = r.json()
    session = r.headers["X-Session-ID"]
    assert body["session"] == session and body["reply"] == "Added flour to your shopping list." and body["tier"] == 1
    assert body["tool_calls"] == [{"name": "add_to_shopping_list", "arguments": {"item": "flour"}, "ok": True,
                                   "result": {"name": "flour", "quantity": 1, "checked": False}, "error_code": None}]
    r2 = httpx.post(server.url + "/api/chat", json={"message": "add rice to my shopping list"},
                    headers={"X-Session-ID": session})
    assert r2.json()["session"] == session
    history = httpx.get(f"{server.url}/api/sessions/{session}").json()
    assert [m["content"] for m in history["messages"] if m["role"] == "user"] == [
        "add flour to my shopping list", "add rice to my shopping list"]
    by_user = httpx.post(server.url + "/api/chat", json={"message": "add jam to my shopping list", "user_id": "ana"})
    assert by_user.json()["session"] == "user-ana" and by_user.json()["user_id"] == "ana"


def test_http_chat_streams_server_sent_events(server):
    with httpx.stream("POST", server.url + "/api/chat?stream=true", json={"message": "add olives to my shopping list"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = r.read().decode()
    events = [(m.group(1), json.loads(m.group(2))) for m in re.finditer(r"event: (\w+)\ndata: (.*)\n", text)]
    assert [name for name, _ in events] == ["started", "routed", "tool_call", "tool_result", "text_delta", "finished"]
    assert all(name == data["type"] for name, data in events)
    assert events[-1][1]["text"] == "Added olives to your shopping list."


def test_http_bad_requests_get_clear_errors(server):
    url = server.url + "/api/chat"
    cases = [
        (httpx.post(url, content=b"{oops", headers={"content-type": "application/json"}), 400, "bad_json"),
        (httpx.post(url, json={"text": "hi"}), 400, "bad_request"),
        (httpx.post(url, json={"message": 5}), 400, "bad_request"),
        (httpx.post(url, json={"message": "   "}), 400, "empty_message"),
        (httpx.post(url, json={"message": "x" * 5000}), 400, "message_too_long"),
        (httpx.post(url, content=b'{"message": "' + b"a" * 70_000 + b'"}', headers={"content-type": "application/json"}),
         413, "body_too_large"),
        (httpx.post(url, content=iter([b'{"message": "', b"a" * 70_000, b'"}']), headers={"content-type": "application/json"}),
         413, "body_too_large"),  # chunked, no Content-Length
        (httpx.get(server.url + "/api/sessions/nosuch"), 404, "session_not_found"),
        (httpx.post(server.url + "/api/tools/nosuch", json={}), 404, "unknown_tool"),
        (httpx.get(server.url + "/api/nowhere"), 404, "not_found"),
    ]
    for r, status, code in cases:
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
        assert r.json()["error"]["message"]
    assert "message" in httpx.post(url, json={"text": "hi"}).json()["error"]["message"]


def test_a_failing_tool_call_over_http_reports_its_code(server):
    r = httpx.post(server.url + "/api/tools/add_to_shopping_list", json={"item": 7})
    assert r.status_code == 200
    assert r.json()["ok"] is False and r.json()["error_code"] == "invalid_arguments"


def test_openapi_describes_the_api(server):
    spec = httpx.get(server.url + "/openapi.json").json()
    assert {"/api/chat", "/api/sessions/{session_id}", "/healthz", "/api/tools", "/api/tools/{name}"} <= set(spec["paths"])
    chat = spec["paths"]["/api/chat"]["post"]
    assert {p["name"] for p in chat["parameters"]} == {"stream", "x-session-id"}
    assert set(spec["components"]["schemas"]["ChatRequest"]["properties"]) == {"message", "user_id", "room"}


def test_the_page_is_served(server):
    r = httpx.get(server.url + "/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<title>Hearth</title>" in r.text


def test_a_restarted_server_continues_the_session(make_server):
    first = make_server()
    r = httpx.post(first.url + "/api/chat", json={"message": "add honey to my shopping list"})
    session = r.headers["X-Session-ID"]
    first.stop()
    second = make_server()
    assert httpx.get(f"{second.url}/api/sessions/{session}").json()["messages"][-1] == {
        "role": "assistant", "content": "Added honey to your shopping list."}
    httpx.post(second.url + "/api/chat", json={"message": "add lemons to my shopping list"}, headers={"X-Session-ID": session})
    messages = httpx.get(f"{second.url}/api/sessions/{session}").json()["messages"]
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "add honey to my shopping list", "add lemons to my shopping list"]
    assert shopping_list(second) == ["honey", "lemons"]


# ---- safety ---------------------------------------------------------------------------------------


async def test_a_token_is_required_on_every_request_and_websocket(make_server):
    server = make_server("--token", "s3cret")
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = httpx.get(server.url + "/healthz", headers=headers)
        assert (r.status_code, r.json()) == (401, {"error": {"code": "unauthorized", "message": "unauthorized",
                                                          "type": "authentication_error", "param": None}})
        assert httpx.post(server.url + "/api/chat", json={"message": "hi"}, headers=headers).status_code == 401
    for url in (server.ws, server.ws + "?token=wrong"):
        with pytest.raises(InvalidStatus) as info:
            async with connect(url):
                pass
        assert info.value.response.status_code == 403
    async with connect(server.ws + "?token=s3cret") as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
    async with connect(server.ws, additional_headers={"Authorization": "Bearer s3cret"}) as ws:
        assert (await chat(ws, "add tea to my shopping list"))[-1]["type"] == "finished"
    page = httpx.get(server.url + "/?token=s3cret")
    assert page.status_code == 200 and "hearth_token=s3cret" in page.headers["set-cookie"]
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    assert httpx.get(server.url + "/healthz", cookies={"hearth_token": "s3cret"}).status_code == 200


def test_binding_beyond_loopback_needs_a_token(home):
    r = run_hearth("serve", "--host", "0.0.0.0", "--port", "0", timeout=60)
    assert r.returncode == 1
    assert "HEARTH_TOKEN" in r.stderr and "--token" in r.stderr


def test_a_foreign_host_header_is_refused_without_a_token(server):
    r = httpx.get(server.url + "/healthz", headers={"Host": "evil.example:8765"})
    assert (r.status_code, r.text) == (400, "Invalid host header")  # Starlette's TrustedHostMiddleware
    for host in ("localhost:8765", "127.0.0.1", "[::1]:8765"):
        assert httpx.get(server.url + "/healthz", headers={"Host": host}).status_code == 200


def test_a_busy_port_is_a_clear_error(server):
    port = server.url.rsplit(":", 1)[1]
    r = run_hearth("serve", "--port", port, timeout=60)
    assert r.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in r.stderr


@pytest.mark.slow
def test_healthz_reports_the_models_loading_then_ready(plugin_home):
    s = Server(plugin_home, "--prewarm").start()  # the last of --no-prewarm / --prewarm wins
    try:
        states = []
        deadline = time.time() + 240
        while time.time() < deadline:
            body = httpx.get(s.url + "/healthz").json()
            states.append(body["models"]["gemma3-270m"]["state"])
            if body["ready"]:
                break
            time.sleep(0.2)
        assert states[-1] == "ready" and body["ok"] is True
        assert states[0] in ("loading", "ready")
    finally:
        s.stop()
