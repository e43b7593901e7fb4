"""References and more of the same: "remove it", "check them off", "the last thing", "and bread too".

- a reference ("it", "that one", "them", "the last thing") means what the last call was about ("them":
  every thing the last turn named with that tool). A request that reads as one already, with the
  reference where a thing goes, gets the thing put in; otherwise the reference is said again as the
  thing ("remove it" -> "remove eggs", "cancel it" -> "cancel the pasta timer") and routed, kept only
  when the router's call carries the thing;
- more of the same ("and bread", "what about eggs", "sugar too") is the last tool again with the new
  thing in the argument that named the old one (an amount said with it goes to the tool's one
  number argument: "and two lemons");
- the same again ("another one", "same again") is the last write once more, right after it.
"""

from __future__ import annotations

from typing import Any

from hearth.turn.dialogue_language import Heard, words
from hearth.turn.dialogue_state import Call
from hearth.turn.follow_up import Context, FollowUp, call, is_number
from hearth.turn.router import IntentMatch
from hearth.understanding.clauses import remark_cut
from hearth.understanding.language import matching_words
from hearth.understanding.slot_text import without_tail
from hearth.understanding.things import each_thing

# a follow-up longer than this is a request of its own, not a reference to the last one
MAX_WORDS = 14


def reference(ctx: Context) -> FollowUp | None:
    """The turn's reference read as the last call's thing, or None (see the module's docstring)."""
    last = ctx.state.last()
    bare, _ = ctx.lang.strip_leads(ctx.words)  # "no wait, take it off again": the request is the rest
    cut = remark_cut(bare)
    if cut is not None and ctx.request(bare) is None and not (ctx.asks and ctx.asks(cut[1])):
        bare = cut[0]  # "mark them as bought i got some": the remark is no part of the request
    found = ctx.lang.find_reference(bare)
    if last is None or last.thing is None or found is None or len(bare.split()) > MAX_WORDS:
        return None
    start, end, plural = found
    head = " ".join(bare.split()[:start])
    if len(head.split()) > 1 and isinstance(ctx.request(head), IntentMatch):
        return None  # "mark the doritos as bought we got them": "them" is what this sentence named first
    named = [c for c in ctx.state.last_turn() if c.thing] if plural else [last]
    things = list(dict.fromkeys(str(c.thing) for c in named))
    phrase = " and ".join(things)
    said = ctx.request(bare)
    if isinstance(said, IntentMatch):
        return _filled(ctx, said, named, phrase)
    why = f"follow-up on {phrase!r}"
    tokens = bare.split()
    for form in _phrasings(ctx, phrase, last.tool):
        rewritten = " ".join([*tokens[:start], form, *tokens[end:]])
        routed = ctx.request(rewritten)
        if isinstance(routed, IntentMatch) and _restates(routed, last):
            return None  # "make it fifty" read as "make the fifteen minutes timer": the last write again
        if routed is True or (isinstance(routed, IntentMatch) and _carries(ctx, routed, things)):
            return FollowUp(text=rewritten, reason=why)
    for form in _phrasings(ctx, phrase, last.tool) if ctx.reads is not None else ():
        rewritten = " ".join([*tokens[:start], form, *tokens[end:]])  # "cancel the oven timer not supposed
        routed = ctx.reads(rewritten)  # to be on yet": the request with its remark
        if isinstance(routed, IntentMatch) and _carries(ctx, routed, things) and not _restates(routed, last):
            return FollowUp(text=rewritten, reason=why)
    return None


def _restates(routed: IntentMatch, last: Call) -> bool:
    """The rewritten request is the last write again, word for word: a reference read into a new request
    for what was just done ("make it fifty" -> "make the fifteen minutes timer"), not about it."""
    return not last.read and routed.name == last.tool and routed.arguments == last.arguments


