"""A loopback server that speaks Ollama's HTTP API, for tests of the Ollama backend and doctor.

It stands in for a remote Ollama server only: a real HTTP server on 127.0.0.1 (starlette under
uvicorn, in a thread) that the official ``ollama`` client talks to unchanged. Its replies have
the shapes Ollama sends (``tests/data/ollama/`` holds the real samples they follow, with their
sources) and its errors come from Ollama's own code paths (server/routes.go @ fb30760):

- ``POST /api/chat``: NDJSON lines (``application/x-ndjson``) when streaming, one merged JSON
  object otherwise; empty ``messages`` loads the model (``done_reason: "load"``), and with
  ``keep_alive: 0`` unloads it (``"unload"``); an unknown model is 404 ``model 'NAME' not found``;
  ``tools`` sent to a model without the ``tools`` capability is 400 ``NAME does not support tools``.
- ``POST /api/generate`` (empty prompt: load), ``POST /api/show`` (``capabilities``),
  ``GET /api/ps`` (``size`` / ``size_vram``), ``GET /api/tags``, ``GET /api/version``.
- A scripted error before any chunk is an HTTP status with ``{"error": ...}``; after chunks it is
  an NDJSON ``{"error": ...}`` line with the status left at 200, as ``streamResponse`` does.

Tests script chat replies (``server.script(...)``) and read back every request the server got
(``server.requests``) to check what the client sent.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

FIXTURES = Path(__file__).parent / "data" / "ollama"


# ---- fixtures -----------------------------------------------------------------------------------------


def fixture_text(name: str) -> str:
    """A fixture's text without its ``# fixture-...`` provenance lines."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith("# fixture-"))


def fixture_objects(name: str) -> list[dict[str, Any]]:
    """Every JSON object in a fixture, in order (pretty-printed docs objects, elisions skipped)."""
    text = fixture_text(name)
    decoder = json.JSONDecoder()
    out, i = [], 0
    while True:
        i = text.find("{", i)
        if i < 0:
            return out
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)


