"""The core's language reader: the normaliser, the number, amount, duration and clock readers, the fuzzy
word corrector and the English words file they load (hearth.understanding).

Checked against what people say and type: fillers, hesitations, the assistant's configured names and
self-repairs ("add apples no wait pears") come out of the text, while a "no" that is a word ("no more milk")
or an answer at the start ("no, I said three") stays; numbers in words and digits; amounts with their units
dropped; durations whole and inside a sentence (with the span to cut); clock times; near-miss words.
"""

from __future__ import annotations

import pytest

from hearth.understanding import language
from hearth.understanding.fuzzy import correct
from hearth.understanding.language import words
from hearth.understanding.normalise import normalise
from hearth.understanding.numbers import find_duration, read_clock_time, read_duration, read_number, read_quantity

# --- normalise -----------------------------------------------------------------------------------


@pytest.mark.parametrize("said, text", [
    ("Add milk to my shopping list.", "add milk to my shopping list"),
    ("What's on my list?", "what's on my list"),
    ("Set a timer for 7:30!", "set a timer for 7:30"),
    ("add 2.5 kg of flour", "add 2.5 kg of flour"),
    ("add 1,000 paper clips", "add 1000 paper clips"),
    ("set an alarm for 7:30 a.m.", "set an alarm for 7:30 am"),
    ("set the brightness to 50%", "set the brightness to 50 percent"),
    ("add salt & pepper", "add salt and pepper"),
    ("add twenty-five eggs", "add twenty five eggs"),
    ("I don’t need milk", "i don't need milk"),
    ("  ADD   Milk  ", "add milk"),
    ("", ""),
    ("?!", ""),
])
def test_normalise_case_and_punctuation(said: str, text: str) -> None:
    assert normalise(said) == text


@pytest.mark.parametrize("said, text", [
    ("um add milk", "add milk"),
    ("add uh milk", "add milk"),
    ("add milk erm to the list", "add milk to the list"),
    ("hmm what's the time", "what's the time"),
    ("uh, um, set a timer for er ten minutes", "set a timer for ten minutes"),
])
def test_normalise_drops_hesitations_anywhere(said: str, text: str) -> None:
    assert normalise(said) == text


@pytest.mark.parametrize("said, text", [
    ("can you add milk", "add milk"),
    ("could you please add milk", "add milk"),
    ("would you mind adding milk", "adding milk"),
    ("okay so add milk", "add milk"),
    ("please add butter to my groceries", "add butter to my groceries"),
    ("actually just add milk", "add milk"),
    ("now clear out everything that's ticked off", "clear out everything that's ticked off"),
    ("add milk please", "add milk"),
    ("add milk thanks", "add milk"),
    ("add milk thank you very much", "add milk"),
    ("add milk for me please", "add milk"),
    ("add milk if you can thanks", "add milk"),
    ("um, so, could you please, uh, set a timer for ten minutes, thanks", "set a timer for ten minutes"),
])
def test_normalise_drops_fillers_at_both_ends(said: str, text: str) -> None:
    assert normalise(said) == text


@pytest.mark.parametrize("said", [
    "please", "thanks", "thank you", "okay", "can you", "no thanks", "yes please", "no thank you", "hey there",
    "right now", "oh no",
])
def test_normalise_never_empties_a_request_nor_an_answer(said: str) -> None:
    assert normalise(said) == said


@pytest.mark.parametrize("said, text", [
    ("hey hearth add milk", "add milk"),
    ("Hearth, add milk", "add milk"),
    ("ok hearth what's the time", "what's the time"),
    ("what's the time hearth", "what's the time"),
    ("thanks hearth", "thanks"),
    ("add milk, hearth, and eggs", "add milk and eggs"),
    ("okay hey hearth can you add milk please", "add milk"),
    ("Hey Hearth, can you add milk, eggs and bread to my shopping list please?",
     "add milk and eggs and bread to my shopping list"),
    ("the hearth rug is warm", "the hearth rug is warm"),
    ("is the hearth lit", "is the hearth lit"),
])
def test_normalise_drops_the_assistants_name_where_it_is_called(said: str, text: str) -> None:
    assert normalise(said) == text


@pytest.mark.parametrize("said, names, text", [
    ("hey jarvis add milk", ("jarvis",), "add milk"),
    ("jarvis, add milk", ("jarvis",), "add milk"),
    ("hey jarvis add milk", ("hey jarvis",), "add milk"),
    ("add milk computer", ["computer", "hearth"], "add milk"),
    ("hey hearth add milk", ("jarvis",), "hearth add milk"),
    ("hearth add milk", (), "hearth add milk"),
    ("ok mister fox set a timer", ("mister fox",), "set a timer"),
])
def test_normalise_names_are_configurable(said: str, names: tuple[str, ...], text: str) -> None:
    assert normalise(said, names=names) == text


