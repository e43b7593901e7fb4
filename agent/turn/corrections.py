"""Undo and corrections of the last write, from what each write recorded (``ToolResult.undo``).

- **undo** ("undo", "take that back", "put it back"; softer: "never mind", "scratch that", "cancel it"
  right after a write): the undo calls of the last turn's writes, the latest first, as their tools
  reported them ("add jeera and haldi", "undo that": both go). A write without one: "I can't
  undo that." (a soft one may still be a request about the thing: "cancel it" after a question
  about a timer). Nothing at all: "There's nothing to undo.".
- **correction** ("no, I said three", "make it 7", "actually 22", "oat milk instead", "make the sugar two
  bags"): ONE argument of the last write changed, chosen by the value's type against the tool's schema:
  an amount goes to the tool's one number argument, or to a duration argument in the old value's unit
  ("make it 7" after "5 minutes" is "7 minutes"); a text goes to the argument naming the thing. The
  calls: the write's undo, then the changed call. A write without an undo is only run again when its
  tool sets a value (``hints={"sets": True}``); an amount is otherwise said plainly ("change eggs to
  12") and routed; else "I can't change that.".
"""

from __future__ import annotations

from typing import Any

from hearth.turn.dialogue_language import Heard
from hearth.turn.dialogue_state import Call
from hearth.turn.follow_up import Context, FollowUp, call, is_number, is_text, undo_call
from hearth.turn.references import reference
from hearth.turn.router import IntentMatch
from hearth.understanding.language import matching_words

# a thing said as a correction is short ("oat milk instead"); longer is a request of its own
MAX_THING_WORDS = 5


def undo(ctx: Context, heard: Heard) -> FollowUp | None:
    """Reverse the last write (see the module's docstring)."""
    explicit = bool(heard.metadata.get("explicit"))
    last = ctx.state.last_done()  # the things a read named are nothing to undo
    right_after = last is not None and last.turn == ctx.state.turns - 1
    if last is not None and last.undo and (explicit or right_after):
        # every write of that turn, the latest first ("add jeera and haldi", "undo that": both go)
        writes = [c for c in reversed(ctx.state.calls) if c.turn == last.turn and not c.read and c.undo]
        for write in writes:
            ctx.state.expect_undo(write.undo or {})
        found = tuple(m for m in (undo_call(w) for w in writes) if m is not None)
        return FollowUp(matches=found, reason=f"undo of {last.tool}")
    about = reference(ctx)
    if about is not None:
        return about
    if last is None or not (explicit or right_after) or heard.metadata.get("let_go"):
        return FollowUp(say=ctx.lang.reply("nothing_to_undo")) if explicit else None
    return FollowUp(say=ctx.lang.reply("cant_undo"), reason=f"{last.tool} reported no undo")


def bare_amount(ctx: Context, heard: Heard | None) -> Heard | None:
    """"Actually 22", "no, 3": an amount alone after a word of correction reads as a correction."""
    if heard is not None or ctx.state.last() is None:
        return None
    bare, leads = ctx.lang.strip_leads(ctx.words)
    if ctx.text.lstrip()[:1] in ctx.lang.correction_marks:  # "*6": a typed correction
        leads = (*leads, ctx.text.lstrip()[:1])
    if not bare or not (ctx.lang.correction_leads.intersection(leads) or set(leads) & ctx.lang.correction_marks
                        or _puts_aside_last(ctx, bare)):
        return None
    bare = ctx.lang.strip_tail(bare)  # "no fifteen minutes sorry love"
    said = bare.split()
    hedges = matching_words(ctx.lang.code)["amount_hedges"]
    while len(said) > 1 and said[0] in hedges:  # "nah just one"
        said = said[1:]
    bare = " ".join(said)
    cut = next((i for i, w in enumerate(said) if i and w in ctx.lang.negations), None)
    if cut is not None and _amount_alone(ctx, " ".join(said[:cut])):  # "a dozen not one": the new amount first
        bare = " ".join(said[:cut])
    elif said[0] in ctx.lang.negations:  # "no, not fifty, fifteen minutes": the old amount put aside
        bare = next((" ".join(said[k:]) for k in range(2, len(said))
                     if ctx.lang.amount(" ".join(said[1:k]))[0] is not None
                     and ctx.lang.amount(" ".join(said[k:]))[0] is not None), bare)
    if not _amount_alone(ctx, bare):
        return None
    return Heard("correct", {"value": bare}, {}, leads)


