"""The shopping list: add, remove, check off, find, read and clear items (its own SQLModel table).

Items are matched case- and plural-tolerantly: "Bread", "bread" and "breads" are one item.
Quantities inside the item text are understood: "2 loaves of bread" is bread x2. A request may name
several items ("milk, eggs and two loaves of bread"): each is its own item; names that are one thing
("mac and cheese", "salt and pepper chips") stay whole.

The package: ``items`` reads items and quantities out of requests, ``store`` is the table,
``tools`` the seven tools; this module registers them.
"""

from __future__ import annotations

from hearth import RegisterTool, hookimpl

from .items import item_key, split_items, split_quantity
from .store import ShoppingItem
from .tools import (
    add_to_shopping_list,
    check_off_shopping_list,
    clear_shopping_list,
    get_shopping_list,
    is_on_shopping_list,
    remove_from_shopping_list,
    set_shopping_list_quantity,
)

__version__ = "0.2.0"
__all__ = ["ShoppingItem", "add_to_shopping_list", "check_off_shopping_list", "clear_shopping_list",
           "get_shopping_list", "is_on_shopping_list", "item_key", "remove_from_shopping_list",
           "set_shopping_list_quantity", "split_items", "split_quantity"]


_ITEMS = ["cereal", "paper towels", "soap", "ketchup", "grapes", "honey", "spinach", "mustard"]
_LIST = "[my|the|our] [shopping|grocery] list"


@hookimpl
def register_tools(register: RegisterTool) -> None:
    slots = {"item": _ITEMS, "quantity": [2, 3, 6]}
    # intents: Home Assistant's own English sentences for these intents match too (tier 1); the
    # templates here are tried first, so "remove/delete X from the list" removes rather than checks off.
    # {item} may name several things ("milk and two loaves of bread"): the tool splits them.
    register(add_to_shopping_list, slot_values=slots, intents={"HassShoppingListAddItem": None}, examples=[
        f"add {{item}} [to {_LIST}]", f"add (to|on) {_LIST} {{item}}", f"(put|stick|toss|throw|pop|chuck|bung|whack|slap) {{item}} (on|onto) {_LIST}",
        "(jot|note) down {item}",
        "we need [to (buy|get)] {item}", f"(we|I) need {{item}} (on|for) {_LIST}", "I need to (buy|get|pick up) {item}", "need more {item}", "I need {item}",
        "(we're|we are|I'm|I am) [running|almost|all] (out of|low on) {item}",
        "(we've|we have|I've|I have|we|I) (run|ran) out of {item}", "[we're|we are] out of {item}",
        "(can|could) (we|I) (get|buy|grab) {item}", "(buy|grab|get) {item} [next time|at the (store|shop)|later]",
        "we could use [some|more] {item}", "pick up {item} [on the way home|at the (store|shop)|later|next time]",
        "(put|write) down {item}",
        "remember [to (get|buy|pick up)] {item}", "remind me to (get|buy|pick up) {item}",
        "don't [let me] forget [to (get|buy|pick up)] {item}", "write down {item}", "(buy|get) more {item}",
        f"(put|write) {{item}} (on|down on) {_LIST}"])
    register(remove_from_shopping_list, slot_values=slots, intents={"HassShoppingListRemoveItem": None}, examples=[
        f"(remove|delete|drop) {{item}} [(from|on|off|in) {_LIST}]", f"take {{item}} off [{_LIST}]", "take off {item}",
        f"scratch {{item}} [off {_LIST}]", "(forget [about]) {item}", f"get rid of {{item}} [(on|from) {_LIST}]",
        "(we|I) (don't|do not) need {item} [any more|anymore]", "no more {item}",
        "no need for {item} [any more|anymore]", "(we|I) (have|got) enough {item} [now]"])
    register(check_off_shopping_list, slot_values=slots, intents={"HassShoppingListCompleteItem": None}, examples=[
        f"check off {{item}} [(on|from) {_LIST}]", f"check {{item}} off [{_LIST}]",
        "[I|we] [just|already] (bought|got|grabbed|picked up) {item}", "(I've|I have|we've|we have) (got|bought|picked up) {item}", "mark {item} as (bought|done)",
        "(cross|tick) off {item}", f"(cross|tick) {{item}} off [{_LIST}]",
        "{item} (is|are) (done|bought|in the (cart|basket|trolley))"])
    # the web page shows this tool's items in a panel of that title
    register(get_shopping_list, hints={"panel": "Shopping list"}, examples=[
        f"(what is|what's|whats) [still|left] on {_LIST} [right now|now|today]", f"read [me] {_LIST}",
        f"how many (items|things) are [there] on {_LIST}", f"how long is {_LIST}",
        f"(show|tell) me [what's on] {_LIST}",
        f"remind me (what's|what is|whats) on {_LIST}", f"(show|list) {_LIST}", "what do (I|we) need to (buy|get)",
        "what do (I|we) need from the (store|shop|supermarket)", f"is there anything on {_LIST}"])
    register(clear_shopping_list, examples=[
        f"(clear|empty) {_LIST}", f"(clear|delete|remove) everything [(on|from) {_LIST}]"])
    register(set_shopping_list_quantity, slot_values=slots, examples=[
        "(change|set|make) [the] {item} to {quantity}", "(change|set) [the] quantity of {item} to {quantity}"])
    register(is_on_shopping_list, slot_values={"item": _ITEMS}, examples=[
        f"(is|are) [there] {{item}} on {_LIST}", "(is|are) {item} on there", "do (I|we) [still] need {item}",
        "do (I|we) [still] (need|have) to (buy|get) {item}", f"any {{item}} on {_LIST}",
        f"do (I|we) have {{item}} [on {_LIST}]", f"did (I|we) [already] (add|put) {{item}} [on {_LIST}]",
        f"have (I|we) got {{item}} on {_LIST}", f"how many {{item}} (are|is) [there] on {_LIST}",
        f"how many {{item}} (do|did|have|should) (I|we) [need|have|got|get|buy|put] [down] [on {_LIST}]",
        "how many {item} (are|is) there", f"how many {{item}} on {_LIST}",
        "did (I|we) [already] (check|tick|cross) off {item}", f"is {{item}} (checked|ticked|crossed) off [{_LIST}]"])
