"""Small talk on tier 1 (tools/smalltalk, its sentences/en.yaml): thanks and praise, "what can you do", goodbyes and requests
no tool covers, as people say them (British and American, casual, with "okay", "uh", "mate", "please"),
through the real router; and what it must leave alone: the list, timers, the clock, and (with Home
Assistant loaded) the devices."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from hearth import Agent
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage
from hearth.tools.smalltalk import classify

PLUGINS = "shopping_list,timers,clock,smalltalk"


def _agent(tmp_path, plugins: str = PLUGINS) -> Agent:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HEARTH_HOME", str(tmp_path))
        mp.setenv("HEARTH_LOAD_PLUGINS", plugins)
        pm = PluginManager()
        pm.load()
    assert pm.errors == {}
    # a backend no plugin provides: a turn that reaches a model fails with backend_missing
    models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
    return Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Agent:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("HASS_URL", raising=False)
        mp.delenv("HASS_TOKEN", raising=False)
        return _agent(tmp_path_factory.mktemp("smalltalk"))


def _small_talk(agent: Agent, text: str) -> dict | None:
    """The small_talk arguments tier 1 picks for ``text``, or None when it routes elsewhere."""
    route = agent.router.route(text)
    if route.tier != 1 or route.match is None or route.match.name != "small_talk":
        return None
    return route.match.arguments


THANKS = [
    "cheers, that's brilliant", "ta", "lovely, thanks", "perfect", "great job", "you're a star", "much appreciated",
    "Thanks mate!", "ta very much", "Okay, cheers!", "right, thank you so much for your help", "awesome, thanks a lot",
    "brilliant, cheers mate", "that was really helpful", "nice one", "uh, thanks Hearth", "you're the best",
    "appreciate it", "thanks a million, that's perfect", "fantastic, thank you kindly", "good stuff", "great work, mate",
    "that's exactly what I needed", "Thanks so much!", "thx", "you're a lifesaver", "wonderful, ta",
]
CAPABILITIES = [
    "what sort of things can you help me with", "what are you able to do", "how can you help", "what do you do",
    "So what can you actually do?", "what kind of stuff can you do for me", "what else can you do",
    "okay, what are your capabilities", "what are you capable of, mate", "uh, how can you help me please",
    "what things can you help with?", "What can I ask you?", "Hi, what can you do?", "how do I use you",
    "what sorts of things do you do", "right, what can you help me out with",
]
GOODBYES = [
    "okay that's all for now, goodnight", "night night", "see ya", "bye for now", "that's everything, thanks",
    "Goodnight, Hearth!", "right, that's it for now, bye", "cheerio mate", "see you tomorrow", "catch you later",
    "that'll be all, thanks", "ok bye then", "nothing else, thanks", "thanks, bye!", "have a good night",
    "take care", "I'm off to bed", "ta-ra", "uh, that's all I needed, cheers",
]
OUT_OF_SCOPE = [
    ("turn the oven on to 180", "control lights or devices"), ("call mum", "make calls or send messages"),
    ("text Sarah I'm late", "make calls or send messages"), ("play some music", "play music or media"),
    ("order a pizza", "order or book things"), ("book a table", "order or book things"),
    ("how many calories are in an avocado", "look up calories or nutrition"),
    ("what's the capital of France", "answer questions about the world"),
    ("who won the match last night", "look up scores or results"), ("what's the exchange rate", "check the markets"),
    ("ring my mum", "make calls or send messages"), ("give dad a call", "make calls or send messages"),
    ("email my boss", "make calls or send messages"), ("put the radio on", "play music or media"),
    ("play the Beatles please", "play music or media"), ("order me a taxi", "order or book things"),
    ("can you book a table for two at eight", "order or book things"), ("order an Indian takeaway", "order or book things"),
    ("switch the kettle on", "control lights or devices"), ("preheat the oven to 200", "control lights or devices"),
    ("uh, turn the heating up please", "control lights or devices"), ("turn the telly off", "control lights or devices"),
    ("lock the front door", "control lights or devices"), ("how many calories in a banana", "look up calories or nutrition"),
    ("how much protein is in an egg", "look up calories or nutrition"),
    ("who is the prime minister of the UK", "answer questions about the world"),
    ("how tall is the Eiffel Tower", "answer questions about the world"),
    ("what's the population of Japan", "answer questions about the world"),
    ("what's the score in the football, mate", "look up scores or results"),
    ("what's the dollar to euro rate", "check the markets"), ("convert 5 stone to kilos", "convert units"),
    ("translate hello into French", "translate or define words"), ("what's 12 times 7", "do maths"),
    ("okay, what's the weather going to be like tomorrow", "check the weather"), ("check the weather", "check the weather"),
]
# (text, tool, arguments): requests other tools answer; arguments None: any
OTHER_TOOLS = [
    ("add milk", "add_to_shopping_list", {"item": "milk"}), ("put eggs on the list", "add_to_shopping_list", None),
    ("remove the bread", "remove_from_shopping_list", None), ("check off the butter", "check_off_shopping_list", None),
    ("how many eggs are on the list", "is_on_shopping_list", {"item": "eggs"}),
    ("do we have milk", "is_on_shopping_list", {"item": "milk"}), ("is cheese on my list", "is_on_shopping_list", None),
    ("we need light bulbs", "add_to_shopping_list", {"item": "light bulbs"}),
    ("we're out of heating oil", "add_to_shopping_list", {"item": "heating oil"}),
    ("pick up a pizza on the way home", "add_to_shopping_list", None),
    ("add call mum to the list", "add_to_shopping_list", {"item": "call mum"}),
    ("put book a table on my list", "add_to_shopping_list", None),
    ("set a timer for 10 minutes", "start_timer", {"duration": "10 minutes"}),
    ("how long is left on the pasta", "timer_status", {"name": "pasta"}),
    ("cancel the rice timer", "cancel_timer", {"name": "rice"}), ("turn off the timer", "cancel_timer", None),
    ("is the oven timer still running", "timer_status", None),
    ("what time is it", "get_current_time", {}), ("what's the date today", "get_current_date", {}),
]
# not ours, though they sound like it: a list, a timer or the clock, or nothing but fillers
NOT_CLAIMED = [
    "when is the rice done", "set an alarm for 10 minutes", "have we got any oven cleaner",
    "how much sugar is on the list", "turn it off", "turn off", "switch that off", "what time does the football start", "please", "um", "and mint",
]


@pytest.mark.parametrize("text", THANKS)
def test_thanks_and_praise(agent, text):
    assert _small_talk(agent, text) in ({"kind": "thanks"}, {"kind": "compliment"}), text


@pytest.mark.parametrize("text", CAPABILITIES)
def test_what_can_you_do(agent, text):
    assert _small_talk(agent, text) == {"kind": "capabilities"}, text


@pytest.mark.parametrize("text", GOODBYES)
def test_goodbyes(agent, text):
    assert _small_talk(agent, text) == {"kind": "goodbye"}, text


@pytest.mark.parametrize("text, topic", OUT_OF_SCOPE)
def test_requests_no_tool_covers(agent, text, topic):
    assert _small_talk(agent, text) == {"kind": "out_of_scope", "topic": topic}, text


@pytest.mark.parametrize("text, tool, arguments", OTHER_TOOLS)
def test_other_tools_requests_are_left_to_them(agent, text, tool, arguments):
    route = agent.router.route(text)
    assert route.tier == 1 and route.match.name == tool, (text, route)
    assert arguments is None or route.match.arguments == arguments


@pytest.mark.parametrize("text", NOT_CLAIMED)
def test_list_timer_and_clock_words_are_not_claimed(agent, text):
    assert _small_talk(agent, text) is None, text


async def test_the_replies(tmp_path):
    """What is said back: friendly for thanks, a goodbye for goodbyes, what the tools do for "what can
    you do" and for what no tool can do."""
    agent = _agent(tmp_path)
    n = 0

    async def say(text: str) -> str:
        nonlocal n
        n += 1
        done = await agent.ask(text, session=f"s{n}")  # a session each: no follow-ups
        assert (done.type, done.tier) == ("finished", 1), (text, done)
        return done.text

    try:
        for text in THANKS[:8]:
            reply = (await say(text)).lower()
            assert reply and len(reply) < 40 and not re.search(r"sorry|can't", reply), (text, reply)
        for text in GOODBYES[:6]:
            assert re.search(r"night|bye|see you|take care", (await say(text)).lower()), text
        can = await say(CAPABILITIES[0])
        assert can.startswith("I can help with ") and "shopping list" in can and "timers" in can
        for text, topic in OUT_OF_SCOPE[:10]:
            assert await say(text) == f"Sorry, I can't {topic} yet. {can}", text
    finally:
        await agent.stop()


