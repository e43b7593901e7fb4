"""GPU memory probes, model shape from the GGUF, and the layer-fit planner."""
