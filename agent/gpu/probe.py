"""How much memory the GPU can take: NVML on desktop NVIDIA GPUs, ``/proc/meminfo`` on Jetson
(unified memory, where NVML reports none), nothing on CPU-only machines.

Each probe is a plain function returning a :class:`MemoryProbe`, or ``None`` when its source does
not apply to this machine. :func:`probe_memory` asks them in order (``PROBES``); a plugin can put its
own first with :func:`register_probe` (an AMD or Apple probe, a remote machine's figures).
Paths are parameters, so tests point them at captured files.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

MiB = 1 << 20


@dataclass(frozen=True)
class GpuDevice:
    """One GPU as llama.cpp will number it (after ``CUDA_VISIBLE_DEVICES``)."""

    index: int
    name: str
    total_bytes: int
    free_bytes: int
    uuid: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MemoryProbe:
    """What a probe found.

    ``source``: ``"nvml"`` (desktop NVIDIA), ``"jetson"`` (unified memory from /proc/meminfo),
    ``"cpu"`` (no usable GPU) or ``"manual"`` (figures given by hand, ``hearth fit --vram``).
    ``note``: one sentence for people (why there is no GPU, which Jetson, ...).
    """

    source: Literal["nvml", "jetson", "cpu", "manual"] | str
    devices: list[GpuDevice] = field(default_factory=list)
    note: str = ""
    host_total_bytes: int | None = None
    host_available_bytes: int | None = None

    @property
    def unified(self) -> bool:
        """The GPU shares the host's RAM (Jetson): CPU-side buffers count against the same pool."""
        return self.source == "jetson"

    def to_dict(self) -> dict:
        return {"source": self.source, "devices": [d.to_dict() for d in self.devices], "note": self.note,
                "host_total_bytes": self.host_total_bytes, "host_available_bytes": self.host_available_bytes}


# ---------------------------------------------------------------------------------------------------
# /proc/meminfo (host RAM; the GPU's pool on Jetson)
# ---------------------------------------------------------------------------------------------------

_MEMINFO_LINE = re.compile(r"^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$")


def read_meminfo(path: str | Path = "/proc/meminfo") -> dict[str, int]:
    """``/proc/meminfo`` as bytes per key (``MemTotal``, ``MemAvailable``, ...); other lines are ignored."""
    out: dict[str, int] = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        m = _MEMINFO_LINE.match(line.strip())
        if m:
            value = int(m.group(2))
            out[m.group(1)] = value * 1024 if line.rstrip().endswith("kB") else value
    return out


def _host_memory(meminfo: str | Path) -> tuple[int | None, int | None]:
    try:
        info = read_meminfo(meminfo)
    except OSError:
        return None, None
    total = info.get("MemTotal")
    # MemAvailable exists since Linux 3.14; before that, free + page cache is the usual estimate
    avail = info.get("MemAvailable", (info.get("MemFree", 0) + info.get("Cached", 0)) or None)
    return total, avail


# ---------------------------------------------------------------------------------------------------
# Jetson (Tegra): unified memory
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TegraInfo:
    model: str | None  # /proc/device-tree/model, e.g. "NVIDIA Jetson AGX Orin Developer Kit"
    compatible: list[str]  # /proc/device-tree/compatible entries, e.g. ["nvidia,p3768-0000+p3767-0003", ...]
    l4t: str | None  # from /etc/nv_tegra_release, e.g. "36.3.0"


_RELEASE = re.compile(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)")


