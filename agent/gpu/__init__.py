"""GPU memory probes, model shape from the GGUF, and the layer-fit planner.

>>> from hearth.gpu import probe_memory, plan_model
>>> plan = plan_model(cfg, Path("model.gguf"))          # this machine
>>> plan.n_gpu_layers, plan.fits, plan.warnings
"""

from hearth.gpu.plan import (
                   DevicePlan,
                   Plan,
                   PlanError,
                   is_out_of_memory,
                   llama_gpu_offload,
                   oom_reason,
                   plan_model,
                   plan_shape,
                   step_down,
)
from hearth.gpu.probe import (
                   GpuDevice,
                   MemoryProbe,
                   detect_tegra,
                   manual_probe,
                   probe_cpu,
                   probe_jetson,
                   probe_memory,
                   probe_nvml,
                   read_meminfo,
                   register_probe,
)
from hearth.gpu.shape import ModelShape, ModelShapeError, read_shape

__all__ = [
    "DevicePlan", "GpuDevice", "MemoryProbe", "ModelShape", "ModelShapeError", "Plan", "PlanError", "detect_tegra",
    "is_out_of_memory", "llama_gpu_offload", "oom_reason", "manual_probe", "plan_model", "plan_shape", "probe_cpu", "probe_jetson",
    "probe_memory", "probe_nvml", "read_meminfo", "read_shape", "register_probe", "step_down",
]
