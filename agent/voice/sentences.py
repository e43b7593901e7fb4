"""Sentences to speak: streamed reply text cut into sentences, and what to say when a turn failed."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*(?=\s)|\n")


class SentenceSplitter:
    """Cut streamed text into sentences: ``feed(delta)`` returns the sentences it completed."""

    def __init__(self) -> None:
        self._buf = ""

    def feed(self, text: str) -> list[str]:
        self._buf += text
        parts, start = [], 0
        for m in _SENTENCE_END.finditer(self._buf):  # an end needs the space after it: "3.50" is not one
            parts.append(self._buf[start:m.end()].strip())
            start = m.end()
        self._buf = self._buf[start:]  # the unfinished rest
        return [p for p in parts if p]

    def flush(self) -> list[str]:
        rest, self._buf = self._buf.strip(), ""
        return [rest] if rest else []


def spoken_failure(message: str) -> str:
    """What to say when a turn failed: its message where it is a sentence for people, not a log line."""
    if len(message) <= 160 and "/" not in message and "\\" not in message and "Error:" not in message:
        return message
    return "Sorry, I could not answer that. The details are in Hearth's log."