async def test_a_greeting_with_the_assistants_name(tmp_path):
    agent = _agent(tmp_path)
    await agent.start(load_model=False)
    try:
        for text in ("hey hearth", "Hi Hearth!", "good morning hearth"):
            assert _small_talk(agent, text) == {"kind": "greeting"}, text
    finally:
        await agent.stop()


def test_the_most_telling_phrase_wins():
    assert classify("hi, thanks, bye") == ("goodbye", None)
    assert classify("hello there, what can you do?") == ("capabilities", None)
    assert classify("no thanks") == ("nevermind", None)  # one phrase, not "no" + "thanks"
    assert classify("okay") == ("acknowledge", None)
    assert classify("well done") == ("compliment", None)  # (the router hears "done": it drops a leading "well")
    assert classify("um, please, mate") is None  # fillers alone are not small talk
    assert classify("thanks, add milk") is None  # a request said with thanks is the request's


def _tool(name: str, intents: tuple[str, ...] = (), plugin: str = "other") -> SimpleNamespace:
    return SimpleNamespace(name=name, plugin=plugin, intents=dict.fromkeys(intents))


def test_a_topic_a_registered_tool_may_cover_is_left_to_it():
    assert classify("turn the oven on to 180", []) == ("out_of_scope", "control lights or devices")
    assert classify("turn the oven on to 180", [_tool("HassTurnOn")]) is None
    assert classify("turn the oven on to 180", [_tool("switch_device", ("HassTurnOn",))]) is None
    assert classify("what's the news", [_tool("web_search")]) is None
    assert classify("text Sarah I'm late", [_tool("send_sms")]) is None
    assert classify("text Sarah I'm late", [_tool("web_search")]) == ("out_of_scope", "make calls or send messages")
    # small_talk itself covers nothing: it claims HassGetWeather to say there is no weather
    own = _tool("small_talk", ("HassGetWeather",), plugin="smalltalk")
    assert classify("will it rain", [own]) == ("out_of_scope", "check the weather")


def test_home_assistants_devices_are_left_to_home_assistant(tmp_path, monkeypatch):
    # configured (not connected: nothing here starts it): its tools and sentences are registered
    monkeypatch.setenv("HASS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("HASS_TOKEN", "x")
    agent = _agent(tmp_path, PLUGINS + ",homeassistant")
    route = agent.router.route("turn on the kitchen lights")
    # no live names to read it against: not tier 1 (the plugin's matcher needs the home), never small talk
    assert route.match is None and route.say is None and route.tier > 1
    for text in ("turn the oven on to 180", "switch off the bedroom lamp", "is the front door locked", "play some music"):
        assert _small_talk(agent, text) is None, text
    assert _small_talk(agent, "call mum") == {"kind": "out_of_scope", "topic": "make calls or send messages"}
    assert _small_talk(agent, "what's the weather like") == {"kind": "out_of_scope", "topic": "check the weather"}
