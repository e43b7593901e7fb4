"""Device requests over two homes in one real Home Assistant 2024.3.3 (the demo home and the Hearth test home,
tests/home/home.yaml), through Hearth and through Home Assistant's own conversation agent, in one run.

    python bench/home_control.py --file bench/home/blind-1.jsonl [--venv DIR] [--url URL --token TOKEN]
                                 [--json OUT] [--only hearth|ha] [--rejudge STORED.json]

Each line of the file is a case written blind (the brief: bench/home/BRIEF.md): the speaker's room, the
turns, the devices' states before (``setup``) and what must hold after (``expect``), or the reply a request
that should change nothing gets (``reply``: a question back, or a refusal; ``answer_any``: words a spoken
answer must hold). A case is right when what it expects holds and nothing else changed. A **wrong action** is
a state the request did not ask for: a device outside ``expect`` that changed, or a device in it that changed
to something else. Every exposed device's state, main attributes and to-do items are read before and after
each case (Home Assistant's REST and websocket APIs).

The setup goes through Home Assistant: the test home's devices take ``hearth_home.arrange``, the demo's
their own services. Hearth is an in-process ``hearth.Agent`` with the homeassistant plugin and the models of
models.toml; one session per case (the speaker's room is the session's room where Hearth knows rooms).
"""

from __future__ import annotations

import argparse
import asyncio
import colorsys
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HEARTH_HOME", tempfile.mkdtemp(prefix="hearth-bench-home-"))
os.environ.setdefault("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers,homeassistant")

from homeassistant_server import HomeAssistant, make_venv  # noqa: E402

TRACKED = ("light", "fan", "cover", "valve", "vacuum", "lock", "media_player", "switch", "climate", "todo")
ATTRS = ("brightness", "hs_color", "percentage", "current_position", "volume_level", "is_volume_muted",
         "temperature", "oscillating", "media_title")
HUES = {"red": 0, "orange": 30, "yellow": 60, "green": 120, "cyan": 180, "blue": 240, "purple": 280,
        "violet": 280, "magenta": 300, "pink": 330}
SETTLE_S = 3.0  # how long a slow demo device (covers, locks) may take to reach the expected state


def cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---- the home's state -------------------------------------------------------------------------------

def snapshot(ha: HomeAssistant) -> dict[str, dict[str, Any]]:
    """Every tracked device: its state, main attributes and (for to-do lists) items."""
    out: dict[str, dict[str, Any]] = {}
    todos = []
    for s in ha.states():
        domain = s["entity_id"].split(".")[0]
        if domain not in TRACKED:
            continue
        a = s["attributes"]
        row = {"state": s["state"], **{k: a[k] for k in ATTRS if a.get(k) is not None}}
        if "hs_color" in row:
            row["hs_color"] = [round(v) for v in row["hs_color"]]
        out[s["entity_id"]] = row
        if domain == "todo":
            todos.append(s["entity_id"])
    if todos:
        lists = ha.ws(ha.token, *({"type": "todo/item/list", "entity_id": t} for t in todos))
        for t, got in zip(todos, lists, strict=True):
            out[t]["items"] = sorted((i["summary"].lower(), i["status"]) for i in got["items"])
            out[t].pop("state", None)  # the count of open items, already in the items
    return out


def arrange(ha: HomeAssistant, setup: dict[str, dict[str, Any]], own: set[str]) -> None:
    """Put the case's devices in their starting states."""
    for entity_id, want in setup.items():
        if entity_id in own:
            ha.call("hearth_home", "arrange", entity_id=entity_id, **want)
            continue
        domain, state = entity_id.split(".")[0], want.get("state")
        calls: list[tuple[str, dict[str, Any]]] = []
        if domain in ("light", "fan", "switch", "media_player", "climate") and state in ("on", "off"):
            extra = {"brightness_pct": want["brightness"]} if domain == "light" and "brightness" in want and state == "on" else {}
            calls.append((f"turn_{state}", extra))
        if domain == "fan" and "percentage" in want:
            calls.append(("set_percentage", {"percentage": want["percentage"]}))
        if domain == "light" and "brightness" in want and state is None:
            calls.append(("turn_on", {"brightness_pct": want["brightness"]}))
        if domain == "cover":
            if "position" in want:
                calls.append(("set_cover_position", {"position": want["position"]}))
            elif state in ("open", "closed"):
                calls.append(("open_cover" if state == "open" else "close_cover", {}))
        if domain == "lock" and state in ("locked", "unlocked"):
            calls.append(("lock" if state == "locked" else "unlock", {}))
        if domain == "media_player":
            if state in ("playing", "paused"):
                calls.append(("media_play" if state == "playing" else "media_pause", {}))
            if "volume" in want:
                calls.append(("volume_set", {"volume_level": want["volume"] / 100}))
            if "muted" in want:
                calls.append(("volume_mute", {"is_volume_muted": want["muted"]}))
        if domain == "vacuum" and state in ("docked", "cleaning"):
            calls.append(("return_to_base" if state == "docked" else "start", {}))
        if domain == "climate" and "temperature" in want:
            calls.append(("set_temperature", {"temperature": want["temperature"]}))
        for service, data in calls:
            try:
                ha.call(domain, service, entity_id=entity_id, **data)
            except Exception as err:  # a setup the device cannot take: said, the case still runs
                print(f"   setup {entity_id} {service}: {err}", flush=True)


