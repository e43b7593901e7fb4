"""GPU memory probes against what each source really returns: pynvml's own types and errors
(no GPU here, so NVML's functions are replaced, speaking its real result structures), real
Jetson files (/etc/nv_tegra_release, the device tree, /proc/meminfo), and this CPU-only machine."""

from __future__ import annotations

from pathlib import Path

import pynvml
import pytest

from hearth.gpu import GpuDevice, MemoryProbe, probe_jetson, probe_memory, probe_nvml, read_meminfo, register_probe
from hearth.gpu import probe as probe_mod
from hearth.gpu.probe import detect_tegra, parse_nv_tegra_release, visible_devices

DATA = Path(__file__).parent / "data" / "gpu"
GiB = 1 << 30


def fixture_text(name: str) -> str:
    """A fixture without its provenance lines."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("# fixture-")) + "\n"


def after_header(text: str, header: str) -> str:
    """The line after ``header`` in a jtop raw-output dump."""
    lines = text.splitlines()
    return lines[lines.index(header) + 1]


# ---- NVML ------------------------------------------------------------------------------------------


class FakeNvml:
    """Two GPUs as NVML reports them, through pynvml's real structures and errors."""

    def __init__(self, monkeypatch, gpus: list[tuple[str, str, int, int]], memory_error: int | None = None):
        self.gpus = gpus
        self.handles = [pynvml.c_nvmlDevice_t() for _ in gpus]
        self.shutdown = 0
        monkeypatch.setattr(pynvml, "nvmlInit", lambda: None)
        monkeypatch.setattr(pynvml, "nvmlShutdown", self._shutdown)
        monkeypatch.setattr(pynvml, "nvmlDeviceGetCount", lambda: len(gpus))
        monkeypatch.setattr(pynvml, "nvmlDeviceGetHandleByIndex", lambda i: self.handles[i])
        monkeypatch.setattr(pynvml, "nvmlDeviceGetName", lambda h: self._gpu(h)[0])
        monkeypatch.setattr(pynvml, "nvmlDeviceGetUUID", lambda h: self._gpu(h)[1])

        def memory(h, version=None):
            if memory_error is not None:
                raise pynvml.NVMLError(memory_error)
            _, _, total, free = self._gpu(h)
            return pynvml.c_nvmlMemory_t(total=total, free=free, used=total - free)

        monkeypatch.setattr(pynvml, "nvmlDeviceGetMemoryInfo", memory)

    def _gpu(self, handle):
        return self.gpus[next(i for i, h in enumerate(self.handles) if h is handle)]

    def _shutdown(self):
        self.shutdown += 1


TWO_GPUS = [("NVIDIA GeForce RTX 4090", "GPU-aaaa1111-0000-0000-0000-000000000000", 24 * GiB, 22 * GiB),
            ("NVIDIA GeForce RTX 3060", "GPU-bbbb2222-0000-0000-0000-000000000000", 12 * GiB, 11 * GiB)]


def test_nvml_reports_each_gpu_total_and_free(monkeypatch):
    fake = FakeNvml(monkeypatch, TWO_GPUS)
    result = probe_nvml(cuda_visible_devices=None)
    assert result.source == "nvml"
    assert result.devices == [GpuDevice(0, "NVIDIA GeForce RTX 4090", 24 * GiB, 22 * GiB, TWO_GPUS[0][1]),
                              GpuDevice(1, "NVIDIA GeForce RTX 3060", 12 * GiB, 11 * GiB, TWO_GPUS[1][1])]
    assert fake.shutdown == 1


def test_cuda_visible_devices_reorders_and_renumbers(monkeypatch):
    FakeNvml(monkeypatch, TWO_GPUS)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    result = probe_nvml()
    assert [(d.index, d.name) for d in result.devices] == [(0, "NVIDIA GeForce RTX 3060")]


def test_cuda_visible_devices_by_uuid_prefix(monkeypatch):
    FakeNvml(monkeypatch, TWO_GPUS)
    result = probe_nvml(cuda_visible_devices="GPU-bbbb2222,GPU-aaaa1111")
    assert [(d.index, d.name) for d in result.devices] == [(0, "NVIDIA GeForce RTX 3060"), (1, "NVIDIA GeForce RTX 4090")]


def test_empty_cuda_visible_devices_hides_every_gpu(monkeypatch):
    FakeNvml(monkeypatch, TWO_GPUS)
    result = probe_nvml(cuda_visible_devices="")
    assert (result.source, result.devices) == ("cpu", [])
    assert "CUDA_VISIBLE_DEVICES" in result.note


def test_visible_devices_stops_at_the_first_unknown_entry():
    uuids = ["GPU-aaaa", "GPU-bbbb"]
    assert visible_devices("1,7,0", 2, uuids) == [1]
    assert visible_devices("-1", 2, uuids) == []
    assert visible_devices(None, 2, uuids) == [0, 1]


def test_nvml_not_supported_as_on_jetson_defers_to_the_next_probe(monkeypatch):
    # Jetson: NVML names the GPU, but memory queries raise NVML_ERROR_NOT_SUPPORTED
    assert "not supported on the Jetson platform" in fixture_text("nvml_error_not_supported_thor__cosmos_reason1_61.txt")
    FakeNvml(monkeypatch, [("Orin (nvgpu)", "GPU-cccc", 0, 0)], memory_error=pynvml.NVML_ERROR_NOT_SUPPORTED)
    assert probe_nvml(cuda_visible_devices=None) is None


