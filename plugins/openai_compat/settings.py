"""The ``openai`` backend's own keys of a ``[models.NAME]`` table."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OpenAISettings(BaseModel):
    """Where the OpenAI-compatible server is, and how to reach it.

    ``model`` (a common key) is the server's model id, as its ``GET /v1/models`` lists it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(description="the server's API root, e.g. 'http://gpu-box:8000/v1' (vLLM, "
                          "llama-server, trtllm-serve, LM Studio, LocalAI)")
    api_key_env: str | None = Field(None, description="environment variable holding the API key (sent as "
                                    "'Authorization: Bearer'); unset: no key")
    stream_tools: bool = Field(True, description="stream rounds that offer tools; false for servers that "
                               "cannot stream tool calls (llama-cpp-python's own server)")
    timeout: float = Field(600.0, gt=0, description="seconds to wait for each piece of an answer (a first "
                           "answer may wait for the server to load the model)")