# ---- judging ------------------------------------------------------------------------------------------

def _hue_ok(hs: list[int] | None, colour: str) -> bool:
    if not hs:
        return False
    colour = colour.lower().strip()
    if "white" in colour:
        return hs[1] <= 40
    hue = HUES.get(colour)
    if hue is None:
        r, g, b = {"gold": (255, 215, 0), "teal": (0, 128, 128)}.get(colour, (0, 0, 0))
        hue = round(colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)[0] * 360)
    return min(abs(hs[0] - hue), 360 - abs(hs[0] - hue)) <= 30 and hs[1] >= 30


def meets(row: dict[str, Any], want: dict[str, Any]) -> bool:
    """Whether a device's state ``row`` holds what a case expects of it."""
    for key, value in want.items():
        if key == "state":
            if str(row.get("state")) != str(value) and not (value == "docked" and row.get("state") == "returning"):
                return False
        elif key == "brightness":
            if abs(round((row.get("brightness") or 0) * 100 / 255) - value) > 2 or row.get("state") != "on":
                return False
        elif key == "color":
            if not _hue_ok(row.get("hs_color"), value):
                return False
        elif key in ("percentage", "position", "temperature"):
            got = row.get("current_position" if key == "position" else key)
            if got is None or abs(float(got) - float(value)) > 1:
                return False
        elif key == "volume":
            if abs(round((row.get("volume_level") or 0) * 100) - value) > 1:
                return False
        elif key == "muted":
            if bool(row.get("is_volume_muted")) != bool(value):
                return False
        elif key in ("items_include", "items_exclude", "items_done"):
            items = dict(row.get("items") or ())
            names = [str(v).lower() for v in value]
            if key == "items_include" and not all(items.get(n) == "needs_action" for n in names):
                return False
            if key == "items_exclude" and any(items.get(n) == "needs_action" for n in names):
                return False
            if key == "items_done" and not all(items.get(n) == "completed" for n in names):
                return False
    return True


QUESTION_WORDS = ("which", "what", "do you mean", "?")
REFUSAL_WORDS = ("can't", "cannot", "can not", "not able", "unable", "doesn't", "does not", "don't", "do not",
                 "isn't", "no device", "not aware", "not support", "sorry", "couldn't", "could not")


# a device finishing on its own what its setup began (a demo vacuum docks, a demo cover stops): no action
SETTLING = {("returning", "docked"), ("opening", "open"), ("closing", "closed"), ("locking", "locked"),
            ("unlocking", "unlocked"), ("opening", "closed"), ("closing", "open")}


def _wrong(entity: dict[str, Any] | None, was: dict[str, Any] | None, want: dict[str, Any] | None) -> bool:
    """Whether a device's change is one the request did not ask for: any change of a device it is not
    about (but a device settling by itself), or, of one it is about, an asked-for key moved away from what
    was asked (fully open for halfway; progress toward it, such as on without the colour or 50 on the
    way to 70 when the follow-up was missed, is a miss)."""
    entity, was = entity or {}, was or {}
    if want is None:
        return (was.get("state"), entity.get("state")) not in SETTLING or \
            {k: v for k, v in entity.items() if k != "state"} != {k: v for k, v in was.items() if k != "state"}
    keys = {"brightness": ["brightness"], "color": ["hs_color"], "percentage": ["percentage"], "position": ["current_position"],
            "volume": ["volume_level"], "muted": ["is_volume_muted"], "items_include": ["items"], "items_exclude": ["items"],
            "items_done": ["items"]}
    for key, value in want.items():
        read = keys.get(key, [key])
        if not any(entity.get(k) != was.get(k) for k in read) or meets(entity, {key: value}):
            continue
        before, after = was.get(read[0]), entity.get(read[0])
        if before is None and key != "state":
            continue  # came with turning it on (a brightness, a colour): the rest of the request is a miss
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(after, (int, float)):
            scale = 255 / 100 if key == "brightness" else 1 / 100 if key == "volume" else 1
            if abs(after - value * scale) < abs(float(before) - value * scale):
                continue  # toward the target (a first turn done, the follow-up missed): a miss, not wrong
        return True
    return False


