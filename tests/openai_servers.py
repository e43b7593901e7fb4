"""A real OpenAI-compatible server for tests: llama-cpp-python's own ``python -m llama_cpp.server`` (its
``[server]`` extra) on 127.0.0.1, serving a packaged GGUF, started as a subprocess of the test venv."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import free_port

API_KEY = "hearth-test-key"
QWEN_ID = "qwen"  # the server's model id (its --model_alias)


def packaged_gguf(name: str, models_dir: Path) -> Path:
    """The file of a packaged model (``package:NAME``), assembled into ``models_dir`` once."""
    old = os.environ.get("HEARTH_MODELS_DIR")
    os.environ["HEARTH_MODELS_DIR"] = str(models_dir)
    try:
        from hearth.plugins.llamacpp.model_files import resolve_model
        return resolve_model(f"package:{name}")
    finally:
        if old is None:
            os.environ.pop("HEARTH_MODELS_DIR", None)
        else:
            os.environ["HEARTH_MODELS_DIR"] = old


class LlamaCppServer:
    """``python -m llama_cpp.server`` on a free port; ``base_url`` ends in ``/v1``."""

    def __init__(self, model: Path, *, alias: str = QWEN_ID, api_key: str | None = API_KEY, n_ctx: int = 1024,
                 chat_format: str | None = "chatml-function-calling", log: Path | None = None) -> None:
        """``chat_format`` None: the GGUF's own chat template, which shows the model the tools but leaves
        its calls in the text (as vLLM without a tool-call parser does)."""
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.api_key = api_key
        args = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
                *(["--chat_format", chat_format] if chat_format else []), "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
                "--n_threads", "2", "--verbose", "False"]
        if api_key:
            args += ["--api_key", api_key]
        self.log = log
        out = log.open("wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120) -> LlamaCppServer:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.proc.returncode}: "
                                   f"{self.log.read_text()[-2000:] if self.log else ''}")
            try:
                if httpx.get(f"{self.base_url}/models", headers=headers, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"llama_cpp.server did not answer on {self.base_url} within {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
