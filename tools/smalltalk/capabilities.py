"""What Hearth can do, in one sentence built from the registered tools (so it grows with every plugin)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def _capabilities(tools: Iterable[Any]) -> list[str]:
    """One phrase per plugin with tools: its docstring's subject and its tools' verbs."""
    by_plugin: dict[str, list[Any]] = {}
    for tool in tools:
        if tool.plugin in (None, "smalltalk"):
            continue
        by_plugin.setdefault(tool.plugin, []).append(tool)
    phrases = []
    for plugin, tools_ in by_plugin.items():
        name = getattr(tools_[0].fn, "__module__", "") or ""
        while name and name.rsplit(".", 1)[-1] != plugin and "." in name:  # the plugin's own (package) module
            name = name.rsplit(".", 1)[0]
        module = sys.modules.get(name) or sys.modules.get(getattr(tools_[0].fn, "__module__", ""))
        doc = ((module.__doc__ if module else None) or "").strip().splitlines()
        subject = doc[0].split(":")[0].strip().rstrip(".") if doc and ":" in doc[0] else plugin.replace("_", " ")
        subject = subject[:1].lower() + subject[1:]
        verbs: list[str] = []
        for t in tools_:
            words = t.description.split()
            verb = words[0].lower() if words else ""
            if len(words) > 1 and words[1].lower() == "off":
                verb += " off"
            if verb and verb not in verbs and verb not in ("answer", "say", "tell", "change"):
                verbs.append(verb)
        phrases.append(f"{subject} ({', '.join(verbs)})" if verbs else subject)
    return phrases


def capability_sentence(tools: Iterable[Any] | None) -> str:
    """"I can help with ..." for the tools of one agent (each plugin's subject and its tools' verbs)."""
    phrases = _capabilities(tools or [])
    if not phrases:
        return "I can't do much yet: no tools are installed."
    joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"I can help with {joined}."