def judge(case: dict[str, Any], before: dict[str, Any], after: dict[str, Any], reply: str) -> dict[str, Any]:
    expect = case.get("expect") or {}
    changed = {e for e in after if after[e] != before.get(e)}
    wrong = sorted(e for e in changed if _wrong(after.get(e), before.get(e), expect.get(e)))
    problems = [f"{e}: {after.get(e)} (wanted {w})" for e, w in expect.items() if not meets(after.get(e, {}), w)]
    text = reply.lower()
    if case.get("answer_any") and not any(str(w).lower() in text for w in case["answer_any"]):
        problems.append(f"the answer has none of {case['answer_any']}")
    if case.get("reply") == "question" and not any(w in text for w in QUESTION_WORDS):
        problems.append("no question back")
    if case.get("reply") == "refusal" and not any(w in text for w in REFUSAL_WORDS + QUESTION_WORDS):
        problems.append("no refusal")
    problems += [f"changed {e}: {before.get(e)} -> {after.get(e)}" for e in wrong]
    return {"right": not problems, "wrong": wrong, "problems": problems}


# ---- the agents ------------------------------------------------------------------------------------------

async def hearth_turns(agent: Any, case: dict[str, Any], session: str) -> tuple[str, list[int]]:
    from hearth.events import Routed, TurnFailed, TurnFinished
    replies, tiers = [], []
    room = case.get("room")
    if room and hasattr(agent, "set_room"):
        agent.set_room(session, room)
    for turn in case["turns"]:
        reply = ""
        async for ev in agent.turn(turn["say"], session=session):
            if isinstance(ev, Routed):
                tiers.append(ev.tier)
            elif isinstance(ev, TurnFinished):
                reply = ev.text
            elif isinstance(ev, TurnFailed):
                reply = ev.message
        replies.append(reply)
    return " | ".join(replies), tiers


def ha_turns(ha: HomeAssistant, case: dict[str, Any]) -> str:
    replies, conversation = [], None
    for turn in case["turns"]:
        import httpx
        body: dict[str, Any] = {"text": turn["say"], "language": "en"}
        if conversation:
            body["conversation_id"] = conversation
        r = httpx.post(f"{ha.url}/api/conversation/process", json=body, timeout=60,
                       headers={"Authorization": f"Bearer {ha.token}"})
        r.raise_for_status()
        out = r.json()
        conversation = out.get("conversation_id")
        replies.append(((out["response"].get("speech") or {}).get("plain") or {}).get("speech", ""))
    return " | ".join(replies)


def settled(ha: HomeAssistant, case: dict[str, Any], wait: float = SETTLE_S) -> dict[str, Any]:
    """The home once what ``case`` expects holds, or after ``wait`` seconds (slow demo devices: covers
    move, locks take two seconds); also how a case's setup is waited for before the first turn."""
    deadline = time.time() + wait
    while True:
        time.sleep(0.25)
        after = snapshot(ha)
        expect = case.get("expect") or {}
        if all(meets(after.get(e, {}), w) for e, w in expect.items()) or time.time() > deadline:
            return after


def still(ha: HomeAssistant, wait: float = 8.0) -> dict[str, Any]:
    """The home once nothing in it moves any more (two readings half a second apart agree; demo covers
    and vacuums finish what an earlier case began), or after ``wait`` seconds."""
    deadline, last = time.time() + wait, snapshot(ha)
    while time.time() < deadline:
        time.sleep(0.5)
        now = snapshot(ha)
        if now == last:
            return now
        last = now
    return last