def test_nvml_without_a_driver_here_is_no_probe():
    # this machine has no NVIDIA driver: the real nvmlInit raises NVMLError_LibraryNotFound
    with pytest.raises(pynvml.NVMLError):
        pynvml.nvmlInit()
    assert probe_nvml() is None


# ---- Jetson -----------------------------------------------------------------------------------------


def jetson_root(tmp_path: Path, *, release: str | None, model: str | None, compatible: str | None,
                meminfo: str) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "proc" / "device-tree").mkdir(parents=True)
    if release is not None:
        (root / "etc" / "nv_tegra_release").write_text(release, encoding="utf-8")
    if model is not None:  # NUL-terminated on the device
        (root / "proc" / "device-tree" / "model").write_bytes(model.encode() + b"\x00")
    if compatible is not None:
        (root / "proc" / "device-tree" / "compatible").write_bytes(compatible.encode())
    (root / "proc" / "meminfo").write_text(meminfo, encoding="utf-8")
    return root


def test_read_meminfo_of_a_real_orin_nano():
    info = read_meminfo(DATA / "orin_nano_8gb_jp6_full_proc_meminfo__UNATTRIBUTED.txt")
    assert (info["MemTotal"], info["MemAvailable"], info["CmaTotal"]) == (7802736 * 1024, 6245596 * 1024, 262144 * 1024)
    assert info["HugePages_Total"] == 0  # a count, not kB


def test_nv_tegra_release_versions():
    assert parse_nv_tegra_release(fixture_text("r36.3.0_agx_orin__sionna-rk.txt")) == "36.3.0"
    assert parse_nv_tegra_release(fixture_text("r35.3.1_orin_nano_8gb__jetson_stats_400.txt")) == "35.3.1"


def test_jetson_probe_uses_memavailable_of_unified_memory(tmp_path):
    dump = fixture_text("orin_nano_8gb_devkit_r35.3.1__jetson_stats_400.txt")
    model = after_header(dump, "/sys/firmware/devicetree/base/model:")
    compatible = after_header(dump, "/proc/device-tree/compatible:")
    root = jetson_root(tmp_path, release=fixture_text("r35.3.1_orin_nano_8gb__jetson_stats_400.txt"), model=model,
                       compatible=compatible, meminfo=fixture_text("orin_nano_8gb_jp6_full_proc_meminfo__UNATTRIBUTED.txt"))
    result = probe_jetson(root)
    assert result.source == "jetson"
    assert result.devices == [GpuDevice(0, "NVIDIA Orin Nano Developer Kit", 7802736 * 1024, 6245596 * 1024)]
    assert result.unified
    assert "L4T 35.3.1" in result.note and "unified memory" in result.note


def test_jetson_found_by_glued_compatible_without_release_file(tmp_path):
    dump = fixture_text("orin_nano_8gb_devkit_r35.3.1__jetson_stats_400.txt")
    root = jetson_root(tmp_path, release=None, model=None,
                       compatible=after_header(dump, "/proc/device-tree/compatible:"), meminfo="MemTotal: 100 kB\n")
    info = detect_tegra(root)
    assert info.compatible[:2] == ["nvidia,p3768-0000+p3767-0003", "nvidia,p3768-0000+p3767-0005"]
    assert "nvidia,tegra234" in info.compatible


def test_jetson_agx_orin_r39_model_name(tmp_path):
    dump = fixture_text("agx_orin_devkit_r39.2.0__jetson_stats_864.txt")
    release = after_header(dump, "Path: /etc/nv_tegra_release")
    root = jetson_root(tmp_path, release=release, model=after_header(dump, "Path: /sys/firmware/devicetree/base/model"),
                       compatible=None, meminfo=fixture_text("orin_nano_8gb_jp6_full_proc_meminfo__UNATTRIBUTED.txt"))
    info = detect_tegra(root)
    assert (info.model, info.l4t) == ("NVIDIA Jetson AGX Orin Developer Kit", "39.2.0")


def test_not_a_jetson(tmp_path):
    root = jetson_root(tmp_path, release=None, model="QEMU Virtual Machine", compatible="linux,dummy-virt",
                       meminfo="MemTotal: 100 kB\n")
    assert probe_jetson(root) is None


# ---- this machine, and probe order -------------------------------------------------------------------


def test_this_machine_has_no_gpu():
    result = probe_memory()
    assert (result.source, result.devices) == ("cpu", [])
    assert "CPU" in result.note
    assert result.host_total_bytes == read_meminfo("/proc/meminfo")["MemTotal"]


def test_a_registered_probe_goes_first(monkeypatch):
    monkeypatch.setattr(probe_mod, "PROBES", list(probe_mod.PROBES))
    mine = MemoryProbe("rocm", [GpuDevice(0, "AMD Radeon", 16 * GiB, 15 * GiB)], "from rocm-smi")
    register_probe("rocm", lambda: mine)
    assert probe_memory().devices == mine.devices
    assert [n for n, _ in probe_mod.PROBES] == ["rocm", "jetson", "nvml", "cpu"]


def test_a_broken_probe_costs_only_itself(monkeypatch):
    monkeypatch.setattr(probe_mod, "PROBES", list(probe_mod.PROBES))

    def broken():
        raise RuntimeError("boom")

    register_probe("broken", broken)
    assert probe_memory().source == "cpu"
