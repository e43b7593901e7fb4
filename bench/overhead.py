"""What Hearth adds over llama-cpp-python alone, in one run.

    python bench/overhead.py [--runs 7] [--models gemma3-270m,qwen2.5-coder-0.5b]

For each model, the same message goes (a) through a whole Hearth turn (`Agent.ask`: history from
SQLite, prompt built, generation in a worker thread streamed back to the event loop, events,
messages stored) and (b) straight to `llama_cpp.Llama.create_completion` with the exact prompt
tokens and sampling settings Hearth used. Both run on the same loaded model with the prompt cache
reset before every run, alternating, and must produce the same text. Prints the median seconds of
each and the ratio. A tool turn's own breakdown (ranking, arguments, tool) is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time

from rich.console import Console
from rich.table import Table

PROMPTS = ["Tell me something about bread.", "What is a good name for a cat?", "Describe a kitchen in one sentence."]


async def measure(model: str, runs: int) -> dict:
    from hearth import Agent
    from hearth.config import load_models
    from hearth.pluginmanager import PluginManager

    _, mf = load_models()
    pm = PluginManager()
    pm.load()
    pm.tools.remove_plugin("shopping_list")  # a plain chat turn: no tools, so both sides do the same work
    cfg = mf.models[model]
    agent = Agent(models=mf.model_copy(update={"roles": mf.roles.model_copy(update={"main": model})}), plugins=pm)
    await agent.start()
    backend = agent.backend()
    llm = backend.llm
    hearth_s, raw_s, same = [], [], True
    for i in range(runs):
        text = PROMPTS[i % len(PROMPTS)]
        session = f"bench-{model}-{i}"
        messages = [{"role": "system", "content": cfg.system_prompt or __import__("hearth.agent", fromlist=["x"]).DEFAULT_SYSTEM_PROMPT},
                    {"role": "user", "content": text}]
        tokens, stops = backend._fit(messages, [])

        llm.reset()
        t0 = time.perf_counter()
        done = await agent.ask(text, session=session)
        hearth_s.append(time.perf_counter() - t0)

        llm.reset()
        t0 = time.perf_counter()
        out = "".join(c["choices"][0]["text"] for c in llm.create_completion(
            tokens, max_tokens=cfg.max_tokens, temperature=cfg.temperature, top_k=40 if cfg.temperature else 1,
            stop=stops, stream=True, seed=cfg.seed))
        raw_s.append(time.perf_counter() - t0)
        same = same and out.strip() == done.text
    await agent.stop()
    h, r = statistics.median(hearth_s), statistics.median(raw_s)
    return {"model": model, "hearth_s": h, "raw_s": r, "ratio": h / r, "same_text": same, "runs": runs}


async def tool_turn(runs: int) -> dict:
    from hearth import Agent
    agent = Agent()
    await agent.start()
    rows = []
    for i in range(runs):
        done = await agent.ask("add bread to my shopping list", session=f"tool-{i}")
        rows.append(done.timings)
    await agent.stop()
    keys = ["rank_ms", "model_ms", "tool_add_to_shopping_list_ms", "total_ms"]
    return {k: statistics.median(r.get(k, 0.0) for r in rows) for k in keys}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--models", default="gemma3-270m,qwen2.5-coder-0.5b")
    a = ap.parse_args()
    os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-bench-"))
    con = Console()
    t = Table(title=f"Hearth turn vs llama-cpp-python alone (median of {a.runs}; {platform.machine()}, {os.cpu_count()} cores, no GPU)")
    for col in ("model", "Hearth turn s", "llama-cpp-python s", "ratio", "overhead", "same text"):
        t.add_column(col)
    for m in a.models.split(","):
        r = asyncio.run(measure(m, a.runs))
        t.add_row(m, f"{r['hearth_s']:.3f}", f"{r['raw_s']:.3f}", f"{r['ratio']:.3f}",
                  f"{(r['ratio'] - 1) * 100:+.1f}%", "yes" if r["same_text"] else "NO")
    con.print(t)
    tt = asyncio.run(tool_turn(a.runs))
    t2 = Table(title="A tool turn on the default model, 'add bread to my shopping list' (median ms)")
    for k in tt:
        t2.add_column(k)
    t2.add_row(*(f"{v:.0f}" for v in tt.values()))
    con.print(t2)


if __name__ == "__main__":
    main()