async def run(ha: HomeAssistant, path: Path, only: str | None) -> list[dict[str, Any]]:
    from hearth import Agent
    os.environ["HASS_URL"], os.environ["HASS_TOKEN"] = ha.url, ha.token
    own = {d["id"] for d in (getattr(ha, "home", None) or __import__("homeassistant_server").own_home_spec())["devices"]}
    agent = Agent()
    await agent.start(load_model=False)
    results = []
    try:
        for i, case in enumerate(cases(path)):
            row: dict[str, Any] = {"id": case["id"], "kind": case.get("kind"), "room": case.get("room"),
                                   "say": [t["say"] for t in case["turns"]]}
            for who in ("hearth", "ha"):
                if only and who != only:
                    continue
                await asyncio.to_thread(arrange, ha, case.get("setup") or {}, own)
                await asyncio.to_thread(settled, ha, {"expect": case.get("setup") or {}}, 6.0)
                before = await asyncio.to_thread(still, ha)
                if who == "hearth":
                    reply, tiers = await hearth_turns(agent, case, f"home-{i}")
                    row["tiers"] = tiers
                else:
                    reply = await asyncio.to_thread(ha_turns, ha, case)
                after = await asyncio.to_thread(settled, ha, case)
                row[who] = {"reply": reply, **judge(case, before, after, reply)}
            results.append(row)
            marks = " ".join(("ok" if row[w]["right"] else ("WRONG" if row[w]["wrong"] else "--")) + f"({w})"
                             for w in ("hearth", "ha") if w in row)
            print(f"{marks:24} {case['id']:6} {row['say']!r}: {row.get('hearth', {}).get('reply', '')!r} | "
                  f"HA: {row.get('ha', {}).get('reply', '')!r}", flush=True)
    finally:
        await agent.stop()
    return results


def report(results: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(results)
    out: dict[str, Any] = {"total": n}
    print(f"\n{'':10} {'right':>12} {'wrong actions':>14}")
    for who, label in (("hearth", "Hearth"), ("ha", "HA's agent")):
        rows = [r[who] for r in results if who in r]
        if not rows:
            continue
        right, wrong = sum(r["right"] for r in rows), sum(bool(r["wrong"]) for r in rows)
        out[who] = {"right": right, "wrong_actions": wrong}
        print(f"{label:10} {right:>5}/{len(rows)} {right / len(rows):>5.0%} {wrong:>14}")
    kinds = Counter(r["kind"] for r in results)
    print(f"\n{'kind':18} {'n':>3} {'Hearth':>7} {'HA':>5}")
    for kind, count in kinds.most_common():
        rows = [r for r in results if r["kind"] == kind]
        h = sum(r["hearth"]["right"] for r in rows if "hearth" in r)
        a = sum(r["ha"]["right"] for r in rows if "ha" in r)
        print(f"{kind:18} {count:>3} {h:>7} {a:>5}")
    out["kinds"] = {k: {"total": c, "hearth": sum(r["hearth"]["right"] for r in results if r["kind"] == k and "hearth" in r)}
                    for k, c in kinds.items()}
    return out


def rejudge(path: Path, results: Path) -> None:
    """Count the wrong actions of a stored run (``--json``) again with today's judge, from the changes it
    recorded: how a run made before a fix of the judge compares."""
    import ast
    expects = {c["id"]: c.get("expect") or {} for c in cases(path)}
    stored = json.loads(results.read_text())
    for who in ("hearth", "ha"):
        rows = [c for c in stored["cases"] if who in c]
        wrong = 0
        for c in rows:
            for p in c[who]["problems"]:
                if p.startswith("changed "):
                    entity, change = p[len("changed "):].split(": ", 1)
                    was, now = (ast.literal_eval(x) for x in change.split(" -> ", 1))
                    if _wrong(now, was, expects[c["id"]].get(entity)):
                        wrong += 1
                        break
        if rows:
            print(f"{who}: {sum(c[who]['right'] for c in rows)}/{len(rows)} right, {wrong} with a wrong action")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--file", type=Path, required=True, help="a JSONL set of cases (bench/home/*.jsonl)")
    p.add_argument("--venv", type=Path, help="Home Assistant's virtual environment (made there if missing)")
    p.add_argument("--url", help="a Home Assistant started by tests/homeassistant_server.py --own-home")
    p.add_argument("--token")
    p.add_argument("--only", choices=("hearth", "ha"), help="run one agent")
    p.add_argument("--json", type=Path, help="write the summary and every case's outcome here")
    p.add_argument("--rejudge", type=Path, help="count a stored --json run's wrong actions again; runs nothing")
    args = p.parse_args()
    if args.rejudge:
        rejudge(args.file, args.rejudge)
        return
    if args.url:
        ha = HomeAssistant.attach(args.url, args.token)
    else:
        venv = args.venv or Path(tempfile.mkdtemp(prefix="ha-venv-"))
        print(f"Home Assistant's virtual environment: {venv} (made if missing; minutes)", flush=True)
        ha = HomeAssistant(make_venv(venv), Path(tempfile.mkdtemp(prefix="ha-config-")), own_home=True).start()
    try:
        results = asyncio.run(run(ha, args.file, args.only))
    finally:
        ha.stop()
    summary = report(results)
    if args.json:
        args.json.write_text(json.dumps({**summary, "cases": results}, indent=1))


if __name__ == "__main__":
    main()
