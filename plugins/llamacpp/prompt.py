"""Prompts for llama.cpp: the GGUF's own chat template (native or injected calls), or a plain
transcript with few-shot examples for base models without a template."""

from __future__ import annotations

from typing import Any

from hearth.kit import example_calls, fn_schema, format_calls, injected_messages, render_tools_prompt

PLAIN_STOPS = ["\nUser:", "\nTool:", "\n\n"]


def openai_tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": c.get("id"), "type": "function",
             "function": {"name": c["name"], "arguments": c.get("arguments") or {}}} for c in calls]


def plain_prompt(messages: list[dict[str, Any]], tools: list[dict[str, Any]], n_examples: int = 3) -> str:
    """A transcript prompt for base models with no chat template, with few-shot tool examples."""
    lines: list[str] = []
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    if system:
        lines.append(system)
    if tools:
        lines.append(render_tools_prompt(tools))
        shots = example_calls(tools, per_tool=n_examples)
        if shots:
            lines.append("")
            for sentence, call in shots:
                lines.append(f"User: {sentence}\nAssistant: {format_calls([call])}")
    lines.append("")
    for m in messages:
        role, content = m["role"], (m.get("content") or "").strip()
        if role == "system":
            continue
        if role == "user":
            lines.append(f"User: {content}")
        elif role == "assistant":
            lines.append(f"Assistant: {format_calls(m['tool_calls']) if m.get('tool_calls') else content}")
        elif role == "tool":
            lines.append(f"Tool: {content}")
    lines.append("Assistant:")
    return "\n".join(lines)



def chat_formatter(llm: Any, chat_format: str | None) -> Any:
    """The GGUF's own chat template, unless models.toml names a chat_format (or it has none)."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template or chat_format:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    eos = llm._model.token_get_text(llm.token_eos()) if llm.token_eos() >= 0 else ""
    bos = llm._model.token_get_text(llm.token_bos()) if llm.token_bos() >= 0 else ""
    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, stop_token_ids=[llm.token_eos()])


def build_prompt(formatter: Any, tool_calling: str, messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]]) -> tuple[str, list[str], bool]:
    """(prompt, stop strings, the prompt ends in a special-token template)."""
    clean_tools = [{"type": "function", "function": fn_schema(t)} for t in tools]
    if formatter is not None:
        if tool_calling == "native":
            msgs = []
            for m in messages:
                m = dict(m)
                if m.get("tool_calls"):
                    m["tool_calls"] = openai_tool_calls(m["tool_calls"])
                msgs.append(m)
            r = formatter(messages=msgs, tools=clean_tools or None)
        else:
            r = formatter(messages=injected_messages(messages, tools))
        stops = r.stop if isinstance(r.stop, list) else [r.stop] if r.stop else []
        return r.prompt, [s for s in stops if s], True
    return plain_prompt(messages, tools), PLAIN_STOPS, False
