"""What Hearth adds over the raw ``openai`` client, against the same OpenAI-compatible server, in one run.

    python bench/openai_overhead.py [--runs 7] [--base-url URL --model ID]

Without ``--base-url`` it starts llama-cpp-python's own server (``python -m llama_cpp.server``) on
127.0.0.1 serving the packaged Qwen2.5-Coder-0.5B. The same message goes, alternating, (a) through
a whole Hearth turn with the ``openai`` backend (``Agent.ask``: history from SQLite, prompt built,
the streamed request, events, messages stored; no tools, so both sides ask the same) and (b)
straight to ``AsyncOpenAI.chat.completions.create(stream=True)`` with the same messages and
settings, read to the end. Prints the median seconds of each and the ratio (goal: under 1.05), the
CPU time this process spent per turn on each side (Hearth's own cost, which a busy machine does not
blur), and whether both sides got the same replies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

PROMPTS = ["Tell me something about bread.", "What is a good name for a cat?", "Describe a kitchen in one sentence."]
SETTINGS = {"temperature": 0.0, "max_tokens": 48, "seed": 0}


async def measure(base_url: str, model: str, runs: int) -> dict[str, float]:
    import openai

    from hearth import Agent, Storage
    from hearth.agent import DEFAULT_SYSTEM_PROMPT
    from hearth.config import load_models
    from hearth.pluginmanager import PluginManager

    home = Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    toml = home / "models.toml"
    toml.write_text(f'[roles]\nmain = "remote"\n\n[models.remote]\nbackend = "openai"\nmodel = "{model}"\n'
                    f'base_url = "{base_url}"\ntemperature = {SETTINGS["temperature"]}\n'
                    f'max_tokens = {SETTINGS["max_tokens"]}\nseed = {SETTINGS["seed"]}\n')
    _, mf = load_models(toml)
    pm = PluginManager()
    pm.load()  # HEARTH_LOAD_PLUGINS=openai: no tools, so both sides send the same plain request
    agent = Agent(models=mf, plugins=pm, storage=Storage(f"sqlite:///{home}/bench.db"))
    await agent.start()
    raw = openai.AsyncOpenAI(base_url=base_url, api_key="none", max_retries=0)
    system = agent.backend().config.system_prompt or DEFAULT_SYSTEM_PROMPT

    said: dict[str, set[str]] = {"hearth": set(), "raw": set()}

    async def hearth_once(text: str, i: int) -> tuple[float, float]:
        c0, t0 = time.process_time(), time.perf_counter()
        done = await agent.ask(text, session=f"bench-{i}", tier=3)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert done.type == "finished", done
        said["hearth"].add(done.text)
        return wall, cpu

    async def raw_once(text: str) -> tuple[float, float]:
        c0, t0 = time.process_time(), time.perf_counter()
        stream = await raw.chat.completions.create(model=model, stream=True, messages=[
            {"role": "system", "content": system}, {"role": "user", "content": text}], **SETTINGS)
        reply = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        said["raw"].add(reply)
        return time.perf_counter() - t0, time.process_time() - c0

    await hearth_once(PROMPTS[0], -1)  # warm both paths and the server's prompt cache
    await raw_once(PROMPTS[0])
    hearth_t: list[tuple[float, float]] = []
    raw_t: list[tuple[float, float]] = []
    for i in range(runs):
        text = PROMPTS[i % len(PROMPTS)]
        if i % 2:  # alternate who goes first
            raw_t.append(await raw_once(text))
            hearth_t.append(await hearth_once(text, i))
        else:
            hearth_t.append(await hearth_once(text, i))
            raw_t.append(await raw_once(text))
    await raw.close()
    await agent.stop()
    same = said["hearth"] == said["raw"]
    h, r = statistics.median(w for w, _ in hearth_t), statistics.median(w for w, _ in raw_t)
    hc, rc = statistics.median(c for _, c in hearth_t), statistics.median(c for _, c in raw_t)
    return {"hearth_s": h, "raw_s": r, "ratio": h / r, "overhead_ms": (h - r) * 1000, "same_text": same,
            "hearth_cpu_ms": hc * 1000, "raw_cpu_ms": rc * 1000}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--base-url")
    ap.add_argument("--model", default="qwen")
    args = ap.parse_args()
    os.environ.setdefault("HEARTH_LOAD_PLUGINS", "openai")
    server = None
    if args.base_url is None:
        from openai_servers import LlamaCppServer, packaged_gguf
        models = Path(os.environ.get("HEARTH_MODELS_DIR") or tempfile.mkdtemp(prefix="hearth-models-"))
        server = LlamaCppServer(packaged_gguf("qwen2.5-coder-0.5b", models), api_key=None, n_ctx=2048).wait_ready()
        args.base_url, args.model = server.base_url, "qwen"
    try:
        res = asyncio.run(measure(args.base_url, args.model, args.runs))
    finally:
        if server is not None:
            server.stop()
    print(f"server {args.base_url} model {args.model}, {args.runs} runs, alternating, median:")
    print(f"  hearth turn   {res['hearth_s']:.3f} s")
    print(f"  raw openai    {res['raw_s']:.3f} s")
    print(f"  ratio         {res['ratio']:.3f}  (overhead {res['overhead_ms']:+.1f} ms; goal under 1.05)")
    print(f"  client CPU    hearth {res['hearth_cpu_ms']:.1f} ms, raw {res['raw_cpu_ms']:.1f} ms per turn "
          f"(this process: what Hearth itself costs, free of the server's and the machine's noise)")
    print(f"  same replies  {res['same_text']}")


if __name__ == "__main__":
    main()
