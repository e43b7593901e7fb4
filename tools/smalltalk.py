"""Small talk: short, friendly, true replies to greetings, thanks and "what can you do", and a clear
"I can't do that yet" for requests no tool covers (the weather, the news...), instead of a made-up answer.

The capability sentence is built from the registered tools, so it grows with every plugin.
"""

from __future__ import annotations

import re
import sys
import weakref
from collections.abc import Iterable
from typing import Any, Literal

from hearth import hookimpl

__version__ = "0.1.0"

Kind = Literal["greeting", "thanks", "capabilities", "identity", "how_are_you", "goodbye", "joke", "nevermind",
               "compliment", "acknowledge", "out_of_scope"]

_registry: Any = None  # the running agent's tool registry (a weak reference), for the capability sentence

# whole-utterance patterns, after lower-casing and dropping punctuation
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(rf"^(?:hey |hi |ok |okay |so )?(?:hearth )?(?:and )?(?:{rx})(?: hearth)?$")) for kind, rx in [
    ("greeting", r"hello|hi|hey|hiya|howdy|yo|hello there|hi there|hey there|good (?:morning|afternoon|evening|day)"),
    ("thanks", (r"(?:thanks|thank you|thank you so much|thanks a lot|many thanks|cheers|ta|thanks a bunch|"
                r"great thanks|perfect thanks|awesome thanks|thank you very much|much appreciated|okay thanks|ok thanks)"
                r"(?: that's all| that is all| that's it)?")),
    ("capabilities", (r"(?:what|which things) (?:can|could) you (?:do|help (?:me )?with)(?: for me)?|help|help me|"
                      r"what do you do|what are you (?:able to do|good at|for)|how can you help(?: me)?|"
                      r"what can i (?:ask|say)(?: you)?|what (?:are your|kind of) (?:skills|things can you do)")),
    ("identity", (r"who are you|what are you|what is your name|what's your name|who am i talking to|are you a robot|"
                  r"tell me about yourself|introduce yourself")),
    ("how_are_you", r"how are you(?: doing| today)?|how's it going|how are things|how do you do|what's up|sup"),
    ("goodbye", r"bye|goodbye|good night|goodnight|see you(?: later)?|bye bye|that's all|that is all|talk to you later"),
    ("joke", r"tell me a joke|(?:tell me |say )?something funny|make me laugh|do you know any jokes|another joke"),
    ("nevermind", r"never ?mind|forget it|nothing|no thanks|cancel that request"),
    ("compliment", r"you're (?:awesome|great|the best|amazing|so helpful)|good job|well done|nice work|love you"),
    ("acknowledge", (r"great|cool|ok|okay|nice|perfect|awesome|good|got it|alright|all right|sounds good|yes|yeah|"
                     r"yep|no|nope|sorry|fine|sure")),
]]

# requests about the world right now, or devices and services Hearth has no tool for
_OUT_OF_SCOPE: list[tuple[str, re.Pattern[str]]] = [(topic, re.compile(rf"\b(?:{rx})\b")) for topic, rx in [
    ("check the weather", (r"weather|forecast|rain(?:ing|y)?|snow(?:ing)?|sunny|umbrella|temperature outside|"
                           r"temperature (?:today|tomorrow)|how (?:hot|cold|warm) is it|humid(?:ity)?|wind(?:y)?|"
                           r"(?:cold|hot|warm|nice|chilly) outside")),
    ("read the news", r"news|headlines?"),
    ("look up scores or results", r"who won|score|scores|game last night|match last night|standings"),
    ("check the markets", r"stocks?|stock market|share price|bitcoin|exchange rate"),
    ("control lights or devices", (r"(?:turn|switch) (?:on|off) the (?!timer)\w+|lights?|thermostat|heating|"
                                   r"lock the door|unlock|vacuum")),
    ("play music or media", (r"play (?:some |a |the |me )?(?:music|song|songs|radio|podcast|playlist|video)|"
                             r"play \w+ by|volume|next song|pause the music")),
    ("make calls or send messages", r"call|phone|text|message|email|e-mail|send a"),
    ("check traffic", r"traffic|commute"),
    ("look things up on the internet", r"search the web|google|look up|wikipedia|browse"),
    ("order or book things", r"order (?:a |some )?(?:pizza|food|takeout|taxi|uber)|book a|reserve a table"),
    ("set alarms at a clock time", r"alarm|wake me(?: up)?"),
    ("look up recipes", r"recipes?|how (?:do|can|should) (?:i|you|we) (?:make|cook|bake|prepare)"),
    ("answer questions about the world", (r"^(?:who|where|when|why) (?:is|was|are|were|did|does|do)\b|"
                                          r"^(?:what|what's|whats|what is) (?:the )?(?:capital|population|meaning)\b|"
                                          r"^how (?:old|tall|far|big) (?:is|are)\b")),
    ("do maths", r"\d+ (?:plus|minus|times|divided by|multiplied by) \d+"),
]]
# out of scope although they name a list or the time
_BEFORE_OWN_WORDS = [(topic, re.compile(rx)) for topic, rx in [
    ("keep a to-do list", r"\bto ?do list\b|\btodo list\b|\btask list\b"),
    ("tell the time in other places", r"\btime (?:is it )?in [a-z]+"),
    ("set reminders", (r"\bset a reminder\b|\breminders?\b|\bremind me (?:at|on|tomorrow|tonight|in|every)\b|"
                       r"\bremind me to (?!buy|get|pick up|grab)")),
]]
_LIST_VERBS = re.compile(r"^(?:please )?(?:add|put|remove|take|buy|get|we need|i need|scratch|check|cross|tick)\b")
_OWN_WORDS = re.compile(r"\b(?:list|timer|timers|time is it|date)\b")

