"""The loaded models: pre-warm in the background, keep alive while used, unload when idle.

A model loads on its first use or when ``prewarm`` asks for it; after each use it stays loaded for
its ``keep_alive`` (``models.toml``: ``"5m"``, ``"30s"``, ``0`` unloads right after the turn, ``-1``
keeps it forever) and unloads when that much idle time has passed; the next turn that needs it
loads it again. ``status()`` says which models are ready (``/healthz``, ``hearth doctor``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from hearth.backends import Backend, Progress, settings_models
from hearth.config import BackendSettings, ModelsFile, bind_backend_settings
from hearth.errors import ConfigError, HearthError

log = logging.getLogger(__name__)


@dataclass
class _Slot:
    backend: Backend
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)
    loading: asyncio.Task | None = None
    unload_timer: asyncio.TimerHandle | None = None
    error: str | None = None
    loads: int = 0


class ModelPool:
    """One backend object per configured model, created on first use and loaded on demand."""

    def __init__(self, models: ModelsFile, factories: dict[str, Callable[..., Backend]], models_path: Any = "models.toml",
                 settings: BackendSettings | None = None,
                 on_loaded: Callable[[str, Backend], Awaitable[None]] | None = None) -> None:
        """``settings``: each backend's settings model (default: the factories' ``settings``
        attributes). Every table whose backend is registered has its backend-owned keys validated
        now (ConfigError naming file, table and key); one whose backend is missing fails on use.
        ``on_loaded(name, backend)`` is awaited after each load (the agent fills the backend's caches
        with its prompt and tools)."""
        bind_backend_settings(models, settings if settings is not None else settings_models(factories), models_path,
                              unknown_backend_ok=True)
        self.models = models
        self.factories = factories
        self.models_path = models_path
        self.progress: Progress | None = None
        self.on_loaded = on_loaded
        self._slots: dict[str, _Slot] = {}

    def backend(self, name: str) -> Backend:
        """The backend object of model ``name`` (created once; not loaded by this call)."""
        slot = self._slots.get(name)
        if slot is None:
            cfg = self.models.models[name]
            factory = self.factories.get(cfg.backend)
            if factory is None:
                known = ", ".join(sorted(self.factories)) or "none loaded"
                raise ConfigError(
                    f"{self.models_path}: [models.{name}] backend {cfg.backend!r} is not available "
                    f"(backends: {known}); install its plugin or check HEARTH_LOAD_PLUGINS",
                    "backend_missing",
                )
            slot = self._slots[name] = _Slot(factory(name, cfg))
        return slot.backend

    # ---- loading -------------------------------------------------------------------------------------

    async def load(self, name: str, progress: Progress | None = None) -> Backend:
        """Load model ``name`` if it is not loaded; a load already under way is joined, not repeated."""
        backend = self.backend(name)
        slot = self._slots[name]
        if backend.loaded:
            return backend
        if slot.loading is None or slot.loading.done():
            slot.loading = asyncio.create_task(self._load(name, progress or self.progress))
        await asyncio.shield(slot.loading)
        return backend

    async def _load(self, name: str, progress: Progress | None) -> None:
        slot = self._slots[name]
        slot.error = None
        try:
            await slot.backend.load(progress)
        except Exception as err:
            slot.error = str(err)
            raise
        slot.loads += 1
        if self.on_loaded is not None:
            try:
                await self.on_loaded(name, slot.backend)
            except Exception:  # a cold cache is slower, not broken
                log.exception("preparing %s after its load failed", name)
        slot.last_used = time.monotonic()
        if slot.users == 0:
            self._schedule_unload(name)

    def prewarm(self, names: list[str]) -> list[asyncio.Task]:
        """Start loading these models in the background (``status()`` says "loading" at once);
        errors are kept for ``status()``."""
        tasks = []
        for name in dict.fromkeys(names):
            backend = self.backend(name)
            slot = self._slots[name]
            if not backend.loaded and (slot.loading is None or slot.loading.done()):
                slot.loading = asyncio.create_task(self._load(name, self.progress), name=f"prewarm-{name}")

            async def one(n: str = name) -> None:
                try:
                    await self.load(n)
                except HearthError as err:
                    log.warning("pre-warm of %s failed: %s", n, err)
                except Exception:
                    log.exception("pre-warm of %s failed", n)
            tasks.append(asyncio.create_task(one()))
        return tasks

    # ---- use and keep-alive --------------------------------------------------------------------------

    @asynccontextmanager
    async def use(self, name: str) -> AsyncIterator[Backend]:
        """Hold model ``name`` loaded for the duration of the block."""
        self.backend(name)
        slot = self._slots[name]
        slot.users += 1
        if slot.unload_timer is not None:
            slot.unload_timer.cancel()
            slot.unload_timer = None
        try:
            yield await self.load(name)
        finally:
            slot.users -= 1
            slot.last_used = time.monotonic()
            if slot.users == 0:
                self._schedule_unload(name)

    def _schedule_unload(self, name: str) -> None:
        slot = self._slots[name]
        keep = self.models.models[name].keep_alive_seconds
        if slot.unload_timer is not None:
            slot.unload_timer.cancel()
            slot.unload_timer = None
        if keep < 0:
            return
        loop = asyncio.get_running_loop()
        slot.unload_timer = loop.call_later(keep, lambda: loop.create_task(self._unload_if_idle(name)))

    async def _unload_if_idle(self, name: str) -> None:
        slot = self._slots.get(name)
        if slot is None or slot.users or not slot.backend.loaded:
            return
        slot.unload_timer = None
        log.info("unloading %s after %.0f s idle (keep_alive)", name, time.monotonic() - slot.last_used)
        await slot.backend.close()

    # ---- status and shutdown -------------------------------------------------------------------------

    def status(self) -> dict[str, dict[str, Any]]:
        """Per configured model: ``state`` (unloaded | loading | ready | failed), roles, error."""
        roles: dict[str, list[str]] = {}
        for role, name in self.models.roles.model_dump().items():
            if name:
                roles.setdefault(name, []).append(role)
        out = {}
        for name in self.models.models:
            slot = self._slots.get(name)
            if slot is None:
                state = "unloaded"
            elif slot.backend.loaded:
                state = "ready"
            elif slot.loading is not None and not slot.loading.done():
                state = "loading"
            elif slot.error:
                state = "failed"
            else:
                state = "unloaded"
            entry: dict[str, Any] = {"state": state, "roles": roles.get(name, []),
                                     "keep_alive": self.models.models[name].keep_alive}
            if slot is not None:
                entry["loads"] = slot.loads
                if slot.error and state == "failed":
                    entry["error"] = slot.error
            out[name] = entry
        return out

    async def close(self) -> None:
        for slot in self._slots.values():
            if slot.unload_timer is not None:
                slot.unload_timer.cancel()
            if slot.loading is not None and not slot.loading.done():
                try:
                    await slot.loading
                except Exception:
                    pass
            await slot.backend.close()
        self._slots.clear()
