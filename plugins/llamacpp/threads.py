"""How many threads llama.cpp runs on when models.toml does not say (``n_threads``).

llama-cpp-python's own default is half the logical CPUs for generation, which assumes two hardware
threads per core: on a 2-core machine without SMT (or an 8-core Jetson) it leaves half the cores
idle. Like llama.cpp's own tools, Hearth uses one thread per physical core it may run on.
"""

from __future__ import annotations

import os
from pathlib import Path


def usable_cpus() -> set[int]:
    """The CPUs this process may run on (its affinity, which a container's cpuset narrows)."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return set(range(os.cpu_count() or 1))


def physical_cores() -> int:
    """Physical cores among the usable CPUs (hyper-threads of one core count once); at least 1."""
    cpus = usable_cpus()
    cores = set()
    for cpu in cpus:
        topo = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add((topo.joinpath("physical_package_id").read_text().strip(),
                       topo.joinpath("core_id").read_text().strip()))
        except OSError:  # no topology (not Linux, or hidden): every usable CPU is a core
            return max(1, len(cpus))
    return max(1, len(cores))
