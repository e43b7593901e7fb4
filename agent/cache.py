"""Process-wide objects shared across agents on purpose: loaded weights and other things made once.

Plugin state belongs to one agent (a plugin class's instance, or ``agent.state(cls)``). A few things
are the exception by design: a speech model's weights are hundreds of megabytes, and two agents in
one process (a server with a Wyoming face, a test) should not load them twice on a small board such
as a Jetson. :func:`shared` is the one place such objects live:

>>> from hearth.kit import shared
>>> model, lock = shared(("faster-whisper", folder, "cpu"), lambda: WhisperModel(folder))
>>> with lock:
...     model.transcribe(audio)

Each key is loaded once, even when several threads ask at the same time (one lock per key while it
loads, so a slow load of one model does not hold up another). Each value comes with a lock of its own
for callers whose value is not safe to use from two threads at once. A load that raises stores
nothing; the next call tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["forget", "shared"]


class _Shared:
    """The store behind :func:`shared`: values by key, a lock per value and a lock per loading key."""

    def __init__(self) -> None:
        self.values: dict[Hashable, tuple[Any, threading.Lock]] = {}
        self.loading: dict[Hashable, threading.Lock] = {}
        self.guard = threading.Lock()  # held only to look up or insert, never while loading

    def get(self, key: Hashable, load: Callable[[], T]) -> tuple[T, threading.Lock]:
        with self.guard:
            found = self.values.get(key)
            if found is not None:
                return found
            loading = self.loading.setdefault(key, threading.Lock())
        with loading:  # one load per key; other keys load meanwhile
            with self.guard:
                found = self.values.get(key)
            if found is not None:
                return found
            value = load()
            entry = (value, threading.Lock())
            with self.guard:
                self.values[key] = entry
                self.loading.pop(key, None)
            return entry

    def forget(self, key: Hashable) -> bool:
        with self.guard:
            return self.values.pop(key, None) is not None


_STORE = _Shared()


def shared(key: Hashable, load: Callable[[], T]) -> tuple[T, threading.Lock]:
    """The process's one value for ``key`` and its lock, made by ``load()`` on first use.

    ``key`` names the value completely (the engine, the file, the device, the precision: whatever
    makes two loads differ), e.g. ``("piper", "/voices/joe.onnx", False)``. ``load`` runs at most once
    per key at a time, in the calling thread; what it raises reaches the caller and nothing is kept.
    """
    return _STORE.get(key, load)


def forget(key: Hashable) -> bool:
    """Drop the value for ``key`` (a test, or an engine that unloads); whether there was one. Agents
    that already hold the value keep it; the next :func:`shared` call loads it again."""
    return _STORE.forget(key)
