"""Dialogue per session: what the last turns did, so that a follow-up acts on the right thing.

Every call a turn makes (on every tier) is remembered with what it was about and, for a write, the call
that undoes it (``ToolResult.undo``). A turn is read against that before it is routed, by mechanisms,
not phrases (the phrases are hassil sentences in ``understanding/lang/<language>/dialogue.yaml``):

- what the dialogue waits for: the missing argument a call asked for ("How long?" -> "40 minutes"), or
  a yes or no before a destructive call (:meth:`Dialogue.ask`);
- undo and corrections of the last write (:mod:`hearth.turn.corrections`);
- references and more of the same (:mod:`hearth.turn.references`).

The state is kept in memory per session and rebuilt from the session's stored messages (every call,
its result and its undo are stored with the session) the first time a process meets the session, so
it survives a restart without a write of its own on the fast path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hearth.storage import Storage
from hearth.turn import corrections, references
from hearth.turn.dialogue_language import Heard, language, words
from hearth.turn.dialogue_state import State, rebuild
from hearth.turn.follow_up import Context, FollowUp, call, thing_of
from hearth.turn.router import IntentMatch

__all__ = ["Dialogue", "FollowUp"]

# an answer to "How long?" is short; a longer turn is a request of its own
MAX_ANSWER_WORDS = 6
# a turn searched for an undo said among remarks is at most this long
MAX_SPOT_WORDS = 16


class Dialogue:
    """Reads follow-ups against a session's state and records what each call did."""

    # how many stored messages to read back when a process first meets a session
    HISTORY = 24
    # sessions kept in memory; an older one is rebuilt from storage when it speaks again
    KEEP = 1024

    def __init__(self, storage: Storage, language: str = "en") -> None:
        self.storage = storage
        self.language = language
        self._states: OrderedDict[str, State] = OrderedDict()

    # ---- state ------------------------------------------------------------------------------------

    def known(self, session: str) -> bool:
        """The session's state is in memory (else :meth:`load` reads it from storage, blocking)."""
        return session in self._states

    def load(self, session: str) -> State:
        """The session's state, rebuilt from its stored messages once per process (blocking I/O)."""
        if session not in self._states:
            lang = language(self.language)
            history = self.storage.history(session, limit=self.HISTORY)
            self._states[session] = rebuild(history, lambda arguments: thing_of(lang, arguments))
            while len(self._states) > self.KEEP:
                self._states.popitem(last=False)
        self._states.move_to_end(session)
        return self._states[session]

    def remember(self, session: str, tool: str, arguments: Any, result: Any = None,
                 undo: dict[str, Any] | None = None) -> None:
        """Record a call that ran: what it was about becomes what "it" and "too" mean next, and a write
        with an ``undo`` (``{"name": tool, "arguments": {...}}``) can be undone or corrected. A failed
        call's ``result`` is ``{"error": code, "message": text}``."""
        state = self._states.get(session)
        if state is not None:
            lang = language(self.language)
            state.record(tool, arguments, result, undo, lambda a: thing_of(lang, a))

    def ask(self, session: str, match: IntentMatch, question: str) -> None:
        """Hold ``match`` (a destructive call) until the next turn says yes; ``question`` is what was asked."""
        state = self.load(session)
        state.pending = {"kind": "confirm", "tool": match.name, "match": match, "question": question}

    def waiting(self, session: str) -> dict[str, Any] | None:
        """What the session's next turn may answer (for ``hearth.Waiting``): ``{"kind": "confirm" |
        "argument", "question", "tool", "slot"}``, or None."""
        state = self._states.get(session)
        pending = state.pending if state is not None else None
        if not pending:
            return None
        return {"kind": pending["kind"], "question": pending.get("question") or "", "tool": pending.get("tool"),
                "slot": pending.get("slot")}

    # ---- reading a follow-up ----------------------------------------------------------------------

    def resolve(self, session: str, text: str, tools: Any,
                matches: Callable[[str], Any] | None = None,
                asks: Callable[[str], bool] | None = None,
                reads: Callable[[str], Any] | None = None) -> FollowUp | None:
        """The follow-up reading of ``text`` in this session, or None when it stands on its own.

        ``matches`` is the router's tier-1 reading of a text: ``router.match`` (an ``IntentMatch`` or
        None) lets a reference be checked against the call it gives; a bool works, less strictly.
        ``asks`` (``router.asks_something``) says whether a clause may ask for something of its own;
        ``reads`` (``router.first``) reads a reference said again with its remarks around it."""
        state = self.load(session)
        state.turns += 1
        state.undoing.clear()
        pending, state.pending = state.pending, None  # a question is for the next turn only
        ctx = Context(text, words(text), state, tools, language(self.language), matches, asks, reads)
        if not ctx.words:
            return None
        whole = _fits(ctx, ctx.lang.hear(ctx.words))
        in_clause = _hear_a_clause(ctx) if whole is None or whole.intent not in ("yes", "no") else None
        heard = whole or in_clause
        if pending is not None:
            answered, found = _answer(ctx, heard, pending)
            if answered:
                return found
        if state.last() is None:  # nothing said yet that a follow-up could be about
            return _about_nothing(ctx, heard)
        found = _follow_up(ctx, heard)
        if found is None and whole is not None and in_clause is not None and in_clause != whole:
            found = _follow_up(ctx, in_clause)  # "make it 18 the in-laws are coming": the clause says it
        if found is None and heard is None:
            found = _in_a_clause(ctx)
        return found