@pytest.mark.parametrize("said, text", [
    ("milk, eggs, bread", "milk and eggs and bread"),
    ("add milk, eggs and bread", "add milk and eggs and bread"),
    ("add milk, eggs, and bread", "add milk and eggs and bread"),
    ("add milk,eggs", "add milk and eggs"),
    ("no, make it 7", "no make it 7"),
    ("yes, the kitchen", "yes the kitchen"),
    ("well, add milk", "add milk"),
    ("shopping list: add three lemons", "shopping list add three lemons"),
    ("tea with milk, no sugar", "tea with milk no sugar"),
    ("Okay Hearth, set a timer for, uh, twenty minutes.", "set a timer for twenty minutes"),
    ("Could you add, um, eggs? Thanks!", "add eggs"),
    ("add eggs, to my list", "add eggs to my list"),
])
def test_normalise_commas_between_items_become_and(said: str, text: str) -> None:
    assert normalise(said) == text


@pytest.mark.parametrize("said, text", [
    ("add uh no put cheddar on the list", "put cheddar on the list"),
    ("add apples no wait pears", "add pears"),
    ("set a timer for 5 i mean 10 minutes", "set a timer for 10 minutes"),
    ("set a timer for 5 minutes i mean 10", "set a timer for 10 minutes"),
    ("set a timer for twenty five minutes i mean thirty", "set a timer for thirty minutes"),
    ("set a timer for 5 minutes actually 10", "set a timer for 10 minutes"),
    ("set the thermostat to 20 no 22", "set the thermostat to 22"),
    ("add two no three apples", "add three apples"),
    ("add 2 apples no wait 3", "add 3 apples"),
    ("add milk, no, eggs", "add eggs"),
    ("add milk, sorry, eggs", "add eggs"),
    ("add apples no wait pears and bananas", "add pears and bananas"),
    ("add apples, no wait, pears, and bread", "add pears and bread"),
    ("add milk no wait add eggs", "add eggs"),
    ("add eggs wait no add bacon", "add bacon"),
    ("turn off the kitchen lights no wait the bedroom", "turn off the bedroom lights"),
    ("add milk to the list no wait to my list", "add milk to my list"),
    ("add milk and eggs no wait and bread", "add milk and bread"),
    ("what time is it no wait what's the date", "what's the date"),
    ("add milk no wait please add eggs", "add eggs"),
    ("add milk oops eggs", "add eggs"),
    ("add, no wait, eggs", "add eggs"),
    ("can you add uh no put cheddar on the list please", "put cheddar on the list"),
    ("add apples no wait pears no wait plums", "add plums"),
    ("set a timer for 5 minutes or rather 10", "set a timer for 10 minutes"),
])
def test_normalise_applies_self_repairs(said: str, text: str) -> None:
    assert normalise(said) == text


@pytest.mark.parametrize("said", [
    "no",
    "no thanks",
    "no i said three",
    "no no i said three",
    "no more milk",
    "i don't need milk no more",
    "there's no milk",
    "we have no eggs",
    "tea with milk no sugar",
    "add no sugar biscuits",
    "no make it 7",
    "i said no",
    "add milk sorry",
    "what's actually on my list",
    "is it actually raining",
    "add milk no wait",
    "i have no idea",
    "wait what's on my list",
])
def test_normalise_leaves_what_is_not_a_repair(said: str) -> None:
    assert normalise(said) == said


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, number", [
    ("25", 25), ("0", 0), ("1.5", 1.5), ("1,000", 1000), ("twenty five", 25), ("twenty-five", 25),
    ("Twenty Five", 25), ("seven", 7), ("zero", 0), ("nineteen", 19), ("ninety nine", 99),
    ("a hundred", 100), ("one hundred and five", 105), ("two thousand five hundred", 2500),
    ("3 hundred", 300), ("a dozen", 12), ("dozen", 12), ("two dozen", 24), ("half a dozen", 6),
    ("half dozen", 6), ("a couple", 2), ("couple", 2), ("a pair", 2), ("a few", 3), ("few", 3),
    ("half", 0.5), ("a half", 0.5), ("a quarter", 0.25), ("three quarters", 0.75),
    ("two and a half", 2.5), ("2 and a half", 2.5), ("one and three quarters", 1.75),
])
def test_read_number(text: str, number: float) -> None:
    assert read_number(text) == pytest.approx(number)


@pytest.mark.parametrize("text", [
    "", "a", "an", "an apple", "milk", "7up", "one one", "twenty thirty", "five apples", "the", "and",
])
def test_read_number_none_for_what_is_not_a_whole_number(text: str) -> None:
    assert read_number(text) is None


