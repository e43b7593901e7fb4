"""Reading the requests of a turn that holds more than one thing: tier 1's clause reading.

A turn that reads as no request whole is read here (the router's :meth:`~hearth.turn.router.Router.match_all`):

- **seams** (:meth:`ClauseReading._split`): "add milk and set a timer", an ellipsis ("add milk to the list and
  eggs"), a thing after the first request ended ("put ibuprofen on the list and a couple of bananas");
- **clauses** (:meth:`ClauseReading._by_clause`): sentence by sentence, then at commas, where a remark or a
  polite request begins (:mod:`hearth.understanding.clauses`); a remark is left out, a clause that may ask
  for something it cannot read sends the turn to the models; "it" and "them" take what the clause before
  named; an amount alone is the amount of the thing before it;
- **spotting** (:meth:`ClauseReading._spotted`): with no mark at all, a request from a tool's verb to where a
  remark begins or a request may end, never after a negation, in a question, or next to a seam.

The words are the language's (``lang/<language>/matching.yaml``); this module names none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hearth.understanding.clauses import clauses, remark_cut, request_cut
from hearth.understanding.language import matching_words
from hearth.understanding.matcher import IntentMatch, Matcher
from hearth.understanding.things import amount_alone

# a clause this short that is no request may open the next ("shopping list: add three lemons")
MAX_OPENING_WORDS = 3
# a clause that names a thing "it" may mean is short ("the bread")
MAX_THING_WORDS = 4


def _pronoun_slot(call: IntentMatch) -> str | None:
    """The argument of ``call`` naming its thing ("item", "name") that holds only a pronoun ("it"), or None."""
    pronouns = matching_words()["pronouns"]
    for slot in ("item", "name"):
        value = call.arguments.get(slot)
        if isinstance(value, str) and value.strip().lower() in pronouns:
            return slot
    return None


def _same_thing(found: list[IntentMatch]) -> list[IntentMatch]:
    """In one sentence, "it" means what the request before it named: "we're out of toilet paper, add it
    to the list" is one add of toilet paper, "add milk and then check it off" checks off milk."""
    out: list[IntentMatch] = []
    for m in found:
        if out:
            before = out[-1].arguments
            slot = _pronoun_slot(m)
            if slot is not None and isinstance(before.get(slot), str):
                m = replace(m, arguments={**m.arguments, slot: before[slot]})
            if any(m.name == o.name and m.arguments == o.arguments for o in out):
                continue  # said twice ("i got the peppers ... so check those off")
        out.append(m)
    return out


