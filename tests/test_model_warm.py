"""The model path is as fast on its first turn as on the next ones, and the ranker's batched scoring
reads the same likelihoods the model gives one context at a time (real Gemma 3 270M)."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest

from hearth import Agent, Backend, Done, Storage, hookimpl
from hearth.pluginmanager import PluginManager
from hearth.plugins.llamacpp.ranker import Ranker, ToolRanker
from hearth.plugins.llamacpp.threads import physical_cores, usable_cpus


def _log_prob(llm, context: list[int], cont: list[int]) -> float:
    """log P(cont | context) read from a model that keeps every position's logits."""
    llm.reset()
    llm.eval(context + cont)
    logits = np.array(llm.scores[len(context) - 1:len(context) - 1 + len(cont)], dtype=np.float64)
    top = logits.max(axis=1)
    lse = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
    return float((logits[np.arange(len(cont)), cont] - lse).sum())


@pytest.mark.slow
async def test_batched_scores_are_the_models_own_likelihoods(home):
    import llama_cpp
    agent = Agent()
    await agent.start()
    try:
        llm = agent.backend().llm
        texts = ["add_to_shopping_list: Add an item.\nExamples:\n- add milk\n- put eggs on my list\n-",
                 "timer_status: Say how long is left.\nExamples:\n- how long is left on the timer\n-",
                 "Requests:\n-"]
        contexts = [llm.tokenize(t.encode(), add_bos=True, special=False) for t in texts]
        ranker = Ranker(llm, contexts, n_threads=physical_cores())
        cont = llm.tokenize(b" put two loaves of bread and a jar of peanut butter on the list", add_bos=False,
                            special=False)
        together = ranker.score(cont)
        again = ranker.score(cont)  # the request's rows were taken out of the cache again
        picked = ranker.score(cont, only=[2, 0])
        ranker.max_rows = len(cont)  # one context per batch
        apart = ranker.score(cont)
        ranker.close()
        reference = llama_cpp.Llama(model_path=str(agent.backend().path), n_ctx=512, logits_all=True,
                                    n_threads=physical_cores(), verbose=False)
        want = [_log_prob(reference, c, cont) for c in contexts]
        reference.close()
    finally:
        await agent.stop()
    assert together == pytest.approx(want, abs=0.5)  # batch shapes change float rounding, nothing more
    assert again == together
    assert picked == pytest.approx([together[2], together[0]], abs=0.5)
    assert apart == pytest.approx(together, abs=0.5)
    assert together[0] > together[1] + 5  # and the scores tell the tools apart


@pytest.mark.slow
async def test_a_loaded_model_has_its_prompt_and_tool_contexts_ready_before_the_first_turn(home):
    agent = Agent()
    await agent.start()  # loads the main model, then prepares it
    try:
        backend = agent.backend()
        ranker = backend._ranker
        assert isinstance(ranker, ToolRanker) and ranker._ranker is not None
        built = ranker._ranker
        done = await agent.ask("please add bread", session="first", tier=3)
        assert done.type == "finished", done
        assert backend._ranker._ranker is built  # the tool contexts were not read again
        timings = done.timings
        assert timings["prompt_tokens"] - timings["cached_tokens"] < 32, timings  # only the request is new
    finally:
        await agent.stop()


@pytest.mark.slow
async def test_threads_default_to_one_per_physical_core_and_models_toml_overrides(home, tmp_path):
    agent = Agent()
    await agent.start()
    try:
        assert agent.backend().llm.n_threads == agent.backend().llm.n_threads_batch == physical_cores()
        name, cfg = agent.model_for("main")
    finally:
        await agent.stop()
    path = tmp_path / "models.toml"
    path.write_text(f'[roles]\nmain = "{name}"\n\n[models.{name}]\nbackend = "llamacpp"\n'
                    f'model = "{cfg.model}"\nn_threads = 1\n')
    agent = Agent(models=path)
    await agent.start()
    try:
        assert agent.backend().llm.n_threads == agent.backend().llm.n_threads_batch == 1
    finally:
        await agent.stop()


def test_physical_cores_counts_each_core_once():
    cores = physical_cores()
    assert 1 <= cores <= len(usable_cpus()) <= (os.cpu_count() or 1)


class _Preparing(Backend):
    """A backend whose ``prepare`` fails: a cold cache must not fail the load."""

    prepared: list = []
    _loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def load(self, progress=None) -> None:
        self._loaded = True

    async def prepare(self, messages, tools) -> None:
        self.prepared.append((messages, [t["function"]["name"] for t in tools]))
        raise RuntimeError("no cache today")

    async def chat(self, messages, tools):
        yield Done()


class _Plugin:
    @hookimpl
    def register_backends(self, register):
        register("preparing", _Preparing)


async def test_a_load_prepares_the_backend_with_the_prompt_and_tools_and_survives_its_failure(tmp_path, caplog):
    path = tmp_path / "models.toml"
    path.write_text('[roles]\nmain = "m"\n\n[models.m]\nbackend = "preparing"\nmodel = "x"\n')
    pm = PluginManager()
    pm.register_module(_Plugin(), "preparing")
    pm.collect()
    agent = Agent(models=path, plugins=pm, storage=Storage("sqlite://"))
    with caplog.at_level(logging.ERROR, logger="hearth.pool"):
        await agent.start()
    try:
        assert agent.backend().loaded
        (messages, tools), = _Preparing.prepared
        assert messages[0]["role"] == "system" and messages[0]["content"]
        assert tools == [t["function"]["name"] for t in agent.tool_schemas()]
        assert "preparing m after its load failed" in caplog.text and "no cache today" in caplog.text
    finally:
        await agent.stop()