def parse_nv_tegra_release(text: str) -> str | None:
    """The L4T version (``"36.3.0"``) from ``/etc/nv_tegra_release``'s first line."""
    m = _RELEASE.search(text)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def _read_dt(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    return raw.decode("utf-8", "replace")


def detect_tegra(root: str | Path = "/") -> TegraInfo | None:
    """A Jetson, recognised by ``/etc/nv_tegra_release`` or a device tree naming a Tegra SoC."""
    root = Path(root)
    release = None
    try:
        release = (root / "etc/nv_tegra_release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        pass
    model = _read_dt(root / "proc/device-tree/model")
    compat_raw = _read_dt(root / "proc/device-tree/compatible")
    # on the device the entries are NUL-separated; copies that lost the NULs glue them together
    compatible = [c for c in re.split(r"\x00|(?=nvidia,)", compat_raw or "") if c.strip()]
    model = model.replace("\x00", "").strip() if model else None
    tegra = release is not None or any(c.startswith("nvidia,tegra") for c in compatible) \
        or bool(model and re.search(r"\bJetson\b|\bTegra\b", model))
    if not tegra:
        return None
    return TegraInfo(model=model or None, compatible=compatible, l4t=parse_nv_tegra_release(release or ""))


def probe_jetson(root: str | Path = "/", meminfo: str | Path | None = None) -> MemoryProbe | None:
    """On a Jetson the GPU allocates from the same RAM as the CPU: what it can take is the host's
    ``MemAvailable`` (NVML reports no memory there). ``None`` on anything but a Jetson."""
    info = detect_tegra(root)
    if info is None:
        return None
    meminfo = Path(meminfo) if meminfo else Path(root) / "proc/meminfo"
    total, avail = _host_memory(meminfo)
    if total is None or avail is None:
        return MemoryProbe("cpu", [], f"Jetson ({info.model or 'unknown model'}) but {meminfo} is unreadable; "
                                     "planning for the CPU only")
    name = info.model or "Jetson (Tegra)"
    l4t = f", L4T {info.l4t}" if info.l4t else ""
    return MemoryProbe("jetson", [GpuDevice(0, name, total, avail)],
                       f"{name}{l4t}: unified memory, the GPU shares {total / MiB / 1024:.1f} GiB of RAM with the "
                       "CPU, the voice models and everything else; free = MemAvailable",
                       host_total_bytes=total, host_available_bytes=avail)


# ---------------------------------------------------------------------------------------------------
# NVML (desktop NVIDIA GPUs)
# ---------------------------------------------------------------------------------------------------


def visible_devices(env: str | None, count: int, uuids: list[str | None]) -> list[int]:
    """NVML indices in CUDA's order under ``CUDA_VISIBLE_DEVICES`` (unset: all).

    Entries are indices or (prefixes of) UUIDs; CUDA stops at the first entry it cannot match, and
    an empty value (or ``-1``) hides every GPU.
    """
    if env is None:
        return list(range(count))
    out: list[int] = []
    for entry in (e.strip() for e in env.split(",")):
        if not entry:
            break
        if re.fullmatch(r"\d+", entry):
            i = int(entry)
            if i >= count or i in out:
                break
            out.append(i)
            continue
        want = entry if entry.startswith(("GPU-", "MIG-")) else f"GPU-{entry}"
        hits = [i for i, u in enumerate(uuids) if u and u.startswith(want)]
        if len(hits) != 1 or hits[0] in out:
            break
        out.append(hits[0])
    return out


def probe_nvml(cuda_visible_devices: str | None | Literal["env"] = "env") -> MemoryProbe | None:
    """Total and free memory of each visible NVIDIA GPU through NVML (the ``nvidia-ml-py`` package).

    ``None`` when NVML is absent or unusable (no driver, a Jetson stub library), or it reports no
    memory (``NVML_ERROR_NOT_SUPPORTED``, as on Jetson): the next probe decides.
    """
    try:
        import pynvml
    except ImportError:
        return None
    env = os.environ.get("CUDA_VISIBLE_DEVICES") if cuda_visible_devices == "env" else cuda_visible_devices
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as err:
        log.debug("NVML unavailable: %s", err)
        return None
    try:
        count = pynvml.nvmlDeviceGetCount()
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        uuids: list[str | None] = []
        for h in handles:
            try:
                uuids.append(_text(pynvml.nvmlDeviceGetUUID(h)))
            except pynvml.NVMLError:
                uuids.append(None)
        order = visible_devices(env, count, uuids)
        devices = []
        for cuda_index, i in enumerate(order):
            name = _text(pynvml.nvmlDeviceGetName(handles[i]))
            try:
                mem = pynvml.nvmlDeviceGetMemoryInfo(handles[i])
            except pynvml.NVMLError as err:
                if err.value == pynvml.NVML_ERROR_NOT_SUPPORTED:
                    log.debug("NVML reports no memory for %s (unified memory?)", name)
                    return None
                raise
            if not mem.total:  # some integrated GPUs answer 0/0 instead of an error
                return None
            devices.append(GpuDevice(cuda_index, name, int(mem.total), int(mem.free), uuids[i]))
    except pynvml.NVMLError as err:
        log.warning("NVML failed while probing GPUs: %s", err)
        return None
    finally:
        try:
            pynvml.nvmlShutdown()
        except pynvml.NVMLError:
            pass
    if not devices:
        hidden = f" (CUDA_VISIBLE_DEVICES={env!r} hides them)" if count and env is not None else ""
        return MemoryProbe("cpu", [], f"NVML sees {count} GPU(s) but none is usable{hidden}; everything runs on the CPU")
    names = ", ".join(f"{d.index}: {d.name}" for d in devices)
    return MemoryProbe("nvml", devices, f"{len(devices)} NVIDIA GPU(s) through NVML ({names})")


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------------------------------------------
# CPU only, and the probe order
# ---------------------------------------------------------------------------------------------------


def probe_cpu(meminfo: str | Path = "/proc/meminfo") -> MemoryProbe:
    """No GPU: everything runs on the CPU, from host RAM."""
    total, avail = _host_memory(meminfo)
    return MemoryProbe("cpu", [], "no GPU found (no NVIDIA driver through NVML, not a Jetson): everything runs on the CPU",
                       host_total_bytes=total, host_available_bytes=avail)


Probe = Callable[[], "MemoryProbe | None"]

# Asked in order; the first that returns a MemoryProbe wins. Jetson comes before NVML: there NVML
# either is a stub (JetPack 5) or reports no memory (JetPack 6), and /proc/meminfo is the truth.
PROBES: list[tuple[str, Probe]] = [("jetson", probe_jetson), ("nvml", probe_nvml), ("cpu", probe_cpu)]


def register_probe(name: str, probe: Probe, *, first: bool = True) -> None:
    """Add (or replace, by name) a probe; ``first`` puts it before the built-in ones."""
    PROBES[:] = [(n, p) for n, p in PROBES if n != name]
    if first:
        PROBES.insert(0, (name, probe))
    else:
        PROBES.insert(len(PROBES) - 1, (name, probe))  # before the CPU fallback


def probe_memory() -> MemoryProbe:
    """What this machine's GPU(s) can take, from the first probe that applies."""
    for name, probe in PROBES:
        try:
            result = probe()
        except Exception as err:  # a broken probe costs only itself
            log.warning("GPU memory probe %r failed: %s: %s", name, type(err).__name__, err)
            continue
        if result is not None:
            if result.host_total_bytes is None and result.source != "manual":
                total, avail = _host_memory("/proc/meminfo")
                result = MemoryProbe(result.source, result.devices, result.note, total, avail)
            return result
    return probe_cpu()


def manual_probe(vram_mib: list[float], names: list[str] | None = None) -> MemoryProbe:
    """A machine described by hand: one GPU per value, each with that many MiB free (``hearth fit --vram``)."""
    devices = [GpuDevice(i, (names[i] if names and i < len(names) else f"GPU {i}"), int(v * MiB), int(v * MiB))
               for i, v in enumerate(vram_mib)]
    return MemoryProbe("manual", devices, "planned for " + " + ".join(f"{v:g} MiB" for v in vram_mib)
                       + " of free GPU memory given by hand, not this machine's")