class ClauseReading:
    """The router's clause reading (see the module's docstring); :class:`~hearth.turn.router.Router` mixes it in
    and gives it its reader (:meth:`read`), its stages (:meth:`_calls`) and its grammar."""

    grammar: Matcher | None
    tools: Any  # the ToolRegistry: which tools only read
    matchers: list[Any]  # the plugins' own fast paths (match_intent), each text -> a call or None

    def read(self, text: str) -> str:
        raise NotImplementedError

    def _calls(self, cleaned: str, fuzzy: bool = False) -> list[IntentMatch]:
        raise NotImplementedError

    def _by_clause(self, text: str) -> list[IntentMatch] | None:
        """The requests of ``text`` read clause by clause (:mod:`hearth.understanding.clauses`), remarks
        left out: "all done, clear the whole list" clears it, "add coffee we're basically out" adds
        coffee. A clause that reads as a request only once near-misses are corrected makes the whole
        turn the models' (nothing is dropped that may have asked for something). A clause that names a
        thing and nothing else is what "it" means in the next ("the bread, remove it please")."""
        parts = self._clauses_of(text)
        found: list[IntentMatch] = []
        loose: str | None = None  # the last clause that was no request, for "it" in the next
        before: tuple[str, int] | None = None  # the last clause that was a request, and its calls
        for i, part in enumerate(parts):
            calls = self._split(self.read(part), depth=0)
            cut = remark_cut(part) if not calls else None
            if cut is not None and not self._calls(self.read(cut[1]), fuzzy=True):
                calls = self._split(self.read(cut[0]), depth=0)
            opening = request_cut(part) if not calls else None
            if opening is not None and not self.asks_something(opening[0]):  # "oh we're out could you add milk"
                calls = self._split(self.read(opening[1]), depth=0)
            if not calls and before is not None and amount_alone(self.read(part)) is not None:
                # "add eggs. dozen.": an amount alone is the amount of the thing the clause before named
                joined = self._split(self.read(f"{before[0]} {part}"), depth=0)
                if len(joined) == before[1]:
                    del found[-before[1]:]
                    calls = joined
            if not calls and len(parts) == 1:
                calls = self._spotted(part)  # "ben's just back from the shop tick off the milk"
            if calls and before is not None and self._about_the_last(calls, found[-before[1]:]):
                continue  # "stop the timer please, i don't need it": "it" is the timer, no list's thing
            if calls:
                said = found[-before[1]:] if before is not None and loose is None else []
                found.extend(c for call in calls for c in self._them(self._it_is(call, loose), said))
                loose, before = None, (part, len(calls))
            elif len(parts) == 1:
                return []
            elif self.asks_something(part):
                return None  # a clause that may ask for something it could not read: the models' turn
            else:
                thing = remark_cut(part, min_words=1)
                loose = self.read(thing[0] if thing else part) if i < len(parts) - 1 else None
        return _same_thing(found) if found else []

    def _clauses_of(self, text: str) -> list[str]:
        """The clauses :meth:`_by_clause` reads: the sentences, else the comma parts; one clause holding two
        requests cut where the second begins ("i got the peppers on the way home so check those off"); a
        short clause that is no request joined to the next when the two read as one ("add pls: bananas,
        beef jerky, gum", "shopping list: add three lemons")."""
        parts = clauses(text)
        if len(parts) == 1:
            parts = clauses(text, commas=True)
        if len(parts) == 1:
            for cut in (remark_cut(parts[0]), request_cut(parts[0])):
                if cut is not None and self._calls(self.read(cut[1])) and self._calls(self.read(cut[0])):
                    return list(cut)
        for i in range(len(parts) - 2, -1, -1):
            head = self.read(parts[i])
            if len(head.split()) <= MAX_OPENING_WORDS and not self._calls(head):
                joined = f"{head} {self.read(parts[i + 1])}"
                if self._split(joined, depth=0):  # "set two timers: 10 minutes for the rice and 20 for the oven"
                    parts[i:i + 2] = [joined]
        return parts

    def _spotted(self, text: str) -> list[IntentMatch]:
        """A request said inside a clause with remarks around it and no mark between them ("ben's just
        back from the shop tick off the milk and the bread", "remove the biscuits from the list the doctor
        says i must cut down"): it begins at a tool's verb and ends at the clause's end or where a remark
        begins (the language's ``remark_starts``) or after a word a request may end with (``clause_ends``);
        taken when the words before and after it ask for nothing of their own."""
        said = self.read(text).split()
        verbs = self.grammar.grammar.verbs if self.grammar is not None and self.grammar.grammar else {}
        action = set().union(*verbs.values()) - matching_words()["not_verbs"] if verbs else set()
        mine = matching_words()
        starts, stops, negators = mine["remark_starts"], mine["clause_ends"], mine["negators"]
        if said and said[0] in mine["question_starts"]:
            return self._asked_first(said)  # "should we add eggs": a question about a request, not one
        for i in (k for k, word in enumerate(said) if word in action):
            if any(" ".join(said[max(0, i - n):i]) in negators for n in (1, 2, 3)):
                continue  # "don't add milk"
            if said[i - 1:i] == ["to"] and set(said[max(0, i - 4):i - 1]) & mine["reported_leads"]:
                continue  # "tell him to pick up milk": a request for someone else
            # from a verb, to where a remark begins or a request may end
            ends = [len(said), *(k for k in range(len(said) - 1, i + 1, -1)
                                 if said[k] in starts or said[k - 1] in stops)]
            for end in ends:
                if i == 0 and end == len(said):
                    continue  # the whole clause: read already
                if said[end:end + 1] and said[end] in mine["seams"] or said[i - 1:i] and said[i - 1] in mine["seams"]:
                    continue  # "put bread on the list and then plan dinner": what a seam joins may be a request
                if said[end:end + 1] and said[end] in mine["continuations"]:
                    continue  # "set a timer for 7 pm": the request goes on past the word it might end at
                calls = self._split(" ".join(said[i:end]), depth=0)
                rest = [" ".join(said[:i]), " ".join(said[end:])]
                if calls and rest[0] and not (rest[1] and self.asks_something(rest[1])):
                    # "we're out of washing up liquid add it", "scratch the chips add pretzels": two requests
                    before = self._split(rest[0], depth=0)
                    if before:
                        return _same_thing([*before, *(c for call in calls for c in self._them(call, before))])
                if calls and not any(part and self.asks_something(part) for part in rest):
                    return calls
        return []

    def _about_the_last(self, calls: list[IntentMatch], said: list[IntentMatch]) -> bool:
        """Whether ``calls`` only say "it" of what the clause before asked of another plugin's tool: a
        remark about it, not a request of their own tool ("stop the timer please, i don't need it")."""
        def plugin(name: str) -> Any:
            tool = self.tools.get(name)
            return tool.plugin if tool is not None else name
        return bool(said) and all(_pronoun_slot(c) for c in calls) and not (
            {plugin(c.name) for c in calls} & {plugin(c.name) for c in said})

    def _asked_first(self, said: list[str]) -> list[IntentMatch]:
        """A question that changes nothing, said first, a remark after it ("what day is it today
        margaret's asking", "what can you do margaret wants to know"): the longest opening that reads as
        questions only, when the rest asks for nothing."""
        from hearth.tooling.calls.questions import is_read_tool
        for end in range(len(said) - 2, 1, -1):  # a remark is two words at least, not a misheard last word
            calls = self._calls(" ".join(said[:end]))
            tools = [self.tools.get(c.name) for c in calls]
            if calls and all(t is not None and is_read_tool(t.schema()) for t in tools):
                return [] if self.asks_something(" ".join(said[end:])) else calls
        return []

    def asks_something(self, text: str) -> bool:
        """Whether ``text`` may ask for something: it begins with a verb a tool's sentences begin with, it
        reads as a request once near-misses are corrected, or a request is spotted inside it ("so you can
        tick that one off"). A clause that does is never dropped as a remark."""
        cleaned = self.read(text)
        if not cleaned:
            return False
        verbs = self.grammar.grammar.verbs if self.grammar is not None and self.grammar.grammar else {}
        first = cleaned.split()[0]
        if any(first in v for v in verbs.values()):  # "clear the whole list for next week"
            return True
        if self._calls(cleaned, fuzzy=True):
            return True
        return self._depth == 0 and bool(self._spotted_once(text))  # "so you can tick that one off"

    _depth = 0  # how deep asks_something and _spotted call each other (once: a remark's remark is no request)

    def _spotted_once(self, text: str) -> list[IntentMatch]:
        self._depth += 1
        try:
            return self._spotted(text)
        finally:
            self._depth -= 1

    def _them(self, call: IntentMatch, said: list[IntentMatch]) -> list[IntentMatch]:
        """``call`` once per thing the clause before it named, when it says "it" or "them" ("i got the
        peppers and the sour cream so check those off"): the calls the clause before made, read for
        their things."""
        slot = _pronoun_slot(call)
        if slot is not None and said and all(c.name == call.name for c in said):
            return []  # "i need a couple of lemons; please put them on the list": the same request said again
        things = [c.arguments.get(slot) for c in said] if slot is not None else []
        if not things or not all(isinstance(t, str) and t.strip() for t in things):
            return [call]
        return [replace(call, arguments={**call.arguments, str(slot): t}) for t in dict.fromkeys(things)]

    def _it_is(self, call: IntentMatch, thing: str | None) -> IntentMatch:
        """``call`` with "it" as ``thing``, a clause said before it that named a thing and asked nothing."""
        slot = _pronoun_slot(call)
        if slot is None or not thing or len(thing.split()) > MAX_THING_WORDS:
            return call
        return replace(call, arguments={**call.arguments, slot: thing})

    def _split(self, cleaned: str, depth: int) -> list[IntentMatch]:
        whole = self._calls(cleaned)
        if whole or depth > 3:
            return whole
        words = cleaned.split()
        starters = self.grammar.grammar.starters if self.grammar is not None else set()
        seams = matching_words()["seams"]
        for i, word in enumerate(words[1:-1], start=1):
            if word not in seams:
                continue
            j = i + 1
            while j < len(words) - 1 and words[j] in seams:  # "and then", "and also"
                j += 1
            # "... and can you set a timer", "put sugar on the list dear and also ...": each side read again
            left, right = self.read(" ".join(words[:i])), self.read(" ".join(words[j:]))
            # the rest begins a request: a verb of the grammar, or a request a plugin's own matcher reads
            # ("turn off the porch light and lock the back door": the home's sentences know "lock ...")
            if right.split()[:1] and (right.split()[0] in starters or any(m(right) for m in self.matchers)):
                first = self._calls(left) or self._calls(left, fuzzy=True)  # "plese add 3 bell peppers and set ..."
                rest = self._split(right, depth + 1) if first else []
                if first and rest:
                    return _same_thing([*first, *rest])
            if right.split()[:1] and right.split()[0] in starters and right.split()[0] not in matching_words()["not_verbs"]:
                continue  # "add milk and clear out the fridge": a verb of its own, never a thing
            if words[0] in starters and right:  # an ellipsis: the verb of the first request carries over
                first = self._calls(left)
                # the verb carries over, or the rest reads as more of the same on its own ("set two timers
                # 10 minutes for the rice and 20 minutes for the oven")
                rest = (self._calls(f"{words[0]} {right}") or self._calls(right)) if first else []
                if first and rest and rest[0].name == first[-1].name:
                    return _same_thing([*first, *rest])
                joined = self._joined(left, right, first)  # "put ibuprofen on the list and some bananas"
                if joined:
                    return joined
        return []

    def _joined(self, left: str, right: str, first: list[IntentMatch]) -> list[IntentMatch]:
        """``right`` (a thing said after the first request ended) read as one more thing of its slot:
        "put ibuprofen on the list and a couple of bananas" is "put ibuprofen and a couple of bananas on
        the list". Kept only when every call is the first one's tool."""
        from hearth.understanding import read_number, words
        opening = right.split()[:1]
        lang = words()
        if len(first) != 1 or not opening or not (opening[0] in lang.articles or opening[0] in lang.vague
                                                  or read_number(opening[0]) is not None) or self._calls(right):
            return []  # only a thing said with its amount ("and a couple of bananas"), never "and then plan dinner"
        things = [v for k, v in first[0].arguments.items()
                  if isinstance(v, str) and k in matching_words()["thing_arguments"] and f" {v} " in f" {left} "]
        if len(things) != 1:
            return []
        said = f" {left} ".replace(f" {things[0]} ", f" {things[0]} and {right} ", 1).strip()
        calls = self._calls(said)
        return calls if len(calls) > 1 and all(c.name == first[0].name for c in calls) else []