def _filled(ctx: Context, said: IntentMatch, named: list[Call], phrase: str) -> FollowUp | None:
    """A request that reads as one already: a reference in its arguments becomes the thing (one call
    per thing "them" names); a tool that takes the argument that named the last thing, and was not
    given it, gets it ("how long is left on it" -> the pasta timer). None when neither: the request
    stands on its own ("what time is it")."""
    refs = [k for k, v in said.arguments.items() if isinstance(v, str) and ctx.lang.is_reference(words(v))]
    last = named[-1]
    if not refs and last.slot and last.slot not in said.arguments and last.slot in ctx.properties(said.name):
        refs = [last.slot]
    if not refs:
        return None
    calls = []
    for past in named:
        arguments = dict(said.arguments)
        for key in refs:  # the same argument of the past call, else the thing it was about
            value = past.arguments.get(key)
            arguments[key] = value if isinstance(value, str) and value.strip() else past.thing
        if not ctx.valid(said.name, arguments):
            return None
        calls.append(call(said.name, arguments, f"{said.source} ({', '.join(refs)}: {past.thing!r})"))
    return FollowUp(matches=tuple(calls), reason=f"follow-up on {phrase!r}")


def _phrasings(ctx: Context, phrase: str, tool: str) -> list[str]:
    """The ways to say the thing again, in the language's order, each once."""
    out: list[str] = []
    for form in ctx.lang.reference_phrasings:
        for word in (tool.split("_") if "{tool_word}" in form else [""]):
            said = form.format(thing=phrase, tool_word=word)
            if said not in out:
                out.append(said)
    return out


def _carries(ctx: Context, found: IntentMatch, things: list[str]) -> bool:
    """The router's call has one of ``things`` as an argument (so the reference went where it belongs)."""
    return any(isinstance(v, str) and any(ctx.lang.same_thing(v, t) for t in things) for v in found.arguments.values())


def more(ctx: Context, heard: Heard) -> FollowUp | None:
    """"And bread", "what about eggs": the last tool again with another thing (see the module's docstring)."""
    last = ctx.state.last()
    if last is None or last.slot not in ctx.lang.thing_arguments:
        return None
    thing = ctx.value(heard.slots.get("thing", ""))
    mine = matching_words(ctx.lang.code)
    if not thing or len(thing.split()) > 6 or ctx.lang.is_reference(thing) or thing in ctx.lang.not_things \
            or thing.split()[0] in mine["not_a_slot_start"] | mine["remark_starts"] or ctx.request(thing):
        return None  # "and add chocolate": a request of its own; "and remind me what else": a question
    if len(thing.split()) > 1 and thing.split()[0] in ctx.lang.more_verbs:
        thing = " ".join(thing.split()[1:])  # "and put onions too, four of them": more of the same, its verb said
    numbers = [k for k, s in ctx.properties(last.tool).items() if is_number(s)]
    thing, same = _same_amount(ctx, thing, last, numbers)
    try:  # the things read as a slot's are ("and cilantro too two bunches", "and eggs and a loaf of bread")
        calls = each_thing({last.slot: thing}, last.slot, numbers[0] if len(numbers) == 1 else None, set(), ctx.lang.code)
    except ValueError:
        return None
    if same is not None and len(calls) == 1:
        calls[0][numbers[0]] = same
    if not calls or not all(ctx.valid(last.tool, arguments) for arguments in calls):
        return None
    return FollowUp(matches=tuple(call(last.tool, arguments, f"{last.tool} again with {thing!r}") for arguments in calls),
                    reason=f"follow-up on {last.thing!r}")



def _same_amount(ctx: Context, thing: str, last: Call, numbers: list[str]) -> tuple[str, Any]:
    """A thing without "same quantity" after it, and the last write's amount it asks for ("and tomatoes
    also same quantity" after "add three kilos of onions": three tomatoes)."""
    said = thing.split()
    for n in range(len(said) - 1, 0, -1):
        if " ".join(said[n:]) in ctx.lang.same_amounts and len(numbers) == 1:
            head = without_tail(" ".join(said[:n]), matching_words(ctx.lang.code)["slot_tails"])  # "also"
            return head, last.arguments.get(numbers[0])
    return thing, None


def again(ctx: Context) -> FollowUp | None:
    """"Another one", "same again": the last write once more, right after it, its amount left to the
    tool ("another one" after "add two milk" adds one). Only a write that can be undone is repeated (a
    removal or a check-off has nothing to do twice)."""
    last = ctx.state.last_done()
    if last is None or not last.undo or last.turn != ctx.state.turns - 1:
        return None
    props = ctx.properties(last.tool)
    arguments = {k: v for k, v in last.arguments.items() if not is_number(props.get(k, {}))}
    if not ctx.valid(last.tool, arguments):
        return None
    return FollowUp(match=call(last.tool, arguments, f"{last.tool} again"), reason=f"{last.tool} once more")