def _in_a_clause(ctx: Context) -> FollowUp | None:
    """A follow-up said in one clause of the turn, the others remarks ("oh i've just remembered i
    already bought that one could you tick it off"): read when the clauses that say one agree and
    no other clause asks for something of its own."""
    parts = [part for part in _clauses(ctx) if ctx.lang.strip_leads(words(part))[0]]
    if len(parts) < 2:
        return None
    found: list[FollowUp] = []
    for part in parts:
        sub = replace(ctx, text=part, words=words(part), _seen=ctx._seen)
        said = _follow_up(sub, sub.lang.hear(sub.words))
        if said is not None and (said.matches or said.text):
            found.append(said)
        elif _asks(ctx, part):
            return None
    if not found or len({(f.text, tuple((m.name, repr(m.arguments)) for m in f.matches)) for f in found}) != 1:
        return None
    return found[-1]


def _follow_up(ctx: Context, heard: Heard | None) -> FollowUp | None:
    """The mechanism for what was heard: undo, a correction, more of the same, else a reference."""
    heard = heard or corrections.bare_amount(ctx, heard)
    if heard is not None and heard.intent == "more":  # "and make the sugar two bags": the rest says what
        heard = ctx.lang.hear(words(heard.slots.get("thing", ""))) or heard
    if heard is None:
        return references.reference(ctx)
    if heard.intent == "undo":
        return corrections.undo(ctx, heard)
    if heard.intent == "correct":
        found = corrections.correct(ctx, heard)
        if found is None and heard.metadata.get("names_old"):  # "no not fifty, fifteen": not "no" for fifty
            amount = corrections.bare_amount(ctx, None)
            found = corrections.correct(ctx, amount) if amount is not None else None
        return found
    if heard.intent == "more":  # "and how long is left on it": no more of the same, maybe a reference
        return references.more(ctx, heard) or references.reference(ctx)
    if heard.intent == "again":
        return references.again(ctx)
    return None


def _hear_a_clause(ctx: Context) -> Heard | None:
    """A dialogue intent said in one clause of the turn, the rest remarks ("ah sorry, not bought yet, undo
    that", "undo that i didn't get it yet", "actually make it 18, the in-laws are coming"): heard when
    one clause is one and no other clause is a request of its own."""
    parts = [part for part in _clauses(ctx) if ctx.lang.strip_leads(words(part))[0]]  # "no, i mean fifty": "no" says nothing
    heard = [(part, _fits(ctx, ctx.lang.hear(words(part)))) for part in parts]
    found = [h for _, h in heard if h is not None]
    if len({h.intent for h in found}) != 1 or any(h is None and _asks(ctx, part) for part, h in heard):
        return _spotted(ctx) if not found else None  # none, or two things asked ("undo that, and add milk")
    # "would you undo that? i've changed my mind": one intent said twice, the most explicit wins
    return next((h for h in found if h.metadata.get("explicit")), found[0])


def _fits(ctx: Context, heard: Heard | None) -> Heard | None:
    """``heard``, unless it is "x not y" where y names nothing the last write had ("it's not done yet")."""
    if heard is None or not heard.metadata.get("names_old"):
        return heard
    last = ctx.state.last()
    return heard if last is not None and corrections.names_old(ctx, last, heard.slots.get("old", "")) else None


def _clauses(ctx: Context) -> list[str]:
    """The turn's clauses: its sentences and comma-parts, else a request and a remark ("undo that i didn't
    get it yet"), else a remark and a request ("oh i already bought that could you tick it off"); none
    when the turn is one clause."""
    from hearth.understanding.clauses import clauses, remark_cut, request_cut, seam_cut
    parts = clauses(ctx.text, commas=True)
    if len(parts) == 1:
        cut = request_cut(parts[0]) or remark_cut(parts[0]) or seam_cut(parts[0])
        parts = list(cut) if cut is not None else []
    return parts


