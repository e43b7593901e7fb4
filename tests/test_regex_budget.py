"""Phrasing lives in sentence files, not in regexes: the project's regex alternatives stay under 300
(issue 24), counted by ``bench/regex_budget.py`` as its docstring says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "regex_budget.py"


def _budget():
    spec = importlib.util.spec_from_file_location("regex_budget", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_code_holds_under_300_regex_alternatives():
    budget = _budget()
    counts = budget.counts()
    assert sum(counts.values()) < budget.BUDGET, counts


def test_the_count_sees_alternatives_and_joined_word_lists(tmp_path):
    budget = _budget()
    path = tmp_path / "m.py"
    path.write_text('"""Doc | with | bars."""\nimport re\nWORDS = ["a", "b", "c"]\n'
                    'X = re.compile("(?:red|green)")\nY = re.compile("|".join(WORDS))\n')
    assert budget.count_file(path) == 1 + 3  # the docstring's bars are not counted
    path.write_text('X = "a|b|c"\n')  # no re import: not a regex module
    assert budget.count_file(path) == 0
