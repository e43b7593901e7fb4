"""Sentences as data: a plugin's sentences/en.yaml becomes tier 1 with no code of its own.

A real single-file plugin in a temp plugins folder registers two tools and a sentence folder; the
real plugin manager, agent, hassil grammar and SQLite storage run it. Checked: the file compiles
and matches; slots get their argument's type ("two" is 2 for an integer); a wildcard naming
several things is one call per thing with each amount; a destructive tool runs on a strict match
and only asks on a fuzzy one; two requests in one sentence both run (and an ellipsis "and another
for ..." takes the first request's verb); a bad sentence file or a missing folder costs only itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth import Agent, ToolCalled, ToolReturned, TurnFinished
from hearth.config import ModelConfig, ModelsFile, Roles
from hearth.pluginmanager import PluginManager
from hearth.storage import Storage

PLUGIN = '''
from pathlib import Path
from hearth import hookimpl, ToolResult

PANTRY = {}

def stock_jar(thing: str, count: int = 1) -> ToolResult:
    """Put jars of a thing in the pantry.

    Args:
        thing: What the jars hold.
        count: How many jars.
    """
    before = PANTRY.get(thing, 0)
    PANTRY[thing] = before + count
    return ToolResult({"thing": thing, "jars": PANTRY[thing]}, say=f"{PANTRY[thing]} jars of {thing}.",
                      undo=("empty_pantry", {}))

def empty_pantry() -> str:
    """Take every jar out of the pantry."""
    PANTRY.clear()
    return "The pantry is empty."

@hookimpl
def register_tools(register):
    register(stock_jar)
    register(empty_pantry, destructive=True)

@hookimpl
def register_sentences(register):
    register(Path(__file__).parent / "pantry_sentences")
'''

SENTENCES = '''
language: en
intents:
  stock_jar:
    data:
      - sentences:
          - "(stock|store) {pantry_things:thing} in [the] <pantry>"
        metadata: {each: thing, count: count}
      - sentences:
          - "(stock|store) {count} jars of {thing} in [the] <pantry>"
  empty_pantry:
    data:
      - sentences: ["empty [the] <pantry>"]
lists:
  pantry_things: {wildcard: true}
  thing: {wildcard: true}
  count: {range: {from: 1, to: 50}}
expansion_rules:
  pantry: "(pantry|larder)"
'''


@pytest.fixture
def agent(tmp_path, monkeypatch) -> Agent:
    folder = tmp_path / "plugins"
    (folder / "pantry_sentences").mkdir(parents=True)
    (folder / "pantry.py").write_text(PLUGIN)
    (folder / "pantry_sentences" / "en.yaml").write_text(SENTENCES)
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "pantry")
    pm = PluginManager()
    pm.load(directory=folder)
    assert pm.errors == {}
    models = ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")})
    return Agent(models=models, plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))


async def _turn(agent: Agent, text: str) -> tuple[list, TurnFinished]:
    events = [e async for e in agent.turn(text, session="s")]
    calls = [(e.name, e.arguments) for e in events if isinstance(e, ToolCalled)]
    done = events[-1]
    assert isinstance(done, TurnFinished), done
    return calls, done


async def test_a_sentence_file_is_tier_one_with_typed_slots(agent):
    calls, done = await _turn(agent, "Store two jars of plums in the larder, please.")
    assert calls == [("stock_jar", {"thing": "plums", "count": 2})]
    assert done.tier == 1 and done.text == "2 jars of plums."


async def test_a_wildcard_naming_several_things_is_one_call_each(agent):
    calls, _ = await _turn(agent, "stock plums, a dozen pickles and three figs in the pantry")
    assert calls == [("stock_jar", {"thing": "plums"}), ("stock_jar", {"thing": "pickles", "count": 12}),
                     ("stock_jar", {"thing": "figs", "count": 3})]


async def test_a_destructive_tool_runs_on_a_strict_match(agent):
    await _turn(agent, "stock plums in the pantry")
    events = [e async for e in agent.turn("empty the pantry", session="s")]
    returned = [e for e in events if isinstance(e, ToolReturned)]
    assert [(r.name, r.ok) for r in returned] == [("empty_pantry", True)]


async def test_a_destructive_tool_asks_first_on_a_fuzzy_match(agent):
    calls, done = await _turn(agent, "empty the pantri")
    assert calls == [("empty_pantry", {})]
    assert done.text == "Should I take every jar out of the pantry?"
    assert agent.intents.strict("empty the pantri") == ()


async def test_two_requests_in_one_sentence_both_run_and_an_ellipsis_takes_the_verb(agent):
    calls, _ = await _turn(agent, "store 2 jars of jam in the pantry and 3 jars of honey in the larder")
    assert calls == [("stock_jar", {"thing": "jam", "count": 2}), ("stock_jar", {"thing": "honey", "count": 3})]


async def test_a_write_reports_its_undo(agent):
    events = [e async for e in agent.turn("stock plums in the pantry", session="s")]
    returned = next(e for e in events if isinstance(e, ToolReturned))
    assert returned.undo == {"name": "empty_pantry", "arguments": {}}
    history = agent.storage.history("s")
    stored = next(m for m in history if m.get("tool_calls"))["tool_calls"][0]
    assert stored["undo"] == {"name": "empty_pantry", "arguments": {}}


def test_a_broken_sentence_file_costs_only_itself(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "plugins"
    (folder / "pantry_sentences").mkdir(parents=True)
    (folder / "pantry.py").write_text(PLUGIN)
    (folder / "pantry_sentences" / "en.yaml").write_text("intents: [this is: not: yaml")
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "pantry,shopping_list")
    pm = PluginManager()
    pm.load(directory=folder)
    agent = Agent(models=ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")}),
                  plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))
    assert agent.intents.strict("add milk to the shopping list")[0].name == "add_to_shopping_list"
    assert agent.intents.strict("empty the pantry") == ()
    assert "cannot be read" in caplog.text


def test_a_sentence_folder_that_is_not_there_blocks_its_plugin(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "pantry.py").write_text(PLUGIN)  # no pantry_sentences folder
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "pantry")
    pm = PluginManager()
    pm.load(directory=folder)
    assert "is no folder" in pm.errors["pantry"]
    assert pm.tools.names() == []


def test_lists_two_files_define_differently_keep_the_first(tmp_path, caplog):
    from hearth.understanding.sentences import merge
    a = {"lists": {"color": {"values": ["red"]}}, "intents": {"paint": {"data": [{"sentences": ["paint {color}"]}]}}}
    b = {"lists": {"color": {"values": ["blue"]}}, "intents": {"paint": {"data": [{"sentences": ["dye {color}"]}]}}}
    merged = merge([("a.yaml", a), ("b.yaml", b)], "en")
    assert merged["lists"]["color"] == {"values": ["red"]}
    assert [d["sentences"] for d in merged["intents"]["paint"]["data"]] == [["paint {color}"], ["dye {color}"]]
    assert "b.yaml" in caplog.text and "color" in caplog.text


def test_vocabulary_and_starters_come_from_the_templates():
    from hearth.understanding.sentences import vocabulary
    words, starters = vocabulary({"intents": {"x": {"data": [{"sentences": [
        "(stock|store) {thing} in [the] <pantry>", "[please] empty <pantry>"]}]}},
        "expansion_rules": {"pantry": "(pantry|larder)"}})
    assert {"stock", "store", "in", "the", "pantry", "larder", "empty"} <= words
    assert starters == {"stock", "store", "please", "empty"}


def test_the_plugin_manager_lists_the_sentence_folders(tmp_path, monkeypatch):
    folder = tmp_path / "plugins"
    (folder / "pantry_sentences").mkdir(parents=True)
    (folder / "pantry.py").write_text(PLUGIN)
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "pantry")
    pm = PluginManager()
    pm.load(directory=folder)
    assert pm.sentence_folders() == [Path(folder / "pantry_sentences")]
    assert pm.info["pantry"].sentences == [str(folder / "pantry_sentences")]


@pytest.mark.parametrize(("said", "things"), [
    ("salt and pepper chips", ["salt and pepper chips"]),
    ("coffee filters paper towels and dish soap", ["coffee filters", "paper towels", "dish soap"]),
    ("onions carrots and celery", ["onions", "carrots", "celery"]),
    ("brussels sprouts and apples", ["brussels sprouts", "apples"]),
    ("2 bags of frozen peas and rice", ["2 bags of frozen peas", "rice"]),
    ("green beans", ["green beans"]),
    ("chocolate chip cookies", ["chocolate chip cookies"]),
])
def test_a_list_said_in_one_breath_is_read_into_things(said, things):
    from hearth.understanding.things import split_things
    whole = frozenset({"salt and pepper", "brussels sprouts"})
    assert split_things(said, "en", whole) == things


def test_the_fuzzy_stage_corrects_only_where_the_grammar_says_the_pair():
    from hearth.understanding.fuzzy import correct_in_context
    vocab = {"add", "to", "my", "shopping", "list", "left", "timer", "mail"}
    pairs = {("shopping", "list"), ("my", "shopping"), ("a", "timer"), ("turn", "left")}
    assert correct_in_context("add milk to my shopping lift".split(), vocab, pairs) == \
        "add milk to my shopping list".split()  # "milk" is no "mail": "add mail" is no pair of the grammar
    assert correct_in_context("set a timmer".split(), vocab, pairs) == "set a timer".split()


def test_word_pairs_follow_alternatives_optionals_and_rules():
    from hearth.understanding.sentences import word_pairs
    pairs = word_pairs({"intents": {"x": {"data": [{"sentences": ["(add|put) {item} [on|to] <list>"]}]}},
                        "expansion_rules": {"list": "[my|the] (shopping|grocery) list"}})
    assert {("on", "my"), ("to", "the"), ("on", "shopping"), ("my", "grocery"), ("shopping", "list")} <= pairs
    assert ("add", "on") not in pairs  # a slot stands between them


def test_a_tool_with_sentences_gets_its_plainest_sentences_as_examples(agent):
    agent.intents.build()
    tool = agent.tools.get("stock_jar")
    assert tool.examples == ["(stock|store) {thing} in ((pantry|larder))",
                             "(stock|store) {count} jars of {thing} in ((pantry|larder))"]


async def test_a_misheard_carrier_is_read_by_the_fuzzy_stage_not_stored_in_the_slot(agent):
    calls, _ = await _turn(agent, "stock plums in the panty")
    assert calls == [("stock_jar", {"thing": "plums"})]


def test_the_readme_sentence_file_example_works_as_written(tmp_path, monkeypatch):
    import re
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    code = re.search(r"<!-- plugin-example -->\s*```python\n(.*?)```", readme, re.S).group(1)
    yaml_text = re.search(r"```yaml\n(# dice/sentences/en.yaml.*?)```", readme, re.S).group(1)
    hook = re.search(r"```python\n(@hookimpl\ndef register_sentences.*?)```", readme, re.S).group(1)
    folder = tmp_path / "plugins"
    (folder / "sentences").mkdir(parents=True)
    (folder / "sentences" / "en.yaml").write_text(yaml_text)
    (folder / "dice.py").write_text("from pathlib import Path\n" + code + "\n\n" + hook)
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "dice")
    pm = PluginManager()
    pm.load(directory=folder)
    assert pm.errors == {}
    agent = Agent(models=ModelsFile(roles=Roles(main="m"), models={"m": ModelConfig(backend="absent", model="x")}),
                  plugins=pm, storage=Storage(f"sqlite:///{tmp_path}/t.db"))
    for said, count in (("roll two dice", 2), ("Throw a couple of dice, please", 2), ("roll 5 dice", 5)):
        (match,) = agent.router.match_all(said)
        assert (match.name, match.arguments) == ("roll_dice", {"count": count}), said
    assert agent.router.match_all("roll the dice")[0].arguments == {}


def test_a_models_call_that_contradicts_what_was_said_is_refused(agent):
    agent.intents.build()
    empty, stock = agent.tools.get("empty_pantry"), agent.tools.get("stock_jar")
    assert agent.intents.disagrees("please empty the larder", stock) is not None  # says another tool's verb
    assert agent.intents.disagrees("store some jam", stock) is None
    assert agent.intents.disagrees("we are low on jam", stock) is None  # no verb of either: the model's call stands
    assert agent.intents.disagrees("empty the larder", empty) is None


async def test_the_runner_refuses_a_model_call_that_does_not_fit_the_request(agent):
    ctx = agent.tool_context("s", "t")
    import dataclasses
    said = dataclasses.replace(ctx, said="empty the larder now")
    refused = await agent.runner.run("stock_jar", {"thing": "jam"}, said)
    assert (refused.ok, refused.error_code) == (False, "not_what_was_said")
    ran = await agent.runner.run("stock_jar", {"thing": "jam"}, dataclasses.replace(ctx, said="store jam"))
    assert ran.ok
