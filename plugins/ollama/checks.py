"""``hearth doctor`` for the Ollama backend: each server reachable, each model pulled, loaded, and how much
of it sits in GPU memory (from ``/api/ps``), with what to try when it runs on the CPU."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from hearth import Check, HearthError, hookimpl
from hearth.kit import MemoryProbe, ModelsFile, is_loopback, probe_memory

from .backend import OllamaBackend

GiB = 1 << 30
Status = Literal["ok", "warn", "fail"]
LOOKUP_TIMEOUT = 10.0  # seconds for each of doctor's own questions to an Ollama server


def _gib(n: int | float) -> str:
    return f"{n / GiB:.1f} GiB"


@hookimpl
async def doctor_checks(models: ModelsFile, load: bool) -> list[Check]:
    """The Ollama servers and models that models.toml uses."""
    if not any(m.backend == "ollama" for m in models.models.values()):
        return []
    try:
        probe: MemoryProbe | None = probe_memory()
    except Exception:  # the core's gpu line says what went wrong; check the servers without it
        probe = None
    return await ollama_checks(models, probe, load)


def _jetpack(probe: Any) -> str | None:
    """JetPack's major version from the L4T release the Jetson probe read (R35: 5, R36: 6)."""
    m = re.search(r"L4T (\d+)\.", getattr(probe, "note", "") or "")
    return {"34": "5", "35": "5", "36": "6"}.get(m.group(1)) if m else None


def _no_gpu_advice(jetson: bool, jetpack: str | None = None) -> str:
    common = ("check the `ollama serve` log for the GPU it found ('inference compute') or why not ('no compatible "
              "GPUs', 'cudaSetDevice err'); restart it (`sudo systemctl restart ollama`) after a driver or JetPack "
              "update; and check this model's num_gpu in models.toml (0 forces the CPU)")
    if jetson:
        jp = f"JETSON_JETPACK={jetpack}" if jetpack else "JETSON_JETPACK=5 or 6 (your JetPack)"
        lib = f"OLLAMA_LLM_LIBRARY=cuda_jetpack{jetpack}" if jetpack else "OLLAMA_LLM_LIBRARY=cuda_jetpack5 or 6"
        return ("Ollama is running it on the CPU although this Jetson's GPU is visible, the classic Jetson failure: "
                "install Ollama with its install script, which adds the JetPack libraries; in Docker, where Ollama "
                f"cannot find the JetPack version itself, pass {jp} to the container (or set {lib} for "
                "`ollama serve`); " + common)
    return "Ollama is running it on the CPU although a GPU is visible: " + common


async def ollama_checks(mf: ModelsFile, probe: MemoryProbe | None, load: bool) -> list[Check]:
    """The Ollama server(s) and models: reachable, pulled, loaded, share of the model in GPU memory."""
    names = [n for n, m in mf.models.items() if m.backend == "ollama"]
    if not names:
        return []
    import ollama  # the ollama extra: imported only when a model uses Ollama
    backends = {n: OllamaBackend(n, mf.models[n]) for n in names}
    out: list[Check] = []
    by_host: dict[str, list[str]] = {}
    for n, b in backends.items():
        by_host.setdefault(b.host, []).append(n)
    gpu_here = bool(probe and probe.devices)
    jetson = bool(probe and probe.source == "jetson")
    jetpack = _jetpack(probe) if jetson else None
    try:
        for host, models in by_host.items():
            client = ollama.AsyncClient(host=host, timeout=httpx.Timeout(LOOKUP_TIMEOUT))
            try:
                tags = await client.list()
            except (ConnectionError, httpx.HTTPError, ollama.ResponseError):
                out.append(Check("fail", "ollama", f"cannot reach the Ollama server at {host}; "
                                 f"start it with `ollama serve`, or set OLLAMA_HOST to "
                                 f"where it runs (used by: {', '.join(models)})", {"host": host}))
                continue
            pulled = {t.model for t in tags.models if t.model}
            out.append(Check("ok", "ollama", f"Ollama at {host} answers; {len(pulled)} model(s) pulled",
                             {"host": host, "pulled": sorted(pulled)}))
            for n in models:
                out.append(await _ollama_model(n, backends[n], client, pulled, host, gpu_here, jetson, jetpack, load))
            await client.close()
    finally:
        for b in backends.values():
            await b.close()
    return out


async def _ollama_model(name: str, backend: OllamaBackend, client: Any, pulled: set[str], host: str, gpu_here: bool,
                        jetson: bool, jetpack: str | None, load: bool) -> Check:
    cfg = backend.config
    tag = cfg.model
    label = f"model {name}"
    details: dict[str, Any] = {"model": tag, "host": host, "num_gpu": cfg.num_gpu, "n_ctx": cfg.n_ctx}
    if tag not in pulled and f"{tag}:latest" not in pulled:
        return Check("fail", label, f"{tag} is not pulled on {host}: run `ollama pull {tag}`", details)
    notes: list[str] = []
    status: Status = "ok"
    try:
        show = await client.show(tag)
        details["capabilities"] = show.capabilities
        if cfg.tool_calling == "native" and show.capabilities is not None and "tools" not in show.capabilities:
            status = "warn"
            notes.append(f"{tag} has no native tool calls ({', '.join(show.capabilities)}): set "
                         f'tool_calling = "inject" in [models.{name}]')
    except Exception as err:  # the capabilities are a nicety; the rest still says where the model is
        notes.append(f"/api/show failed: {err}")
    if load:
        try:
            await backend.load()
        except HearthError as err:
            return Check("fail", label, f"loading {tag} failed: {err}", details)
    ps = await client.ps()
    running = next((m for m in ps.models if m.model in (tag, f"{tag}:latest") or m.name in (tag, f"{tag}:latest")), None)
    if running is None:
        where = "pulled, not loaded now: run `hearth doctor --load` to load it and see how much sits in GPU memory"
        return Check(status, label, "; ".join([where, *notes]), details)
    size, vram = int(running.size or 0), int(running.size_vram or 0)  # older servers omit size_vram when 0
    share = vram / size if size else 0.0
    details.update({"size": size, "size_vram": vram, "gpu_share": round(share, 4),
                    "context_length": running.context_length})
    pct = f"{share:.0%}"
    if cfg.num_gpu == 0:
        msg = f"loaded, {pct} in GPU memory of {_gib(size)}: on the CPU as configured (num_gpu = 0)"
    elif share >= 0.999:
        msg = f"loaded, 100% in GPU memory ({_gib(vram)})"
    elif share > 0:
        status = "warn"
        msg = (f"loaded, only {pct} in GPU memory ({_gib(vram)} of {_gib(size)}): the rest runs on the CPU, "
               f"slowly; lower n_ctx (now {cfg.n_ctx}), pick a smaller quantization, or free GPU memory")
    elif not is_loopback(urlsplit(host).hostname or ""):
        status = "warn"
        msg = (f"loaded, 0% in GPU memory on {host} ({_gib(size)} in system memory); if that machine has a GPU, "
               + _no_gpu_advice(False).split(": ", 1)[1])
    elif gpu_here:
        status = "fail"
        msg = f"loaded, 0% in GPU memory ({_gib(size)} in system memory): " + _no_gpu_advice(jetson, jetpack)
    else:
        msg = f"loaded, on the CPU ({_gib(size)}; no GPU visible here)"
    return Check(status, label, "; ".join([msg, *notes]), details)
