"""Understanding: how a request becomes calls, the same for every tier and face.

``normalise`` (fillers, the assistant's names, self-repairs) -> the numbers reader (numbers,
amounts, durations, clock times) -> :class:`Matcher` (the grammar of every plugin's sentence files:
strict, then fuzzy) -> typed calls. English lives in ``lang/en/*.yaml`` and in the plugins'
``sentences/en.yaml``, not in this code.
"""

from hearth.understanding.fuzzy import correct
from hearth.understanding.language import Words, words
from hearth.understanding.normalise import normalise
from hearth.understanding.numbers import find_duration, read_clock_time, read_duration, read_number, read_quantity

__all__ = ["Words", "correct", "find_duration", "normalise", "read_clock_time", "read_duration", "read_number",
           "read_quantity", "words"]
