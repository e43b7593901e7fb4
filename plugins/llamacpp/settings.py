"""The llama.cpp backend's own keys of a ``[models.NAME]`` table."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class LlamaCppSettings(BaseModel):
    """Keys only llama.cpp understands; unknown keys are errors naming file, table and key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tensor_split: list[float] | None = Field(
        None, description="share of the offloaded layers per GPU, e.g. [3, 1]; default: proportional to free memory")
    swa_full: bool = Field(True, description="full-size KV cache for sliding-window layers (Gemma 2/3); false sizes "
                           "them to the window, saving memory, but a cached prompt prefix is then reused only within it")
    chat_format: str | None = Field(None, description="llama.cpp chat format; default: the GGUF's template")
    tool_select: Literal["generate", "rank"] = Field(
        "generate", description="injected path: generate the whole call under a grammar, or rank the tools by "
        "the model's likelihood of the request given each tool's examples, then fill the arguments under a "
        "grammar that copies from the request (for tiny models)")

    @field_validator("tensor_split")
    @classmethod
    def _tensor_split(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (not v or any(x < 0 for x in v) or not any(v)):
            raise ValueError("tensor_split takes one non-negative share per GPU, not all zero, e.g. [3, 1]")
        return v