def _puts_aside_last(ctx: Context, bare: str) -> bool:
    """"Not four, five": a negation, the last write's amount, then another amount; a correction with no
    word of correction before it."""
    said = bare.split()
    last = ctx.state.last()
    if last is None or len(said) < 3 or said[0] not in ctx.lang.negations:
        return False
    amounts = [v for k, v in last.arguments.items() if is_number(ctx.properties(last.tool).get(k, {}))]
    return any(ctx.lang.amount(" ".join(said[1:k]))[0] in amounts and ctx.lang.amount(" ".join(said[k:]))[0] is not None
               for k in range(2, len(said)))


def _amount_alone(ctx: Context, text: str) -> bool:
    """``text`` is an amount and nothing else: "3", "a dozen", "two bags", "ten minutes"."""
    n, rest = ctx.lang.amount(text)
    return n is not None and (not rest or rest in ctx.lang.units or bool(ctx.lang.seconds(text)))


def _said_value(ctx: Context, value: str) -> str:
    """The new value as said, without what wraps it: the trailing words ("make it 2 then", "6 actually")
    and a correction said inside it ("i'm sorry i meant oat milk" -> "oat milk")."""
    value = ctx.lang.strip_tail(value.strip())
    said = value.split()
    for k in range(len(said) - 1):
        inner = ctx.lang.hear(" ".join(said[k:]))
        found = inner.slots.get("value", "") if inner is not None and inner.intent == "correct" else ""
        if found and len(found.split()) < len(said) and not inner.metadata.get("names_old"):
            return _said_value(ctx, found)
    for k in range(len(said) - 1, 0, -1) if not _amount_alone(ctx, value) else ():  # "forty minutes her
        # tablets are after lunch": an amount, then a remark
        head, rest = " ".join(said[:k]), " ".join(said[k:])
        if (_amount_alone(ctx, head) and len(said) - k > 1 and not _amount_alone(ctx, " ".join(said[:k + 1]))
                and said[k] not in ctx.lang.units and said[k] not in matching_words(ctx.lang.code)["continuations"]
                and not ctx.request(rest) and not (ctx.asks and ctx.asks(rest))):
            return head
    return value


def names_old(ctx: Context, target: Call, old: str) -> bool:
    """``old`` names an argument of ``target``, or words of one ("red" of "red onions")."""
    said = ctx.lang.bare_thing(old).split()
    defaults = {k: s.get("default", 1) for k, s in ctx.properties(target.tool).items()
                if is_number(s) and k not in target.arguments}  # "a dozen not one" after "add eggs"
    for value in [*target.arguments.values(), *defaults.values()]:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if ctx.lang.amount(old)[0] == value:
                return True
        elif isinstance(value, str) and said:
            if ctx.lang.same_thing(old, value) or set(said) <= set(value.lower().split()):
                return True
    return False


def correct(ctx: Context, heard: Heard) -> FollowUp | None:
    """Change one argument of the last write (see the module's docstring)."""
    value = _said_value(ctx, heard.slots.get("value", ""))  # "make it 2 then"
    ref = ctx.lang.find_reference(value)
    if ref is not None and ref[0] == 0:  # "make it 7" read as "make {value}"
        value = " ".join(value.split()[ref[1]:])
    named = _named(ctx, value)
    if named is not None:  # "the sugar two bags": the write that named the sugar, or none
        target, value = _write_about(ctx, named[0]), named[1]
    else:
        target = ctx.state.last()
    if target is None or not value:
        return None
    if heard.metadata.get("names_old") and (not ctx.lang.strip_leads(value)[0]
                                            or not names_old(ctx, target, heard.slots.get("old", ""))):
        return None  # "x not y" where y is nothing the last write had: not a correction of it
    value = _without_old(ctx, target, value)
    if heard.metadata.get("amount_only") and named is None and ctx.lang.amount(value)[0] is None:
        return None  # "make coffee": a request, not a new thing
    change = _change(ctx, target, value)
    if change is None:  # an amount the tool has no place for ("make it 12" after a question)
        n, rest = ctx.lang.amount(value)
        return _restated(ctx, target, _count(n)) if n is not None and not rest else None
    key, new = change
    arguments = {**target.arguments, key: new}
    if arguments == target.arguments or not ctx.valid(target.tool, arguments):
        return None
    changed = call(target.tool, arguments, f"{target.tool} again with {key} {new!r}")
    why = f"correction of {target.tool}: {key} {target.arguments.get(key)!r} -> {new!r}"
    undone = undo_call(target)
    if undone is not None and target.undo:
        ctx.state.expect_undo(target.undo)
        return FollowUp(matches=(undone, changed), reason=why, quiet=1)
    tool = ctx.tool(target.tool)
    if tool is not None and (getattr(tool, "hints", None) or {}).get("sets"):
        return FollowUp(matches=(changed,), reason=why)
    return _restated(ctx, target, new) or FollowUp(say=ctx.lang.reply("cant_change"), reason=why)