# ---- scripted replies ---------------------------------------------------------------------------------


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def chunk(model: str, content: str = "", tool_calls: list[dict[str, Any]] | None = None,
          done: bool = False, **stats: Any) -> dict[str, Any]:
    """One /api/chat object as Ollama streams it."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    obj: dict[str, Any] = {"model": model, "created_at": now(), "message": message}
    if done:
        obj.update({"done_reason": "stop", "done": True, "total_duration": 182242375, "load_duration": 41295167,
                    "prompt_eval_count": 169, "prompt_eval_duration": 24573166, "eval_count": 15,
                    "eval_duration": 115959084})
        obj.update(stats)
    else:
        obj["done"] = False
    return obj


def tool_call(name: str, arguments: Any) -> dict[str, Any]:
    """A ``message.tool_calls`` entry as Ollama sends it (no id, arguments as an object)."""
    return {"function": {"name": name, "arguments": arguments}}


@dataclass
class Reply:
    """One scripted answer to ``POST /api/chat``.

    ``chunks`` are sent as NDJSON lines (dicts are encoded; ``bytes`` go out verbatim). ``error``
    ends the stream with Ollama's error: before any chunk as HTTP ``status`` with an
    ``{"error": ...}`` body, after chunks as an NDJSON ``{"error": ...}`` line (status 200).
    ``body`` replaces everything with these exact bytes and ``status``.
    """

    chunks: list[dict[str, Any] | bytes] = field(default_factory=list)
    error: str | None = None
    status: int = 500
    body: bytes | None = None
    delay: float = 0.0  # seconds between chunks
    drop: bool = False  # the server dies after the chunks: the connection closes mid-body

    @classmethod
    def text(cls, model: str, *pieces: str, **stats: Any) -> Reply:
        return cls([chunk(model, p) for p in pieces] + [chunk(model, done=True, **stats)])

    @classmethod
    def calls(cls, model: str, *calls: dict[str, Any], in_final: bool = False) -> Reply:
        """Tool calls in a ``done: false`` chunk then an empty final one (Ollama's docs), or in the
        final ``done: true`` chunk itself (seen with qwen3-coder)."""
        if in_final:
            return cls([chunk(model, tool_calls=list(calls), done=True)])
        return cls([chunk(model, tool_calls=list(calls)), chunk(model, done=True)])


@dataclass
class FakeModel:
    """A model the server has pulled, with what ``/api/show`` and ``/api/ps`` say of it."""

    name: str
    capabilities: list[str] | None = field(default_factory=lambda: ["completion", "tools"])
    size: int = 5137025024
    vram_share: float = 1.0  # the part of ``size`` that /api/ps reports in GPU memory
    family: str = "llama"
    parameter_size: str = "7.2B"
    quantization_level: str = "Q4_0"
    context_length: int = 8192
    supports_tools: bool | None = None  # what /api/chat enforces; None: as capabilities say
    load_error: bytes | None = None  # the HTTP 500 body a load of this model answers with

    def takes_tools(self) -> bool:
        if self.supports_tools is not None:
            return self.supports_tools
        return self.capabilities is None or "tools" in self.capabilities

    def details(self) -> dict[str, Any]:
        return {"parent_model": "", "format": "gguf", "family": self.family, "families": [self.family],
                "parameter_size": self.parameter_size, "quantization_level": self.quantization_level}


def full_name(model: str) -> str:
    """How Ollama names a model in its errors: ``registry.ollama.ai/library/gemma3:4b``."""
    if ":" not in model.rsplit("/", 1)[-1]:
        model += ":latest"
    if "/" not in model:
        model = "library/" + model
    if model.count("/") == 1:
        model = "registry.ollama.ai/" + model
    return model


# ---- the server ---------------------------------------------------------------------------------------


class OllamaServer:
    """The loopback server; ``with OllamaServer(models) as s:`` runs it on a free port."""

    def __init__(self, models: list[FakeModel] | None = None) -> None:
        self.models: dict[str, FakeModel] = {}
        for m in models or []:
            self.add(m)
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []  # {"method", "path", "json"} in arrival order
        self.running: dict[str, dict[str, Any]] = {}  # name -> {"expires_at", "context_length"}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = Starlette(routes=[
            Route("/", self._root, methods=["GET", "HEAD"]),
            Route("/api/version", self._version, methods=["GET"]),
            Route("/api/chat", self._chat, methods=["POST"]),
            Route("/api/generate", self._generate, methods=["POST"]),
            Route("/api/show", self._show, methods=["POST"]),
            Route("/api/ps", self._ps, methods=["GET"]),
            Route("/api/tags", self._tags, methods=["GET"]),
        ])

    # ---- test API ----

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, model: FakeModel) -> None:
        self.models[model.name] = model

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next ``/api/chat`` requests that generate (not loads)."""
        self.replies.extend(replies)

    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the ``/api/chat`` requests that asked for an answer (loads left out)."""
        return [r["json"] for r in self.requests if r["path"] == "/api/chat" and r["json"].get("messages")]

    def paths(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests]

    # ---- lifecycle ----

    def start(self) -> OllamaServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="ollama-loopback", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the loopback Ollama server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> OllamaServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---- helpers ----

    async def _record(self, request: Request) -> dict[str, Any]:
        body = await request.body()
        data = json.loads(body) if body else {}
        self.requests.append({"method": request.method, "path": request.url.path, "json": data})
        return data

    def _lookup(self, name: str) -> FakeModel | None:
        return self.models.get(name) or (self.models.get(name[:-7]) if name.endswith(":latest") else None) \
            or self.models.get(f"{name}:latest")

    @staticmethod
    def _not_found(name: str) -> JSONResponse:
        return JSONResponse({"error": f"model '{name}' not found"}, status_code=404)

    def _mark_running(self, model: FakeModel, data: dict[str, Any]) -> None:
        keep = data.get("keep_alive", 300)
        seconds = keep if isinstance(keep, (int, float)) else 300
        expires = datetime.now(UTC) + timedelta(days=3650 if seconds < 0 else 0, seconds=max(seconds, 0))
        num_ctx = (data.get("options") or {}).get("num_ctx") or 4096
        self.running[model.name] = {"expires_at": expires.isoformat(), "context_length": num_ctx}

    # ---- endpoints ----

    async def _root(self, request: Request) -> Response:
        return Response("Ollama is running", media_type="text/plain")

    async def _version(self, request: Request) -> Response:
        return JSONResponse({"version": "0.12.3"})

    async def _show(self, request: Request) -> Response:
        data = await self._record(request)
        name = data.get("model") or data.get("name") or ""
        m = self._lookup(name)
        if m is None:
            return self._not_found(name)
        body: dict[str, Any] = {
            "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {m.name}\n",
            "parameters": "stop                           \"<|im_end|>\"",
            "template": "{{ .Prompt }}",
            "details": m.details(),
            "model_info": {"general.architecture": m.family, "general.parameter_count": 7241732096,
                           f"{m.family}.context_length": m.context_length},
            "modified_at": "2025-05-10T08:06:48.639712648-07:00",
        }
        if m.capabilities is not None:  # servers before 0.6.4 had no capabilities field
            body["capabilities"] = m.capabilities
        return JSONResponse(body)

    async def _tags(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"models": [
            {"name": m.name, "model": m.name, "modified_at": "2025-05-10T08:06:48.639712648-07:00", "size": m.size,
             "digest": "0a8c266910232fd3291e71e5ba1e058cc5af9d411192cf88b6d30e92b6e73163", "details": m.details()}
            for m in self.models.values()]})

    async def _ps(self, request: Request) -> Response:
        await self._record(request)
        out = []
        for name, run in self.running.items():
            m = self.models[name]
            out.append({"name": m.name, "model": m.name, "size": m.size,
                        "digest": "2ae6f6dd7a3dd734790bbbf58b8909a606e0e7e97e94b7604e0aa7ae4490e6d8",
                        "details": m.details(), "expires_at": run["expires_at"],
                        "size_vram": int(m.size * m.vram_share), "context_length": run["context_length"]})
        return JSONResponse({"models": out})

    async def _generate(self, request: Request) -> Response:
        data = await self._record(request)
        name = data.get("model", "")
        m = self._lookup(name)
        if m is None:
            return self._not_found(name)
        if not data.get("prompt"):
            if data.get("keep_alive") == 0:
                self.running.pop(m.name, None)
                return JSONResponse({"model": name, "created_at": now(), "response": "", "done": True, "done_reason": "unload"})
            self._mark_running(m, data)
            return JSONResponse({"model": name, "created_at": now(), "response": "", "done": True, "done_reason": "load"})
        return JSONResponse({"error": "the loopback server scripts /api/chat only"}, status_code=500)

    async def _chat(self, request: Request) -> Response:
        data = await self._record(request)
        name = data.get("model", "")
        m = self._lookup(name)
        if m is None:
            return self._not_found(name)
        if data.get("tools") and not m.takes_tools():
            return JSONResponse({"error": f"{full_name(name)} does not support tools"}, status_code=400)
        if m.load_error is not None:  # scheduleRunner failed: handleScheduleError's default, 500
            return Response(m.load_error, status_code=500, media_type="application/json")
        if not data.get("messages"):
            if data.get("keep_alive") == 0:
                self.running.pop(m.name, None)
                return JSONResponse({"model": name, "created_at": now(), "message": {"role": "assistant", "content": ""},
                                     "done_reason": "unload", "done": True})
            self._mark_running(m, data)
            return JSONResponse({"model": name, "created_at": now(), "message": {"role": "assistant", "content": ""},
                                 "done_reason": "load", "done": True})
        self._mark_running(m, data)
        if not self.replies:
            return JSONResponse({"error": "the loopback server has no scripted reply left"}, status_code=500)
        reply = self.replies.pop(0)
        if reply.body is not None:
            return Response(reply.body, status_code=reply.status, media_type="application/json")
        if reply.error is not None and not reply.chunks:
            return JSONResponse({"error": reply.error}, status_code=reply.status)
        if data.get("stream", True) is False:
            return self._merged(reply)

        async def lines():
            for c in reply.chunks:
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                yield c if isinstance(c, bytes) else json.dumps(c).encode() + b"\n"
            if reply.error is not None:
                yield json.dumps({"error": reply.error}).encode() + b"\n"
            if reply.drop:
                raise ConnectionAbortedError("the loopback server drops the connection, as a crashed server would")

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @staticmethod
    def _merged(reply: Reply) -> Response:
        """A non-streamed answer: the chunks folded into one object, as Ollama does."""
        objs = [json.loads(c) if isinstance(c, bytes) else c for c in reply.chunks]
        final = dict(objs[-1])
        content = "".join(o["message"].get("content", "") for o in objs)
        calls = [tc for o in objs for tc in o["message"].get("tool_calls") or []]
        final["message"] = {"role": "assistant", "content": content, **({"tool_calls": calls} if calls else {})}
        if reply.error is not None:
            return JSONResponse({"error": reply.error}, status_code=reply.status)
        return JSONResponse(final)
