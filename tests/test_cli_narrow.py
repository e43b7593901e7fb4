"""The CLI in an 80-column terminal: tables that fit stay tables, the rest become one block per record,
and no header is ever cut; help texts show what they say."""

from __future__ import annotations

import pytest
from conftest import run_hearth

from hearth.cli.stats import percentile

NARROW = {"COLUMNS": "80", "HEARTH_LOAD_PLUGINS": "llamacpp,shopping_list,timers"}


def readable(stdout: str) -> None:
    assert "…" not in stdout  # rich cuts a header (or a one-line cell) that does not fit with "…"
    wide = [line for line in stdout.splitlines() if len(line.rstrip()) > 80]
    assert wide == []


@pytest.mark.parametrize("command, words", [
    (("models",), ["gemma3-270m", "kv_cache", "keep_alive", "reference", "package:gemma3-270m",
                   "tokens: system+tools / reply / history"]),
    (("plugins",), ["llamacpp", "version", "source", "hooks", "provides", "backend:llamacpp", "status"]),
    (("tools",), ["add_to_shopping_list", "plugin", "arguments", "description", "start_timer"]),
    (("fit", "gemma3-270m"), ["weights", "compute", "total", "CPU (host RAM)"]),
    (("fit", "gemma3-270m", "--vram", "8192"), ["layers", "weights", "overhead", "budget", "headroom", "CPU"]),
])
def test_tables_read_well_at_80_columns(home, command, words):
    r = run_hearth(*command, env=NARROW, timeout=120)
    assert r.returncode == 0, r.stderr
    readable(r.stdout)
    for word in words:
        assert word in r.stdout


def test_wide_terminals_still_get_tables(home):
    r = run_hearth("models", "--no-budget", env={**NARROW, "COLUMNS": "200"}, timeout=120)
    assert r.returncode == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if "reference" in line)
    assert [w for w in header.replace("┃", " ").split()] == ["model", "role", "backend", "num_gpu", "n_ctx", "kv_cache",
                                                             "keep_alive", "tools", "reference"]


@pytest.mark.parametrize("command, table", [("say", "speech.tts"), ("transcribe", "speech.stt"),
                                            ("listen", "speech")])
def test_voice_help_names_the_speech_tables(home, command, table):
    r = run_hearth(command, "--help", env=NARROW, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "()" not in r.stdout  # rich markup once ate "[speech.tts]" out of "engine ([speech.tts])"
    assert table in r.stdout


def test_percentiles_interpolate_between_samples():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (3.0, 4.8, 5.0)
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN
    with pytest.raises(ValueError):
        percentile(values, 0.955)
