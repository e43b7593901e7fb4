"""What crosses between MCP and Hearth: a tool's name, a call's result, an error in one line."""

from __future__ import annotations

import json
import re
from typing import Any

from hearth import ToolError, ToolResult

SAY_LIMIT = 200  # a text result this short is also the sentence a tier-1 reply says


def tool_name(name: str) -> str:
    """A Hearth tool name for an MCP tool name (which may hold dots, dashes, slashes...)."""
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not re.match(r"^[A-Za-z_]", clean):
        clean = "t_" + clean
    return clean[:64]


def call_result(result: Any, tool: str) -> ToolResult:
    """An MCP CallToolResult as what the model reads: its text, its structured content, or both."""
    texts = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(block.text)
        elif kind in ("image", "audio"):
            texts.append(f"[{kind} {getattr(block, 'mime_type', '')}]")
        elif kind == "resource_link":
            texts.append(f"[resource {block.uri}]")
        elif kind == "resource":
            texts.append(getattr(block.resource, "text", None) or f"[resource {block.resource.uri}]")
    text = "\n".join(t for t in texts if t)
    if result.is_error:
        raise ToolError(f"{tool} failed: {text or 'the server reported an error'}", "mcp_tool_error")
    structured = result.structured_content
    data: Any = text
    if structured is not None:
        data = {"text": text, "structured": structured}
        if not text or _same(text, structured):
            data = structured
        elif isinstance(structured, dict) and list(structured) == ["result"] and _same(text, structured["result"]):
            data = structured["result"]  # the SDK's wrapping of a plain return value
    spoken = text if text and len(text) <= SAY_LIMIT and not text.lstrip().startswith(("{", "[")) else None
    return ToolResult(data, say=spoken)


def _same(text: str, value: Any) -> bool:
    """Whether ``text`` is ``value`` written out (as JSON, or as the string itself)."""
    if isinstance(value, str):
        return text == value
    try:
        return json.loads(text) == value
    except ValueError:
        return False


def describe(err: BaseException) -> str:
    """The first real error inside anyio's exception groups, as one line."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    if isinstance(err, TimeoutError):
        return "no answer in time"
    if isinstance(err, ImportError) and (err.name or "").split(".")[0] in ("mcp", "mcp_types", "jsonschema", "httpx2"):
        return "the MCP SDK is not installed: pip install 'hearth[mcp]'"
    return f"{type(err).__name__}: {err}".strip().rstrip(":")
