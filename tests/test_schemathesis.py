"""Schemathesis (all checks) against a real ``hearth serve`` on 127.0.0.1: every answer is documented by
the OpenAPI description and none is a server error. The model behind ``/api/chat`` is the Ollama
stand-in of tests/ollama_server.py (answers in milliseconds, so hundreds of turns fit in CI); the
rate limit is raised so the run is not all 429s. ``HEARTH_SCHEMATHESIS_EXAMPLES`` sets the examples per
operation (default 300: over 500 requests in all; the README records a longer run)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import IN_CI
from ollama_server import FakeModel, OllamaServer, Reply
from test_server import Server

ST = shutil.which("schemathesis", path=str(Path(os.sys.executable).parent))
MODEL = "qwen2.5:0.5b"


@pytest.mark.skipif(ST is None and not IN_CI, reason="schemathesis is in the test extra")
def test_schemathesis_finds_no_server_error_and_no_schema_violation(home, monkeypatch, tmp_path):
    assert ST, "schemathesis is missing: it is in the test extra"
    examples = int(os.environ.get("HEARTH_SCHEMATHESIS_EXAMPLES", "300"))
    with OllamaServer([FakeModel(MODEL)]) as ollama:
        ollama.script(*(Reply.text(MODEL, "Sure", ", gladly.") for _ in range(examples * 20)))
        monkeypatch.setenv("OLLAMA_HOST", ollama.host)
        monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "ollama,shopping_list,timers")
        models = tmp_path / "models.toml"
        models.write_text(f'[roles]\nmain = "qwen"\n\n[models.qwen]\nbackend = "ollama"\nmodel = "{MODEL}"\n'
                          'tool_calling = "native"\nkeep_alive = "5m"\n')
        server = Server(home, "--models", str(models), "--rate", "10000", "--burst", "10000").start()
        try:
            report = tmp_path / "st.json"
            r = subprocess.run([ST, "run", server.url + "/openapi.json", "--checks", "all", "-n", str(examples),
                                "--workers", "1", "--seed", "15", "--request-timeout", "30",
                                "--report", "json", "--report-json-path", str(report)],
                               capture_output=True, text=True, timeout=float(os.environ.get("HEARTH_SCHEMATHESIS_TIMEOUT", "170")), cwd=tmp_path)
        finally:
            server.stop()
    summary = r.stdout[r.stdout.rfind("SUMMARY"):] if "SUMMARY" in r.stdout else r.stdout[-3000:]
    print(summary)
    generated = re.search(r"(\d+) generated", r.stdout)
    assert generated and int(generated.group(1)) >= 500, summary
    assert r.returncode == 0, r.stdout[-6000:]
    if report.exists():
        json.loads(report.read_text())  # the run's report is kept for a look after a failure
