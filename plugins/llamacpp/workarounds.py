"""Workarounds for llama.cpp and llama-cpp-python: its log lines routed to Python logging, and its
extra CPU buffer types turned off where a virtual CPU advertises AMX it cannot run."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from hearth.kit import shared

log = logging.getLogger("hearth.plugins.llamacpp")


def quiet_llama_logs() -> None:
    """Route llama.cpp's own log lines to Python logging (warnings and errors only).

    llama.cpp has one log callback per process; it is installed once and kept alive (ctypes would free
    it otherwise) in the core's process-wide store, whichever agent loads a model first."""
    shared(("llama.cpp", "log callback"), _install_log_callback)


def _install_log_callback() -> Any:
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
        if level >= 4:  # GGML_LOG_LEVEL_ERROR
            log.error("llama.cpp: %s", text.decode("utf-8", "replace").rstrip())

    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    return callback


def _amx_advertised() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return any(line.startswith("flags") and " amx_int8" in line for line in f)
    except OSError:
        return False


_PARAMS_LOCK = threading.Lock()


@contextlib.contextmanager
def model_params(use_extra_bufts: bool) -> Iterator[None]:
    """Let ``llama_cpp.Llama`` build its model parameters with ``use_extra_bufts`` set as given
    (the class takes no keyword for it)."""
    import llama_cpp.llama_cpp as lib
    if use_extra_bufts:
        yield
        return
    with _PARAMS_LOCK:
        original = lib.llama_model_default_params

        def params():
            p = original()
            p.use_extra_bufts = False
            return p

        lib.llama_model_default_params = params
        try:
            yield
        finally:
            lib.llama_model_default_params = original


def extra_buffer_types_ok() -> bool:
    """llama.cpp's extra CPU buffer types (AMX tiles, weight repacking) are used unless the CPU
    advertises AMX: virtual machines that advertise AMX without enabling its tile state (seen on
    Firecracker guests) crash in llama.cpp's AMX matrix multiply. ``HEARTH_LLAMACPP_AMX=1`` keeps
    them on such a CPU."""
    return os.environ.get("HEARTH_LLAMACPP_AMX") == "1" or not _amx_advertised()



class LineCatcher(logging.Handler):
    """Collects llama.cpp's error lines during a load (they say whether it ran out of memory)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().removeprefix("llama.cpp:").strip()
        if text:
            self.lines.append(text)

