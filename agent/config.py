"""Paths and the locked per-model settings of ``models.toml``.

``models.toml`` parses into pydantic models that forbid unknown keys; every error names the file,
the table and the key. A request may choose a role, never a model's settings.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

DEFAULT_MODELS_TOML = Path(__file__).with_name("models.toml")


def hearth_home() -> Path:
    """``$HEARTH_HOME``, else the platform's user data folder (``~/.local/share/hearth``)."""
    env = os.environ.get("HEARTH_HOME")
    home = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("hearth", appauthor=False))
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url() -> str:
    """``$HEARTH_DATABASE_URL``, else SQLite at ``$HEARTH_HOME/hearth.db``."""
    return os.environ.get("HEARTH_DATABASE_URL") or f"sqlite:///{hearth_home() / 'hearth.db'}"


def is_loopback(host: str) -> bool:
    """Whether a host name or address (``[::1]`` too) is this machine's loopback."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def models_toml_path(explicit: str | Path | None = None) -> Path:
    """Which models.toml is in force: the explicit path, ``$HEARTH_MODELS``,
    ``$HEARTH_HOME/models.toml``, or the one shipped with Hearth."""
    if explicit:
        return Path(explicit).expanduser()
    if env := os.environ.get("HEARTH_MODELS"):
        return Path(env).expanduser()
    user = hearth_home() / "models.toml"
    return user if user.exists() else DEFAULT_MODELS_TOML


_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_duration(value: str | int | float) -> float:
    """Seconds from ``"5m"``, ``"30s"``, ``"1h"``, ``300`` or ``-1`` (forever, returned as -1)."""
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _DURATION.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a duration; use e.g. '30s', '5m', '1h' or -1")
        seconds = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]
    return -1.0 if seconds < 0 else seconds


class ModelConfig(BaseModel):
    """One ``[models.NAME]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: str = Field(description="backend plugin name, e.g. 'llamacpp' or 'ollama'")
    model: str = Field(description="GGUF path, 'package:NAME' for a model shipped as a Python package, or an Ollama tag")
    host: str | None = Field(None, description="Ollama server for this model (default: $OLLAMA_HOST, else 127.0.0.1:11434)")
    description: str = ""
    num_gpu: int = Field(-1, description="-1 auto fit, 0 CPU only, N layers, 99 all")
    gpu_id: int | None = Field(None, ge=0, description="pin the model to this one GPU (CUDA numbering); default: all GPUs")
    target_vram: float = Field(0.8, ge=0.05, le=1.0, description="share of each GPU's free memory the auto fit may use")
    tensor_split: list[float] | None = Field(
        None, description="share of the offloaded layers per GPU, e.g. [3, 1]; default: proportional to free memory")
    swa_full: bool = Field(True, description="full-size KV cache for sliding-window layers (Gemma 2/3); false sizes "
                           "them to the window, saving memory, but a cached prompt prefix is then reused only within it")
    n_ctx: int = Field(4096, ge=256, le=1_048_576)
    kv_cache: Literal["f16", "q8_0", "q4_0"] = "f16"
    flash_attn: bool = False
    keep_alive: str | int = "5m"
    tool_calling: Literal["native", "inject"] = "inject"
    tool_select: Literal["generate", "rank"] = Field(
        "generate", description="injected path: generate the whole call under a grammar, or rank the tools by "
        "the model's likelihood of the request given each tool's examples, then fill the arguments under a "
        "grammar that copies from the request (for tiny models)")
    reply: Literal["model", "tool"] = Field(
        "model", description="who words the reply after a tool call: the model, or the tool's own sentence")
    chat_format: str | None = Field(None, description="llama.cpp chat format; default: the GGUF's template")
    n_threads: int | None = Field(None, ge=1)
    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    seed: int = 0
    sha256: str | None = Field(None, description="expected sha256 of the model file, checked before loading")
    system_prompt: str | None = Field(None, description="replaces Hearth's default system prompt")
    max_tool_rounds: int = Field(4, ge=1, le=16)

    @field_validator("num_gpu")
    @classmethod
    def _num_gpu(cls, v: int) -> int:
        if v < -1:
            raise ValueError("num_gpu must be -1 (auto), 0 (CPU), N layers or 99 (all)")
        return v

    @field_validator("tensor_split")
    @classmethod
    def _tensor_split(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (not v or any(x < 0 for x in v) or not any(v)):
            raise ValueError("tensor_split takes one non-negative share per GPU, not all zero, e.g. [3, 1]")
        return v

    @field_validator("keep_alive")
    @classmethod
    def _keep_alive(cls, v: str | int) -> str | int:
        parse_duration(v)
        return v

    @property
    def keep_alive_seconds(self) -> float:
        return parse_duration(self.keep_alive)


class Roles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    main: str
    router: str | None = None


class ModelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    roles: Roles
    models: dict[str, ModelConfig]
    # [speech.stt] / [speech.tts] / [speech.voice]: validated by hearth.speech when voice is used,
    # so a text-only install never imports the speech engines.
    speech: dict[str, Any] = Field(default_factory=dict)
    homeassistant: dict[str, Any] = Field(default_factory=dict)  # [homeassistant]: validated by that plugin

    def missing_roles(self) -> list[tuple[str, str]]:
        return [(role, name) for role, name in self.roles.model_dump().items()
                if name is not None and name not in self.models]

    def for_role(self, role: str = "main") -> tuple[str, ModelConfig]:
        name = getattr(self.roles, role, None) or self.roles.main
        return name, self.models[name]


def _table(name: str) -> str:
    """``[models.NAME]``, quoting a name TOML would split (``[models."qwen2.5"]``)."""
    return f"[models.{name}]" if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'[models."{name}"]'


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "models":
        table = _table(parts[1])
        key = ".".join(parts[2:])
    elif parts and parts[0] == "roles":
        table, key = "[roles]", ".".join(parts[1:])
    else:
        table, key = "top level", ".".join(parts)
    return f"{table} key '{key}'" if key else table


def read_toml(path: Path) -> dict[str, Any]:
    """A models.toml's contents; ConfigError when it is missing or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: file not found; create it or set HEARTH_MODELS", "config_missing") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err


def validation_error(err: ValidationError, source: str | Path, where: Callable[[tuple], str]) -> ConfigError:
    """One line per problem, naming the file and, through ``where``, the table and the key."""
    lines = []
    for e in err.errors():
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"{source}: {where(e['loc'])}: {msg}")
    return ConfigError("\n".join(lines))


def load_models(path: str | Path | None = None) -> tuple[Path, ModelsFile]:
    """Parse and validate models.toml; raise ConfigError naming file, table and key."""
    p = models_toml_path(path)
    data = read_toml(p)
    try:
        mf = ModelsFile.model_validate(data)
    except ValidationError as err:
        raise validation_error(err, p, _where) from err
    missing = mf.missing_roles()
    if missing:
        raise ConfigError("\n".join(f"{p}: [roles] key '{role}': {name!r} names no {_table(name)} table"
                                    for role, name in missing))
    return p, mf