def _without_old(ctx: Context, target: Call, value: str) -> str:
    """The new value without the old one said beside it: "pears not apples" -> "pears", "not fifty
    fifteen minutes" -> "fifteen minutes" (the old value is any argument of ``target``)."""
    words = value.split()
    negations = ctx.lang.negations
    olds = [str(v).lower().split() for v in target.arguments.values() if isinstance(v, (str, int, float))]
    for old in olds:
        n = len(old)
        for i in range(len(words)):
            if words[i] in negations and _same(ctx, words[i + 1:i + 1 + n], old):
                rest = words[:i] + words[i + 1 + n:]
                if rest:
                    return " ".join(rest)
    return value


def _same(ctx: Context, said: list[str], old: list[str]) -> bool:
    """``said`` names ``old`` (an amount in other words: "fifty" and "50 minutes" and "50")."""
    if not said:
        return False
    a, b = " ".join(said), " ".join(old)
    if ctx.lang.same_thing(a, b):
        return True
    n, m = ctx.lang.amount(a)[0], ctx.lang.amount(b)[0]
    return n is not None and n == m


def _named(ctx: Context, value: str) -> tuple[str, str] | None:
    """"The sugar two bags" -> ``("the sugar", "two bags")``: a thing and then an amount for it."""
    words = value.split()
    if ctx.lang.amount(value)[0] is not None:  # "a dozen", "two cans": an amount alone
        return None
    for i in range(1, len(words)):
        n, rest = ctx.lang.amount(" ".join(words[i:]))
        if n is not None and (not rest or rest in ctx.lang.units):
            return " ".join(words[:i]), " ".join(words[i:])
    return None


def _write_about(ctx: Context, thing: str) -> Call | None:
    """The latest call of the log about ``thing``."""
    return next((c for c in reversed(ctx.state.calls) if c.thing and ctx.lang.same_thing(c.thing, thing)), None)


def _change(ctx: Context, target: Call, value: str) -> tuple[str, Any] | None:
    """The argument ``value`` changes in ``target``, and its new value; None when it fits none, or
    several."""
    props = ctx.properties(target.tool)
    n, rest = ctx.lang.amount(value)
    durations = [k for k, s in props.items() if is_text(s) and isinstance(target.arguments.get(k), str)
                 and ctx.lang.seconds(target.arguments[k])]
    if n is not None and rest and ctx.lang.seconds(value):  # "10 minutes": a duration of its own
        return (durations[0], value) if len(durations) == 1 else None
    if n is not None and (not rest or rest in ctx.lang.units or ctx.lang.same_thing(rest, target.thing or "")):
        numbers = [k for k, s in props.items() if is_number(s)]
        if len(numbers) == 1:
            return numbers[0], _count(n)
        if not numbers and len(durations) == 1:
            return durations[0], _in_old_unit(ctx, target.arguments[durations[0]], n)
        return None
    if n is None and target.slot in ctx.lang.thing_arguments and len(value.split()) <= MAX_THING_WORDS \
            and not ctx.lang.is_reference(value) and not ctx.request(value):
        return str(target.slot), ctx.value(value)
    return None


def _in_old_unit(ctx: Context, old: str, n: float) -> str:
    """``n`` in the unit of the duration ``old`` ("5 minutes", 7 -> "7 minutes")."""
    count = _count(n)
    _, unit = ctx.lang.amount(old)
    for one, many, _size in ctx.lang.time_units:
        if unit in (one, many):
            return f"{count} {one if n == 1 else many}"
    return f"{count} {ctx.lang.time_unit(ctx.lang.seconds(old) or 0, n)}"


def _restated(ctx: Context, target: Call, new: Any) -> FollowUp | None:
    """A new amount for a write with no undo, said plainly ("change eggs to 12") and routed: kept when
    the router's call carries the thing and the amount."""
    if not target.thing or not isinstance(new, (int, float)) or not ctx.lang.restate_amount:
        return None
    said = ctx.lang.restate_amount.format(thing=target.thing, value=new)
    found = ctx.request(said)
    values = list(found.arguments.values()) if isinstance(found, IntentMatch) else []
    if found is True or (any(v == new for v in values)
                         and any(isinstance(v, str) and ctx.lang.same_thing(v, target.thing) for v in values)):
        return FollowUp(text=said, reason=f"a new amount for {target.thing!r}, said plainly")
    return None


def _count(n: float) -> int | float:
    """A whole number as an int (12.0 -> 12)."""
    return int(n) if float(n).is_integer() else n