@pytest.mark.parametrize("text, quantity", [
    ("two loaves of bread", (2, "bread")),
    ("Two Loaves of Bread", (2, "Bread")),
    ("a dozen eggs", (12, "eggs")),
    ("half a dozen eggs", (6, "eggs")),
    ("two dozen eggs", (24, "eggs")),
    ("3 cans of tomatoes", (3, "tomatoes")),
    ("3 cans tomatoes", (3, "tomatoes")),
    ("a bag of rice", (1, "rice")),
    ("an apple", (1, "apple")),
    ("one apple", (1, "apple")),
    ("10 eggs", (10, "eggs")),
    ("a couple of apples", (2, "apples")),
    ("a few apples", (3, "apples")),
    ("three heads of lettuce", (3, "lettuce")),
    ("2 l of milk", (2, "milk")),
    ("2 kilos of flour", (2, "flour")),
    ("some milk", (None, "milk")),
    ("more milk", (None, "milk")),
    ("a lot of apples", (None, "apples")),
    ("lots of milk", (None, "milk")),
    ("milk", (None, "milk")),
    ("7up", (None, "7up")),
    ("olive oil", (None, "olive oil")),
    ("3 cans", (3, "cans")),
    ("3", (None, "3")),
    ("half a pound of butter", (None, "half a pound of butter")),
    ("", (None, "")),
])
def test_read_quantity(text: str, quantity: tuple[int | None, str]) -> None:
    assert read_quantity(text) == quantity


@pytest.mark.parametrize("text, seconds", [
    ("10 minutes", 600), ("ten minutes", 600), ("a minute", 60), ("an hour", 3600),
    ("an hour and a half", 5400), ("1 hour 30 minutes", 5400), ("1 hour and 30 minutes", 5400),
    ("90 seconds", 90), ("half an hour", 1800), ("a half hour", 1800), ("a minute and a half", 90),
    ("5 mins", 300), ("5 min", 300), ("2 hrs", 7200), ("two and a half hours", 9000), ("1.5 hours", 5400),
    ("1h30m", 5400), ("10min", 600), ("45s", 45), ("quarter of an hour", 900),
    ("three quarters of an hour", 2700), ("a couple of minutes", 120), ("a few minutes", 180),
    ("an hour thirty", 5400), ("twenty five minutes", 1500), ("2 minutes plus 30 seconds", 150),
    ("an hour and a quarter", 4500), ("1:30", 90), ("1:30:00", 5400), ("5 m", 300), ("a day", 86400),
])
def test_read_duration(text: str, seconds: int) -> None:
    assert read_duration(text) == seconds


@pytest.mark.parametrize("text", [
    "", "5", "ten", "minutes", "a", "milk", "5 minutes and 10 minutes", "set a timer for 5 minutes",
    "a m", "1:75",
])
def test_read_duration_none_without_a_whole_duration(text: str) -> None:
    assert read_duration(text) is None


@pytest.mark.parametrize("text, seconds, span", [
    ("set a pasta timer for ten minutes", 600, "ten minutes"),
    ("set a timer for 5 minutes", 300, "5 minutes"),
    ("remind me in an hour and a half please", 5400, "an hour and a half"),
    ("set a second timer for 5 minutes", 300, "5 minutes"),
    ("set timers for 5 minutes and 10 minutes", 300, "5 minutes"),
    ("start a 1h30m timer", 5400, "1h30m"),
    ("a 10 minute egg timer", 600, "10 minute"),
    ("wait a second", 1, "a second"),
    ("how long is left on the half hour timer", 1800, "half hour"),
])
def test_find_duration_gives_the_span_to_cut(text: str, seconds: int, span: str) -> None:
    found = find_duration(text)
    assert found is not None
    assert found[0] == seconds
    assert text[found[1]:found[2]] == span


@pytest.mark.parametrize("text", ["add milk", "set an alarm for 7 am", "the second timer", "what's 5 plus 3", ""])
def test_find_duration_none_without_one(text: str) -> None:
    assert find_duration(text) is None


@pytest.mark.parametrize("text, time", [
    ("7:30", (7, 30)), ("07:05", (7, 5)), ("19:30", (19, 30)), ("7.30", (7, 30)), ("1930", (19, 30)),
    ("half past seven", (7, 30)), ("quarter past 8", (8, 15)), ("a quarter past 8", (8, 15)),
    ("quarter to 8", (7, 45)), ("quarter to one", (12, 45)), ("ten past six", (6, 10)),
    ("twenty five to nine", (8, 35)), ("five minutes past six", (6, 5)),
    ("6 pm", (18, 0)), ("6pm", (18, 0)), ("7:30pm", (19, 30)), ("6 p.m.", (18, 0)), ("at 7:30 a.m.", (7, 30)),
    ("12 am", (0, 0)), ("12 pm", (12, 0)), ("at six", (6, 0)), ("six", (6, 0)), ("six o'clock", (6, 0)),
    ("noon", (12, 0)), ("midday", (12, 0)), ("midnight", (0, 0)), ("seven thirty", (7, 30)),
    ("seven thirty pm", (19, 30)), ("seven oh five", (7, 5)), ("7 in the evening", (19, 0)),
    ("tonight at 7", (19, 0)), ("8 in the morning", (8, 0)),
])
def test_read_clock_time(text: str, time: tuple[int, int]) -> None:
    assert read_clock_time(text) == time