_JOKES = [
    "Why did the tomato blush? Because it saw the salad dressing.",
    "I told my fridge a joke. It was a little cold.",
    "Why don't eggs tell jokes? They'd crack each other up.",
]


def _normalise(text: str) -> str:
    text = re.sub(r"[^\w\s']", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def classify(text: str) -> tuple[Kind, str | None] | None:
    """The small-talk kind of an utterance (and, out of scope, what it asked for), or None."""
    t = _normalise(text)
    if not t:
        return None
    for kind, rx in _PATTERNS:
        if rx.match(t):
            return kind, None  # type: ignore[return-value]  # the kinds above are Kind's values
    for topic, rx in _BEFORE_OWN_WORDS:
        if rx.search(t):
            return "out_of_scope", topic
    if _OWN_WORDS.search(t) or _LIST_VERBS.match(t):
        return None
    for topic, rx in _OUT_OF_SCOPE:
        if rx.search(t):
            return "out_of_scope", topic
    return None


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


def capability_sentence(tools: Iterable[Any] | None = None) -> str:
    if tools is None:
        tools = _registry() if _registry is not None else None
    phrases = _capabilities(tools or [])
    if not phrases:
        return "I can't do much yet: no tools are installed."
    joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"I can help with {joined}."


def small_talk(kind: Kind, topic: str | None = None) -> Any:
    """Reply to small talk (greetings, thanks, what can you do) or say what Hearth cannot do yet.

    Args:
        kind: What was said: greeting, thanks, capabilities, identity, how_are_you, goodbye, joke,
            nevermind, compliment, acknowledge or out_of_scope.
        topic: For out_of_scope, what was asked for, e.g. "check the weather".
    """
    from hearth import ToolResult
    can = capability_sentence()
    say = {
        "greeting": "Hello! What can I do for you?",
        "thanks": "You're welcome!",
        "capabilities": can,
        "identity": f"I'm Hearth, your helper at home. {can}",
        "how_are_you": "I'm doing well, thanks! What can I do for you?",
        "goodbye": "Bye! Talk to you later.",
        "joke": _JOKES[0],
        "nevermind": "Okay.",
        "compliment": "Thank you!",
        "acknowledge": "Okay.",
    }.get(kind)
    if kind == "joke":
        global _joke_no
        say = _JOKES[_joke_no % len(_JOKES)]
        _joke_no += 1
    if say is None:  # out_of_scope
        what = f"{topic}" if topic else "do that"
        say = f"Sorry, I can't {what} yet. {can}"
    return ToolResult({"kind": kind, "topic": topic}, say=say)


_joke_no = 0


@hookimpl
def register_tools(register):
    register(small_talk, intents={
        # Home Assistant's own sentences: there is no weather source, so say so
        "HassGetWeather": lambda slots: {"kind": "out_of_scope", "topic": "check the weather"},
        "HassNevermind": lambda slots: {"kind": "nevermind"}})


@hookimpl
def match_intent(text: str) -> dict[str, Any] | None:
    found = classify(text)
    if found is None:
        return None
    kind, topic = found
    return {"name": "small_talk", "arguments": {"kind": kind, **({"topic": topic} if topic else {})}}


@hookimpl
def startup(agent: Any) -> None:
    global _registry
    _registry = weakref.ref(agent.plugins.tools)
