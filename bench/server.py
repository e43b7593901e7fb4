"""Server benchmark: turns per second through ``hearth serve``, and what the server adds to a turn.

    python bench/server.py [--turns 300] [--clients 1,4,16]

1. Latency: the same tier-1 turns (no model: routing, the tool's SQLite write, the stored messages
   and trace) called directly on ``Agent.ask`` in this process, then over one websocket, then as
   ``POST /api/chat``, one at a time. The server's cost is the difference of the medians.
2. Throughput: N websocket clients, each sending its turns one after another, all at once; turns
   per second over the whole run (the server's default concurrency of 4 turns at once).

The server is a real ``hearth serve`` process on 127.0.0.1 with a scratch HEARTH_HOME; the rate
limit is raised so that it does not throttle the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import connect

from hearth.cli.stats import percentile

HOME = tempfile.mkdtemp(prefix="hearth-bench-server-")
ENV = {**os.environ, "HEARTH_HOME": HOME, "HEARTH_LOAD_PLUGINS": "llamacpp,shopping_list,timers"}
os.environ.update(ENV)
HEARTH = shutil.which("hearth", path=str(Path(sys.executable).parent)) or "hearth"


def request(i: int) -> str:
    return f"add item{i} to my shopping list"


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([HEARTH, "serve", "--port", "0", "--no-prewarm", "--rate", "100000", "--burst", "100000",
                             "--queue", "1000"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    m = re.search(r"http://([\d.]+):(\d+)/", proc.stdout.readline())
    url = f"http://{m.group(1)}:{m.group(2)}"
    for _ in range(600):
        try:
            httpx.get(url + "/healthz")
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


async def direct(turns: int) -> list[float]:
    from hearth import Agent
    agent = Agent()
    await agent.start(load_model=False)
    for i in range(20):
        await agent.ask(request(10_000 + i), session="warm")
    times = []
    for i in range(turns):
        t0 = time.perf_counter()
        done = await agent.ask(request(i), session="direct")
        times.append((time.perf_counter() - t0) * 1000)
        assert done.type == "finished" and done.tier == 1, done
    await agent.stop()
    return times


async def over_ws(url: str, turns: int, offset: int) -> list[float]:
    times = []
    async with connect(url.replace("http", "ws", 1) + "/ws?session=ws-latency") as ws:
        await ws.recv()
        for i in range(turns + 20):
            t0 = time.perf_counter()
            await ws.send(json.dumps({"type": "chat", "text": request(offset + i)}))
            while json.loads(await ws.recv())["type"] not in ("finished", "failed"):
                pass
            if i >= 20:  # the first 20 warm up
                times.append((time.perf_counter() - t0) * 1000)
    return times


async def over_http(url: str, turns: int, offset: int) -> list[float]:
    times = []
    async with httpx.AsyncClient(base_url=url) as client:
        for i in range(turns + 20):
            t0 = time.perf_counter()
            r = await client.post("/api/chat", json={"message": request(offset + i)}, headers={"X-Session-ID": "http-latency"})
            assert r.status_code == 200, r.text
            if i >= 20:
                times.append((time.perf_counter() - t0) * 1000)
    return times


async def throughput(url: str, clients: int, per_client: int, offset: int) -> float:
    async def client(c: int) -> None:
        async with connect(url.replace("http", "ws", 1) + f"/ws?session=tp-{clients}-{c}") as ws:
            await ws.recv()
            for i in range(per_client):
                await ws.send(json.dumps({"type": "chat", "text": request(offset + c * per_client + i)}))
                while (f := json.loads(await ws.recv()))["type"] not in ("finished", "failed"):
                    pass
                assert f["type"] == "finished", f

    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    return clients * per_client / (time.perf_counter() - t0)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turns", type=int, default=300)
    ap.add_argument("--clients", default="1,4,16")
    args = ap.parse_args()
    console = Console()
    with console.status("direct core calls"):
        d = await direct(args.turns)
    proc, url = start_server()
    try:
        with console.status("over the websocket"):
            w = await over_ws(url, args.turns, 100_000)
        with console.status("over HTTP"):
            h = await over_http(url, args.turns, 200_000)
        rates = {}
        for n in [int(x) for x in args.clients.split(",")]:
            with console.status(f"{n} websocket clients"):
                rates[n] = await throughput(url, n, max(20, args.turns // n), 300_000 + n * 10_000)
    finally:
        proc.terminate()
        proc.wait(10)

    table = Table(title=f"Tier-1 turn latency, ms ({args.turns} turns each, one at a time)")
    for col in ("path", "p50", "p95", "max", "added (p50)", "ratio (p50)"):
        table.add_column(col, justify="left" if col == "path" else "right")
    base = statistics.median(d)
    for name, xs in (("Agent.ask (direct)", d), ("websocket /ws", w), ("HTTP POST /api/chat", h)):
        med = statistics.median(xs)
        table.add_row(name, f"{med:.2f}", f"{percentile(xs, .95):.2f}", f"{max(xs):.2f}", f"{med - base:+.2f}", f"{med / base:.2f}x")
    console.print(table)
    t2 = Table(title="Tier-1 throughput over websockets")
    t2.add_column("clients", justify="right")
    t2.add_column("turns/s", justify="right")
    for n, r in rates.items():
        t2.add_row(str(n), f"{r:.0f}")
    console.print(t2)
    shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
