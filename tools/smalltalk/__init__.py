"""Small talk: short, friendly, true replies to greetings, thanks and "what can you do", and a clear
"I can't do that yet" for requests no tool covers (the weather, the news...), instead of a made-up answer.

The capability sentence is built from the agent's registered tools, so it grows with every plugin
(:mod:`.capabilities`). The plugin is a class (:class:`SmallTalk`): one instance per agent, which knows
that agent's tools and counts the jokes it told.

How an utterance is read (tier 1, no model; :func:`classify` in :mod:`.reading`):

1. Small talk is an utterance made only of small-talk phrases ("okay, that's all for now, goodnight" is a
   closing phrase, a filler and a goodbye). Each phrase has a kind; the utterance takes the most telling
   kind among its phrases (a goodbye outranks the thanks said with it). Anything else in it, even one
   word, and it is not small talk.
2. Out of scope is a request on a topic no tool covers (the weather, calls, the oven). It is claimed
   conservatively: never when it names a list, a timer or the clock, never when it starts like a
   shopping-list request, and never when a registered tool looks like it covers the topic (Home
   Assistant's ``HassTurnOn`` covers "turn on the kitchen lights", a web-search tool covers the news).
"""

from __future__ import annotations

from typing import Any

from hearth import ToolResult, hookimpl

from .capabilities import capability_sentence
from .phrases import JOKES
from .reading import Kind, classify

__version__ = "0.2.0"

__all__ = ["Kind", "SmallTalk", "capability_sentence", "classify"]


class SmallTalk:
    """The small-talk plugin of one agent: the ``small_talk`` tool (a bound method), tier 1's reading of
    small talk against this agent's tools, and the jokes told so far."""

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
    def match_intent(self, text: str, tools: Any) -> dict[str, Any] | None:
        found = classify(text, tools)
        if found is None:
            return None
        kind, topic = found
        return {"name": "small_talk", "arguments": {"kind": kind, **({"topic": topic} if topic else {})}}

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
        can = capability_sentence(self.tools)
        say = {
            "greeting": "Hello! What can I do for you?",
            "thanks": "You're welcome!",
            "capabilities": can,
            "identity": f"I'm Hearth, your helper at home. {can}",
            "how_are_you": "I'm doing well, thanks! What can I do for you?",
            "goodbye": "Bye! Talk to you later.",
            "joke": JOKES[0],
            "nevermind": "Okay.",
            "compliment": "Glad I could help!",
            "acknowledge": "Okay.",
        }.get(kind)
        if kind == "joke":
            say = JOKES[self.jokes_told % len(JOKES)]
            self.jokes_told += 1
        if say is None:  # out_of_scope
            what = f"{topic}" if topic else "do that"
            say = f"Sorry, I can't {what} yet. {can}"
        return ToolResult({"kind": kind, "topic": topic}, say=say)