def _spotted(ctx: Context) -> Heard | None:
    """An undo said inside the turn with only remarks around it, no mark between them ("nvm undo that",
    "undo that grace hasn't been to the shop yet"): the longest such sentence whose words before and
    after ask for nothing of their own."""
    said = ctx.words.split()
    if len(said) > MAX_SPOT_WORDS:
        return None
    from hearth.understanding.language import matching_words
    seams = matching_words(ctx.lang.code)["seams"]

    def pieces(part: list[str]) -> list[str]:  # "undo that and then add milk": "add milk" is a piece
        out: list[list[str]] = [[]]
        for word in part:
            if word in seams:
                out.append([])
            else:
                out[-1].append(word)
        return [" ".join(p) for p in out if p]

    for start, end, heard in ctx.lang.spot(ctx.words):
        rest = [piece for part in (said[:start], said[end:]) for piece in pieces(part)]
        if not any(ctx.lang.strip_leads(part)[0] and _asks(ctx, part) for part in rest):
            return heard
    # a correction said first, a remark after it ("actually oat milk instead priya's gone vegan")
    bare, leads = ctx.lang.strip_leads(ctx.words)
    words_ = bare.split()
    for k in range(len(words_) - 1, 1, -1):
        heard = _fits(ctx, ctx.lang.hear(" ".join(words_[:k])))
        if heard is None or heard.intent != "correct" or (
                heard.metadata.get("amount_only") and ctx.lang.amount(str(heard.slots.get("value", "")))[0] is None):
            continue  # "make that forty minutes her tablets are after lunch": an amount, then a remark
        remark = " ".join(words_[k:])
        if not _asks(ctx, remark) and ctx.lang.hear(remark) is None:
            return Heard(heard.intent, heard.slots, heard.metadata, leads)
    return None


def _asks(ctx: Context, part: str) -> bool:
    """A clause asks for something of its own: a request that is not about what was just said ("i
    didn't get it yet" is about it, a remark), or words that may be one (:attr:`Context.asks`)."""
    said = ctx.request(part)
    if isinstance(said, IntentMatch):
        if _reads(ctx, said.name):
            return False  # "thank you", "what a day": nothing changes for it
        return not any(isinstance(v, str) and ctx.lang.find_reference(words(v)) for v in said.arguments.values())
    return bool(said) or (ctx.asks is not None and ctx.asks(part))


def _reads(ctx: Context, name: str) -> bool:
    """Tool ``name`` changes nothing (a question, small talk)."""
    from hearth.tooling.calls.questions import is_read_tool
    tool = ctx.tool(name)
    return tool is not None and is_read_tool(tool.schema())


def _about_nothing(ctx: Context, heard: Heard | None) -> FollowUp | None:
    """A follow-up with nothing said before it: "undo" has nothing to undo, "make it 7" nothing to
    change, and "remove it" no thing for "it": each a short answer or question, never a guess. A turn
    the router reads as requests of its own is theirs ("get rid of the bin bags and add sponges instead")."""
    if heard is not None and heard.intent == "correct" and ctx.reads is not None and ctx.reads(ctx.text) is not None:
        return None
    if heard is not None and heard.intent == "undo" and heard.metadata.get("explicit"):
        return FollowUp(say=ctx.lang.reply("nothing_to_undo"), reason="nothing to undo")
    if heard is not None and heard.intent == "correct" and not (
            heard.metadata.get("amount_only") and ctx.lang.amount(heard.slots.get("value", ""))[0] is None):
        return FollowUp(say=ctx.lang.reply("what_to_change"), reason="a correction with nothing before it")
    said = ctx.request(ctx.text)
    if isinstance(said, IntentMatch):
        refs = [k for k, v in said.arguments.items() if isinstance(v, str) and ctx.lang.is_reference(words(v))]
        if refs:
            return FollowUp(say=ctx.lang.reply("which_thing", slot=refs[0]), reason=f"{refs[0]!r} refers to nothing")
    return None


def _answer(ctx: Context, heard: Heard | None, pending: dict[str, Any]) -> tuple[bool, FollowUp | None]:
    """The turn read as the answer to what the dialogue waited for: ``(True, follow-up)`` when it was
    one (a follow-up of None: it let the question go), ``(False, None)`` when it is something else."""
    intent = heard.intent if heard is not None else None
    if pending["kind"] == "confirm":
        match = pending["match"]
        if intent == "yes":
            return True, FollowUp(matches=(match,), reason=f"confirmed {match.name}")
        if intent in ("no", "undo"):
            return True, FollowUp(say=ctx.lang.reply("wont"), reason=f"declined {match.name}")
        return False, None
    if intent in ("no", "undo"):
        return True, None  # "never mind": the question goes, the turn is routed as said
    found = _fill(ctx, pending)
    return (True, found) if found is not None else (False, None)


def _fill(ctx: Context, pending: dict[str, Any]) -> FollowUp | None:
    """The answer to the question a call asked ("How long?" -> "40 minutes"): the call again with it."""
    tool, slot = str(pending.get("tool") or ""), str(pending.get("slot") or "")
    if len(ctx.words.split()) > MAX_ANSWER_WORDS or ctx.request(ctx.text) or slot not in ctx.properties(tool):
        return None
    arguments = {**(pending.get("arguments") or {}), slot: ctx.value(ctx.text)}
    if not ctx.valid(tool, arguments):
        return None
    return FollowUp(match=call(tool, arguments, f"the {slot} {tool} asked for"), reason=f"answer to {tool}'s question")
