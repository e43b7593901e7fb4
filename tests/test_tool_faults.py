"""Tools that hang cannot wedge Hearth: a timed-out call is abandoned and reported, other calls and
turns go on, and the process exits although the tool's thread still runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hearth import Agent
from hearth.storage import Storage

PLUGINS = Path(__file__).parent / "plugins"
HEARTH = str(Path(sys.executable).with_name("hearth"))


def hang_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "plugins").mkdir(parents=True)
    shutil.copy(PLUGINS / "hang.py", home / "plugins" / "hang.py")
    return home


async def test_hung_tools_do_not_starve_other_calls_or_turns(tmp_path, monkeypatch):
    home = hang_home(tmp_path)
    monkeypatch.setenv("HEARTH_HOME", str(home))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "shopping_list,hang")
    agent = Agent(storage=Storage(f"sqlite:///{tmp_path}/t.db"), entry_points=True)
    await agent.start(load_model=False)
    try:
        # more hung calls than the tool threads and the default executor's threads together
        hung = await asyncio.gather(*(agent.run_tool("hang", {}, session=f"s{i}") for i in range(24)))
        assert {(o.ok, o.error_code) for o in hung} == {(False, "tool_timeout")}
        assert "Hearth stopped waiting" in hung[0].result
        ping = await asyncio.wait_for(agent.run_tool("ping", {}), 5)
        assert (ping.ok, ping.result) == (True, "pong")
        reply = await asyncio.wait_for(agent.ask("add milk to my shopping list", session="k"), 5)
        assert reply.type == "finished" and "milk" in reply.text.lower()
        history = await asyncio.wait_for(asyncio.to_thread(agent.storage.history, "k"), 5)
        assert history[0] == {"role": "user", "content": "add milk to my shopping list"}
    finally:
        await agent.stop()


def test_hearth_tools_run_reports_the_timeout_and_exits(tmp_path):
    home = hang_home(tmp_path)
    env = {**os.environ, "HEARTH_HOME": str(home), "HEARTH_LOAD_PLUGINS": "shopping_list,hang"}
    r = subprocess.run([HEARTH, "tools", "run", "hang"], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stdout + r.stderr
    assert json.loads(r.stdout)["error"] == "tool_timeout"
