"""Streamed reply text held back while it may still turn out to be a tool call.

Text that starts like a call (``[``, ``{``, a code fence, a ``<tool_call>`` tag) is held until the
reply ends; so is anything from a ``<tool_call>`` tag on. At the end the held text is parsed: calls
come back as call requests, anything else is released as text. A reply held back from its start
that names a tool but cannot be read becomes a call request with ``raw`` set, so the model is
told what is wrong and can try again, instead of the user hearing the call syntax.

With ``anywhere=True`` (the model rounds, which stand between every backend and the user) a call is
also held back where it starts mid-reply: from a ``[``, ``{``, a code fence or a tag, and from a word
that is, or may still become, a known tool's name followed by ``(``. Prose before it streams as it
comes; what is held is released at the end unless it holds a call.
"""

from __future__ import annotations

import re

from hearth.backends import CallRequest
from hearth.tooling.calls.parse import parse_calls

_TAG = "<tool_call>"


def _may_start_call(stripped: str) -> bool:
    return stripped == "" or stripped[0] in "[{" or "```".startswith(stripped[:3]) or _TAG.startswith(stripped[:11])


def attempted_call(text: str, known: set[str]) -> str | None:
    """The tool a reply held back as a possible call was trying to call, if it names one."""
    for name in sorted(known):
        if re.search(rf"(?:^|[\[\s`]){re.escape(name)}\s*\(|\"name\"\s*:\s*\"{re.escape(name)}\"", text):
            return name
    return None


class HoldBack:
    """Feed it the pieces of a streamed reply; it says what may be shown now, and at the end the calls.

    ``HoldBack({"add_to_shopping_list"}).feed('[add_to_shopping_list(item="milk")]')`` shows nothing;
    ``finish()`` then returns ``([CallRequest("add_to_shopping_list", {"item": "milk"})], "")``.
    """

    def __init__(self, known: set[str], *, anywhere: bool = False) -> None:
        self.known = known
        self.anywhere = anywhere
        self.text = ""
        self.emitted = 0

    def feed(self, piece: str) -> str:
        """Add a piece of the reply; return the text that can be shown now ("" while holding)."""
        self.text += piece
        if self.anywhere:
            cut = self._cut()
            out = self.text[self.emitted:cut]
            self.emitted = cut
            return out
        if _may_start_call(self.text.lstrip()):
            return ""
        end = len(self.text)
        idx = self.text.find("<", self.emitted)
        while idx != -1:
            if _TAG.startswith(self.text[idx:idx + len(_TAG)]):
                end = idx
                break
            idx = self.text.find("<", idx + 1)
        out = self.text[self.emitted:end]
        self.emitted = end
        return out

    def _cut(self) -> int:
        """Where, from the text not yet shown, a call may start (the text's end: nowhere)."""
        text = self.text
        for i in range(self.emitted, len(text)):
            c = text[i]
            if c in "[{`" or (c == "<" and _TAG.startswith(text[i:i + len(_TAG)])):
                return i
            if (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.")) and self._may_name(text, i):
                return i
        return len(text)

    def _may_name(self, text: str, i: int) -> bool:
        """Whether a known tool's name, called, starts at ``i`` (or may, once more text comes)."""
        left = len(text) - i
        for name in self.known:
            if left < len(name):
                if name.startswith(text[i:]):
                    return True
            elif text.startswith(name, i):
                j = i + len(name)
                while j < len(text) and text[j].isspace():
                    j += 1
                if j == len(text) or text[j] == "(":
                    return True
        return False

    def finish(self) -> tuple[list[CallRequest], str]:
        """The reply's calls, and the text not yet shown when there are none."""
        calls, _prose = parse_calls(self.text, self.known)
        held = self.text[self.emitted:] if self.anywhere else self.text if self.emitted == 0 else ""
        if not calls and held and (name := attempted_call(held, self.known)):
            calls = [CallRequest(name, raw=held.strip())]
        if calls:
            return calls, ""
        rest = self.text[self.emitted:]
        self.emitted = len(self.text)
        return [], rest