@pytest.mark.parametrize("text", ["", "milk", "13 pm", "25:00", "7:75", "at", "half past", "ten minutes"])
def test_read_clock_time_none_for_what_is_not_a_time(text: str) -> None:
    assert read_clock_time(text) is None


# --- fuzzy ---------------------------------------------------------------------------------------

VOCABULARY = {"add", "to", "my", "the", "shopping", "list", "timer", "set", "a", "for", "minutes", "remove",
              "grocery", "groceries", "cancel", "what's", "on", "lights", "light"}


@pytest.mark.parametrize("said, fixed", [
    ("add milk to my shopping lift", "add milk to my shopping list"),
    ("set a timmer for 5 minutes", "set a timer for 5 minutes"),
    ("add eggs to my shoping list", "add eggs to my shopping list"),
    ("set a timer for 5 minuts", "set a timer for 5 minutes"),
    ("remoove eggs", "remove eggs"),
    ("add milk to the grocerys", "add milk to the grocery"),
    ("turn on the lihgts", "turn on the lights"),
])
def test_correct_puts_near_misses_right(said: str, fixed: str) -> None:
    assert correct(said.split(), VOCABULARY) == fixed.split()


@pytest.mark.parametrize("said", [
    "add milk to my list",           # milk: no vocabulary word near it
    "add oat milk",                  # short words stay
    "set a tmr",                     # under 4 letters
    "add milk to my wishing list",   # wishing: no close word with its first letter
    "add 7up",                       # not letters
])
def test_correct_leaves_other_words(said: str) -> None:
    assert correct(said.split(), VOCABULARY) == said.split()


def test_correct_never_changes_kept_words() -> None:
    assert correct(["lift", "list"], VOCABULARY, keep={"lift"}) == ["lift", "list"]
    assert correct(["lift"], VOCABULARY) == ["list"]


def test_correct_sees_a_vocabulary_that_grew_and_takes_a_frozenset() -> None:
    vocabulary = set(VOCABULARY)
    assert correct(["pantri"], vocabulary) == ["pantri"]
    vocabulary.add("pantry")
    assert correct(["pantri"], vocabulary) == ["pantry"]
    assert correct(["timmer"], frozenset(VOCABULARY)) == ["timer"]


# --- the words file ------------------------------------------------------------------------------


def test_words_are_loaded_once_and_hold_the_english_data() -> None:
    en = words("en")
    assert words() is en
    assert "en" in language.languages()
    assert "um" in en.hesitations
    assert ("can", "you") in en.lead_fillers["can"]
    assert ("thank", "you") in en.tail_fillers["you"]
    assert ("no", "wait") in en.markers["no"] and ("no", "wait") in en.strong_markers
    assert en.counts["dozen"] == 12 and en.ones["seven"] == 7 and en.time_units["hrs"] == 3600
    assert "loaves" in en.quantity_units and en.clock_named[("noon",)] == (12, 0)
    assert en.days_relative[("tomorrow",)] == 1 and en.weekdays["friday"] == 4
    assert "no" in en.answers and "yes" in en.answers  # quoted in YAML, not read as booleans


def test_a_words_file_with_a_bare_boolean_is_refused(tmp_path, monkeypatch) -> None:
    language._load.cache_clear()
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "words.yaml").write_text("answers: [yes, no]\n", encoding="utf-8")
    monkeypatch.setattr(language, "LANG_DIR", tmp_path)
    with pytest.raises(ValueError, match="quote it"):
        words("xx")
    with pytest.raises(FileNotFoundError):
        words("zz")


@pytest.mark.parametrize("name", ["matching.yaml", "words.yaml"])
def test_no_word_list_holds_a_yaml_boolean(name):
    """YAML reads a bare on, off, yes or no as a boolean: in a word list it would never match a word."""
    import yaml

    from hearth.understanding.language import LANG_DIR

    found: list[str] = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            found.extend(f"{path}[{i}]" for i, v in enumerate(node) if isinstance(v, bool))
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(yaml.safe_load((LANG_DIR / "en" / name).read_text(encoding="utf-8")), "")
    assert found == []


@pytest.mark.parametrize("token", ["¹", "²", "٣", "½"])
def test_digits_of_other_scripts_are_no_number_said(token: str) -> None:
    # str.isdigit() takes them, float() does not: a request holding one is read, not a server error
    from hearth.understanding.numbers import read_number
    assert read_number(token) is None
