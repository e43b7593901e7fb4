"""Tier 1 with Home Assistant's own sentences: hassil and the English sentences of ``home-assistant-intents``
for the intents the tools answer, with the ``name`` and ``area`` slot lists filled from the live home (the
exposed entities' names and aliases, each tagged with its domain for the sentences that require one; the
areas' names and aliases). "turn on the kitchen lights" becomes ``HassTurnOn(name="Kitchen Lights")``
without a model. Several devices at once ("turn off the kitchen lights and the bed light") match when the
first part is a sentence and every other part names a device.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from hearth import ToolError

from .registry import Home, fold
from .tools import HERE, PRONOUNS

log = logging.getLogger("hearth.homeassistant")

# Home Assistant intent -> (tool, the slots that become its arguments)
INTENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "HassTurnOn": ("HassTurnOn", ("name", "area", "domain", "device_class")),
    "HassTurnOff": ("HassTurnOff", ("name", "area", "domain", "device_class")),
    "HassLightSet": ("HassLightSet", ("name", "area", "brightness", "color")),
    "HassSetPosition": ("HassSetPosition", ("name", "area", "position")),
    "HassClimateSetTemperature": ("HassClimateSetTemperature", ("name", "area", "temperature")),
    "HassClimateGetTemperature": ("HassClimateGetTemperature", ("name", "area")),
    "HassMediaPause": ("HassMediaPause", ("name", "area")),
    "HassMediaUnpause": ("HassMediaUnpause", ("name", "area")),
    "HassMediaNext": ("HassMediaNext", ("name", "area")),
    "HassSetVolume": ("HassSetVolume", ("name", "area", "volume_level")),
    "HassVacuumStart": ("HassVacuumStart", ("name", "area")),
    "HassVacuumReturnToBase": ("HassVacuumReturnToBase", ("name", "area")),
    "HassGetState": ("HassGetState", ("name", "area", "domain", "device_class", "state")),
    "HassFanSetSpeed": ("HassFanSetSpeed", ("name", "area", "percentage")),
    "HassMediaPrevious": ("HassMediaPrevious", ("name", "area")),
    "HassMediaPlayerMute": ("HassMediaPlayerMute", ("name", "area")),
    "HassMediaPlayerUnmute": ("HassMediaPlayerUnmute", ("name", "area")),
    "HassSetVolumeRelative": ("HassSetVolumeRelative", ("name", "area", "volume_step")),
    "HassListAddItem": ("HassListAddItem", ("item", "name")),
    "HassListCompleteItem": ("HassListCompleteItem", ("item", "name")),
    "HassListRemoveItem": ("HassListRemoveItem", ("item", "name")),
    "HassListGetItems": ("HassListGetItems", ("name",)),
}
# Hearth's own sentences for these intents, in the same template language (Home Assistant's expansion rules
# apply), for phrasings Home Assistant's sentences leave out; each names its device kind.
EXTRA: dict[str, list[dict[str, Any]]] = {
    "HassMediaUnpause": [{"sentences": ["(continue|keep) [playing] [<the>] {name}", "play [<the>] {name} again"],
                          "requires_context": {"domain": "media_player"}}],
    "HassMediaNext": [{"sentences": ["[play] [the] next (song|track|item) (on|in|for) [<the>] {name}",
                                     "skip [to] [the] next (song|track|item) (on|in|for) [<the>] {name}"],
                       "requires_context": {"domain": "media_player"}}],
    "HassSetVolume": [{"sentences": ["[<the>] {name} (vol|volume) [to] {volume:volume_level}[([ ]%)| percent]"],
                       "requires_context": {"domain": "media_player"}},
                      {"sentences": ["<numeric_value_set> [the] volume (of|on|for|in) [<the>] {name} to "
                                     "{volume:volume_level}[([ ]%)| percent]",
                                     "[<the>] {name} volume [to] {volume:volume_level}[([ ]%)| percent]"],
                       "requires_context": {"domain": "media_player"}}],
    "HassLightSet": [{"sentences": ["(dim|brighten|lower|raise) [<the>] {name} to {brightness}[([ ]%)| percent]"],
                      "requires_context": {"domain": "light"}},
                     {"sentences": ["(dim|brighten|lower|raise) [(<all>|<the>)] <light> <in> [<the>] {area} to "
                                    "{brightness}[([ ]%)| percent]",
                                    "(dim|brighten|lower|raise) [<the>] {area} <light> to {brightness}[([ ]%)| percent]"],
                      "slots": {"domain": "light"}},
                     {"sentences": ["(put|set|turn) [<the>] {name} (on|to|up to) (full|max|maximum) [brightness]",
                                    "(make|have) [<the>] {name} (full|max|maximum) brightness"],
                      "slots": {"brightness": 100}, "requires_context": {"domain": "light"}},
                     {"sentences": ["(put|set|turn|dim) [<the>] {name} [down] (on|to) half [brightness]"],
                      "slots": {"brightness": 50}, "requires_context": {"domain": "light"}},
                     {"sentences": ["[<the>] {name} [(up|down)] [to] {brightness}[([ ]%)| percent]", "[<the>] {name} {color}"],
                      "requires_context": {"domain": "light"}}],
    "HassClimateSetTemperature": [{"sentences": ["[<the>] {name} [(up|down)] to {temperature} [degrees]"],
                                   "requires_context": {"domain": "climate"}}],
    "HassFanSetSpeed": [{"sentences": ["(set|turn|put) [<the>] {name} [(up|down)] to {fan_speed:percentage}[%| percent]",
                                       "[<the>] {name} [(up|down)] [to] {fan_speed:percentage}[%| percent]"],
                         "requires_context": {"domain": "fan"}},
                        {"sentences": ["(set|turn|put) [<the>] {name} [(up|down)] to (full|max|maximum|top) [speed]",
                                       "(set|turn|put) [<the>] {name} [(up|down)] to (full|high|top) speed"],
                         "slots": {"percentage": 100}, "requires_context": {"domain": "fan"}},
                        {"sentences": ["(set|turn|put) [<the>] {name} [(up|down)] to half [speed]"],
                         "slots": {"percentage": 50}, "requires_context": {"domain": "fan"}}],
    # terse forms a person who knows the names uses: "blind to 30", "walkman vol 25", "porch light red"
    "HassSetPosition": [{"sentences": ["[<the>] {name} to {position}[%| percent]"],
                         "requires_context": {"domain": ["cover", "valve"]}},
                        {"sentences": ["(open|set) [<the>] {name} [(like|about|just)] half[ ]way [open]",
                                       "(close|shut) [<the>] {name} half[ ]way"],
                         "slots": {"position": 50}, "requires_context": {"domain": ["cover", "valve"]}}],
    "HassGetState": [{"sentences": ["did [(i|we|you|someone|anyone)] lock [<the>] {name}"],
                      "slots": {"state": "locked"}, "requires_context": {"domain": "lock"}}],
    "HassListGetItems": [{"sentences": ["what('s| is) on [my|the] {name} [to do] list",
                                        "(read|tell me) [me] [what's on] [my|the] {name} [to do] list"],
                          "requires_context": {"domain": "todo"}}],
    # verbs a kind of device is said with: "water the garden" opens its valve, "start cleaning" the vacuum
    "HassTurnOn": [{"sentences": ["(put|stick) [<the>] {name} on"]},
                   {"sentences": ["water [<the>] {area}", "(turn|switch) on [<the>] (sprinklers|watering) [<in>] [<the>] {area}"],
                    "slots": {"domain": "valve"}}],
    "HassVacuumStart": [{"sentences": ["start [<the>] {name} [vacuum [cleaner]]", "[let] {name} (clean|vacuum)"],
                         "requires_context": {"domain": "vacuum"}},
                        {"sentences": ["(start|begin) (cleaning|vacuuming|hoovering)", "(vacuum|hoover) [the] (house|floor[s])",
                                       "(start|run) [<the>] (vacuum|hoover|robot) [cleaner]"]}],
    "HassVacuumReturnToBase": [{"sentences": ["send [<the>] {name} (home|back [(to|into) (its|the) (dock|base)])",
                                              "[send] [<the>] {name} (back to|to) [(its|the)] (dock|base)",
                                              "dock [<the>] {name}"],
                                "requires_context": {"domain": "vacuum"}}],
}
# the device kind each intent is about (a name heard through the wildcard pass must be one of these)
DOMAINS: dict[str, str | list[str] | None] = {
    "HassLightSet": "light", "HassSetPosition": ["cover", "valve"], "HassClimateSetTemperature": "climate",
    "HassClimateGetTemperature": "climate", "HassMediaPause": "media_player", "HassMediaUnpause": "media_player",
    "HassMediaNext": "media_player", "HassSetVolume": "media_player", "HassVacuumStart": "vacuum",
    "HassVacuumReturnToBase": "vacuum", "HassFanSetSpeed": "fan", "HassMediaPrevious": "media_player",
    "HassMediaPlayerMute": "media_player", "HassMediaPlayerUnmute": "media_player",
    "HassSetVolumeRelative": "media_player", "HassListAddItem": "todo", "HassListCompleteItem": "todo",
    "HassListRemoveItem": "todo", "HassListGetItems": "todo",
}
_POLITE_START = re.compile(r"^(?:(?:hey|ok|okay|now|and|then|also|so)[\s,]+)*(?:(?:please|kindly)\s+|"
                           r"(?:can|could|would|will)\s+you\s+(?:please\s+)?)*", re.I)
_POLITE_END = re.compile(r"[\s,]+(?:please|thanks|thank you|for me)\s*$", re.I)
_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+(?:also\s+)?", re.I)


class Matcher:
    """hassil over Home Assistant's sentences; slot lists follow the home (rebuilt when it is replaced)."""

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._intents: Any = None
        self._wild: Any = None
        self._home: Home | None = None
        self._lists: dict[str, Any] = {}
        self.error: str | None = None
        self.skip: set[str] = set()  # entity ids not to be named here (the to-do list mirroring Hearth's own)

    def _build(self) -> bool:
        if self._intents is not None or self.error:
            return self.error is None
        try:
            from hassil import Intents
            from home_assistant_intents import get_intents
            data = get_intents(self.language) or {}
            chosen = {k: {"data": list(v["data"]) + EXTRA.get(k, [])}
                      for k, v in data.get("intents", {}).items() if k in INTENTS}
            chosen |= {k: {"data": v} for k, v in EXTRA.items() if k not in chosen}  # Hearth's own intents
            common = {"language": self.language, "lists": data.get("lists", {}),
                      "expansion_rules": data.get("expansion_rules", {}), "skip_words": data.get("skip_words", [])}
            self._intents = Intents.from_dict({**common, "intents": chosen})
            # the wildcard pass: a heard name has no domain for hassil to check, so the domain a sentence
            # requires moves to its metadata and is checked against the devices the name resolves to
            self._wild = Intents.from_dict({**common, "intents": {k: {"data": [_unrequire(b) for b in v["data"]]}
                                                                  for k, v in chosen.items()}})
        except Exception as err:  # tier 1 for the home is off; the models still answer
            self.error = f"Home Assistant's sentences did not load: {type(err).__name__}: {err}"
            log.warning("%s", self.error)
            return False
        return True

    def _slot_lists(self, home: Home) -> dict[str, Any]:
        if home is not self._home:
            from hassil import TextSlotList
            names: list[tuple[str, Any, dict[str, Any]]] = []
            for e in home.entities.values():
                if e.entity_id in self.skip:
                    continue
                for n in e.names():
                    if fold(n):
                        names.append((n, e.name, {"domain": e.domain, **({"device_class": e.device_class}
                                                                        if e.device_class else {})}))
            areas = [(n, a.name) for a in home.areas.values() for n in a.names()]
            self._lists = {"name": TextSlotList.from_tuples(names, allow_template=False),
                           "area": TextSlotList.from_tuples(areas, allow_template=False),
                           "floor": TextSlotList.from_strings([])}
            self._home = home
        return self._lists

    def match(self, text: str, home: Home) -> dict[str, Any] | None:
        """``{"name": tool, "arguments": {...}}`` for ``text``, or None."""
        if not home.entities or not self._build():
            return None
        text = _POLITE_END.sub("", _POLITE_START.sub("", text.strip().rstrip(".!?"))).strip()
        text = " ".join(w for w in text.split() if w.lower() != "both")  # "both the lamp and the fan": the two
        if not _SPLIT.search(text):
            return self._one(text, home)
        # several devices: the whole with the home's names, else part by part (no wildcard over the whole:
        # "the bed light and the kitchen" is no name)
        return self._one(text, home, wildcard=False) or self._several(text, home)

    def _one(self, text: str, home: Home, wildcard: bool = True) -> dict[str, Any] | None:
        """Home Assistant's sentences with the home's names; failing that, with any name (a partial name,
        "the bed lamp") that the home's matching resolves to devices of the intent's kind: the best
        reading whose name does ("start 0 ground floor" is the vacuum's start, not a script's)."""
        found = next(iter(self._recognize(text, self._intents, self._slot_lists(home), best=True)), None)
        if found is not None or not wildcard:
            return found and {"name": found["name"], "arguments": found["arguments"]}
        from hassil.intents import WildcardSlotList
        for found in self._recognize(text, self._wild, {**self._slot_lists(home), "name": WildcardSlotList("name")}):
            name = found["arguments"].get("name")
            if not name or len(name.split()) > 6:
                continue
            if name.lower() in PRONOUNS:  # a follow-up ("turn it off"): the tool knows the session's last devices
                return {"name": found["name"], "arguments": found["arguments"]}
            domains = found["domains"] or DOMAINS.get(found["intent"]) or found["arguments"].get("domain")
            try:
                home.match(name=name, domain=domains)
            except ToolError as err:
                if err.code not in ("area_ambiguous", "area_missing"):  # the tool asks which, or where
                    continue
            return {"name": found["name"], "arguments": found["arguments"]}
        return None

    def _recognize(self, text: str, intents: Any, slot_lists: dict[str, Any], best: bool = False) -> list[dict[str, Any]]:
        """The readings of ``text`` as calls, best first (only the best with ``best``)."""
        from hassil import recognize_best, recognize_ranked
        try:
            if best:
                one = recognize_best(text, intents, slot_lists=slot_lists, language=self.language,
                                     best_slot_name="name", intent_context={"area": HERE})
                results = [one] if one is not None else []
            else:
                results = list(recognize_ranked(text, intents, slot_lists=slot_lists, language=self.language,
                                                best_slot_name="name", intent_context={"area": HERE}))
        except Exception:  # a hassil bug must not cost the turn
            log.exception("hassil failed on %r", text)
            return []
        return [c for c in (self._call_of(r) for r in results[:12]) if c is not None]

    @staticmethod
    def _call_of(result: Any) -> dict[str, Any] | None:
        if result.intent.name not in INTENTS:
            return None
        tool, keep = INTENTS[result.intent.name]
        slots = {k: v.value for k, v in result.entities.items()}
        args = {k: _plain(slots[k]) for k in keep if slots.get(k) not in (None, "")}
        if isinstance(args.get("domain"), list):
            args["domain"] = args["domain"][0] if len(args["domain"]) == 1 else None
        if result.intent.name == "HassLightSet" and "brightness" not in args and "color" not in args:
            return None  # colour temperature: not a tool argument; a model answers
        if result.intent.name == "HassGetState" and (result.response or "") in ("which", "how_many"):
            args.pop("state", None)
        return {"name": tool, "intent": result.intent.name, "domains": (result.intent_metadata or {}).get("domains"),
                "arguments": {k: v for k, v in args.items() if v is not None}}

    def _several(self, text: str, home: Home) -> dict[str, Any] | None:
        parts = [p for p in _SPLIT.split(text) if p.strip()]
        first = self._one(parts[0], home)
        if first is None or "name" not in first["arguments"]:
            return None
        names = [first["arguments"]["name"]]
        for part in parts[1:]:
            said = re.sub(r"^(?:the|my)\s+", "", part.strip(), flags=re.I)
            own = self._one(part, home)
            if own is not None and fold(str(own["arguments"].get("name", ""))) != fold(said):
                return None  # a request of its own, with its verb ("... and lock the back door"): the core splits
            try:
                entities = home.match(name=said)
            except ToolError as err:
                if err.code != "area_ambiguous":
                    return None  # no device's name: maybe a request of its own ("... and lock the back door")
                entities = []
            names.append(entities[0].name if len(entities) == 1 else said)
        first["arguments"]["name"] = " and ".join(names)
        return first


def _unrequire(block: dict[str, Any]) -> dict[str, Any]:
    """A sentence block without its required domain (kept in its metadata as ``domains``)."""
    required = dict(block.get("requires_context") or {})
    domains = required.pop("domain", None)
    if domains is None:
        return block
    out = {**block, "metadata": {**(block.get("metadata") or {}), "domains": domains}}
    if required:
        out["requires_context"] = required
    else:
        out.pop("requires_context", None)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value
