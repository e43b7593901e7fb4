"""Which item on the list a said name means: the tools' check of an item against what the list holds.

A name is read against the rows, most certain first:

1. the same item (case and plural aside): "Bread", "breads";
2. a listed item said with words around it that are not part of a name: words before it that only
   point ("away the bread", "the"), and anything after it, a remark ("bread i just picked up",
   "tomato now"). The longest listed name wins; a modifier in front ("chocolate milk") is part of a
   name, so it never matches "milk";
3. listed items whose name ends in the said one ("milk" -> "oat milk", "whole milk"): more than one, or a
   write on a guess, is a question back ("Which one: whole milk or oat milk?"), never a pick.

What matches nothing is not on the list; when the list is short the answer names what is there, as a
question ("Cheese is not on your shopping list. Did you mean cheddar or mozzarella?"). A question's
error code ends in ``_ambiguous``: the dialogue waits for the answer as the missing argument.
"""

from __future__ import annotations

from collections.abc import Sequence

from hearth import ToolError

from .items import clean_name, item_key, singular, word_list
from .store import ShoppingItem

# how many items a "did you mean" names at most
MAX_CHOICES = 4


def _words(name: str) -> list[str]:
    return [singular(w) for w in item_key(name).split()]


def _within(said: list[str], listed: list[str]) -> bool:
    """``listed`` appears in ``said`` after pointing words only, anything after it."""
    n = len(listed)
    pointing = word_list("shop_pointing_words")
    for i in range(len(said) - n + 1):
        if said[i:i + n] == listed:
            return all(w in pointing for w in said[:i])
        if said[i] not in pointing:
            return False
    return False


def _without_measure(name: str) -> str:
    """``"tins of beans"`` -> ``"beans"``: a name said with a measure before it, the measure dropped."""
    from hearth.kit import read_quantity
    amount, rest = read_quantity(f"a {name}")
    return rest if amount is not None and rest and len(rest.split()) < len(name.split()) else name


def _inside(said: list[str], listed: list[str]) -> bool:
    """``listed`` appears anywhere in ``said``."""
    n = len(listed)
    return any(said[i:i + n] == listed for i in range(len(said) - n + 1))


def _choices(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def lookup(rows: Sequence[ShoppingItem], item: str, *, guess: bool = False) -> ShoppingItem:
    """The row ``item`` means (see the module's docstring). ``guess``: a lone item whose name ends in the
    said one is taken (for questions, which change nothing); a write asks instead.

    Raises ``ToolError`` with ``item_not_found`` or ``item_ambiguous`` (a question back)."""
    name = clean_name(item)
    key = item_key(name)
    exact = next((r for r in rows if r.key == key), None)
    if exact is not None:
        return exact
    said = _words(name)
    within = sorted((r for r in rows if _within(said, _words(r.name))), key=lambda r: -len(r.key.split()))
    named = [r for r in rows if _inside(said, _words(r.name))]
    named = [r for r in named if not any(o.key != r.key and _inside(_words(o.name), _words(r.name)) for o in named)]
    if len({r.key for r in named}) > 1 and within:  # "the eggs the bread": two listed things said, not one
        raise ToolError(f"Which one: {_choices([r.name for r in named][:MAX_CHOICES])}?", "item_ambiguous")
    if within and (len(within) == 1 or len(within[0].key.split()) > len(within[1].key.split())):
        return within[0]
    holding = [r for r in rows if _words(r.name)[-len(said):] == said]
    if len(holding) == 1 and guess:
        return holding[0]
    if holding:
        names = [r.name for r in holding][:MAX_CHOICES]
        question = f"Did you mean {names[0]}?" if len(names) == 1 else f"Which one: {_choices(names)}?"
        raise ToolError(question, "item_ambiguous")
    bare = _without_measure(name)
    if bare != name:  # "tins of beans" -> "beans": the measure is no part of the name
        return lookup(rows, bare, guess=guess)
    missing = f"{name[:1].upper()}{name[1:]} is not on your shopping list."
    open_rows = [r.name for r in rows if not r.checked]
    if guess or not 2 <= len(open_rows) <= MAX_CHOICES:
        raise ToolError(missing, "item_not_found")
    raise ToolError(f"{missing} Did you mean {_choices(open_rows)}?", "item_ambiguous")
