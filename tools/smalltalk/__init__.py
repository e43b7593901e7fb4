"""Small talk: short, friendly, true replies to greetings, thanks and "what can you do", and a clear
"I can't do that yet" for requests no tool covers (the weather, the news...), instead of a made-up answer.

What counts as small talk, and which requests no tool covers, is data: ``sentences/en.yaml`` (hassil
templates, registered with :func:`SmallTalk.register_sentences`); :mod:`.reading` reads an utterance with it.
The capability sentence is built from the agent's registered tools, so it grows with every plugin
(:mod:`.capabilities`); the replies and jokes are in :mod:`.replies`. The plugin is a class
(:class:`SmallTalk`): one instance per agent, which knows that agent's tools and counts the jokes it told.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hearth import ToolResult, hookimpl

from .capabilities import capability_sentence
from .reading import Kind, classify
from .replies import JOKES, NOTHING_ASKED, REPLIES

__version__ = "0.3.0"

__all__ = ["Kind", "SmallTalk", "capability_sentence", "classify"]


class SmallTalk:
    """The small-talk plugin of one agent: the ``small_talk`` tool (a bound method), its sentences, tier 1's
    reading of small talk against this agent's tools, and the jokes told so far."""

    __version__ = __version__

    def __init__(self) -> None:
        self.tools: Any = None  # the agent's tool registry, from startup on (None: no tools are known yet)
        self.jokes_told = 0

    @hookimpl
    def register_tools(self, register: Any) -> None:
        # the "fallback" hint: what an engine calls when no tool fits a request (says what Hearth can do)
        register(self.small_talk, hints={"fallback": {"kind": "out_of_scope"}}, intents={
            # Home Assistant's own sentences: there is no weather source, so say so
            "HassGetWeather": lambda slots: {"kind": "out_of_scope", "topic": "check the weather"},
            "HassNevermind": lambda slots: {"kind": "nevermind"}})

    @hookimpl
    def register_sentences(self, register: Any) -> None:
        """Small talk and the requests no tool covers, as people say them (``sentences/<language>.yaml``)."""
        register(Path(__file__).parent / "sentences")

    @hookimpl
    def startup(self, agent: Any) -> None:
        self.tools = agent.tools

    def small_talk(self, kind: Kind, topic: str | None = None) -> Any:
        """Reply to small talk (greetings, thanks, what can you do) or say what Hearth cannot do yet.

        Args:
            kind: What was said: greeting, thanks, capabilities, identity, how_are_you, goodbye, joke,
                nevermind, compliment, acknowledge or out_of_scope.
            topic: For out_of_scope, what was asked for, e.g. "check the weather".
        """
        if kind == "joke":
            say = JOKES[self.jokes_told % len(JOKES)]
            self.jokes_told += 1
        else:
            say = REPLIES.get(kind, REPLIES["out_of_scope"]).format(
                can=capability_sentence(self.tools), what=topic or NOTHING_ASKED)
        return ToolResult({"kind": kind, "topic": topic}, say=say)
