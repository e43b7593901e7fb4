"""The home as Home Assistant describes it: areas, exposed entities with their aliases and live states, and
how a spoken name, area or domain picks entities (the way Home Assistant's intents match targets).

Names are compared folded: lower case, punctuation and a leading "the" dropped, a plural "s" off each word
("Kitchen Lights" = "kitchen light"). A name that names no entity exactly may still name one in part
("bed" -> "Bed Light") when only one entity fits, or be an area and a kind of device ("living room lights").
Several names joined with "and" name several entities. Errors carry Home Assistant's own sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hearth import ToolError

# Home Assistant 2024.3's defaults for entities without an explicit Assist setting (exposed_entities.py)
DEFAULT_EXPOSED_DOMAINS = {"climate", "cover", "fan", "humidifier", "light", "lock", "scene", "script", "switch",
                           "todo", "vacuum", "water_heater", "media_player"}
DEFAULT_EXPOSED_SENSOR_CLASSES = {
    "binary_sensor": {"door", "garage_door", "lock", "occupancy", "opening", "presence", "window"},
    "sensor": {"aqi", "co", "co2", "humidity", "pm10", "pm25", "temperature", "volatile_organic_compounds"},
}
# words that name a kind of device ("the living room lights", "the bedroom blinds")
DOMAIN_WORDS = {
    "light": "light", "lamp": "light", "lighting": "light", "fan": "fan", "switch": "switch",
    "window": "cover", "blind": "cover", "shade": "cover", "curtain": "cover", "shutter": "cover", "cover": "cover",
    "garage": "cover", "door": "cover", "gate": "cover", "awning": "cover",
    "tv": "media_player", "television": "media_player", "speaker": "media_player", "music": "media_player",
    "media": "media_player", "player": "media_player", "thermostat": "climate", "heating": "climate",
    "heater": "climate", "ac": "climate", "vacuum": "vacuum", "lock": "lock", "hoover": "vacuum",
    "sprinkler": "valve", "valve": "valve", "radiator": "climate",
}


# words said for another ("the bed lamp" is the Bed Light)
SYNONYMS = {"lamp": "light", "lighting": "light", "lights": "light", "telly": "tv", "hoover": "vacuum"}
# words around a name that are not part of it ("the music on the bedroom speaker" -> "bedroom")
FILLER = {"the", "my", "our", "on", "in", "of", "music", "song", "track", "speaker", "player", "media", "device",
          "vacuum", "cleaner", "robot"}


def fold(text: str) -> str:
    """A name as compared: lower case, words only, no leading "the", no plural "s", synonyms folded."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'s", "").replace("_", " "))
    if words and words[0] in ("the", "my", "all", "our"):
        words = words[1:]
    words = [SYNONYMS.get(w, w) for w in words]
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


@dataclass
class Area:
    area_id: str
    name: str
    aliases: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass
class Entity:
    entity_id: str
    name: str
    state: str = "unknown"
    attributes: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    area_id: str | None = None

    @property
    def domain(self) -> str:
        return self.entity_id.split(".", 1)[0]

    @property
    def device_class(self) -> str | None:
        return self.attributes.get("device_class")

    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    def state_text(self) -> str:
        """The state as said aloud: "on", "21.5 °C", "closed"."""
        unit = self.attributes.get("unit_of_measurement")
        return f"{self.state} {unit}" if unit else self.state.replace("_", " ")


@dataclass
class Home:
    """What Hearth knows of the home: exposed entities and areas, kept current by the connection."""

    areas: dict[str, Area] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)

    # ---- building --------------------------------------------------------------------------------

    @classmethod
    def build(cls, states: list[dict[str, Any]], areas: list[dict[str, Any]], devices: list[dict[str, Any]],
              registry: list[dict[str, Any]], exposed: dict[str, dict[str, bool]] | None) -> Home:
        """From Home Assistant's answers: ``get_states``, the area, device and entity registries and
        ``homeassistant/expose_entity/list`` (None where that command does not exist: all are exposed)."""
        home = cls(areas={a["area_id"]: Area(a["area_id"], a["name"], list(a.get("aliases") or [])) for a in areas})
        device_area = {d["id"]: d.get("area_id") for d in devices}
        entries = {e["entity_id"]: e for e in registry}
        for s in states:
            entity_id = s["entity_id"]
            entry = entries.get(entity_id, {})
            if not _exposed(entity_id, s.get("attributes") or {}, entry, exposed):
                continue
            area = entry.get("area_id") or device_area.get(entry.get("device_id") or "")
            home.entities[entity_id] = Entity(
                entity_id, (s.get("attributes") or {}).get("friendly_name") or entity_id, s.get("state", "unknown"),
                dict(s.get("attributes") or {}), list(entry.get("aliases") or []), area)
        return home

    def update_state(self, new_state: dict[str, Any] | None, entity_id: str) -> None:
        """A ``state_changed`` event: keep the entity's state and attributes current."""
        entity = self.entities.get(entity_id)
        if entity is None:
            return
        if new_state is None:  # removed
            del self.entities[entity_id]
            return
        entity.state = new_state.get("state", entity.state)
        entity.attributes = dict(new_state.get("attributes") or {})
        entity.name = entity.attributes.get("friendly_name") or entity.name

    # ---- matching --------------------------------------------------------------------------------

    def area_named(self, name: str) -> Area | None:
        """The area ``name`` names: its name or an alias, or the one area named inside the words said
        (an answer to "which one?": "the hallway one", "in the garage")."""
        key = fold(name)
        for area in self.areas.values():
            if any(fold(n) == key for n in area.names()):
                return area
        said = f" {key} "
        inside = [a for a in self.areas.values() if any(f" {fold(n)} " in said for n in a.names())]
        return inside[0] if len(inside) == 1 else None

    def in_area(self, area: Area) -> list[Entity]:
        return [e for e in self.entities.values() if e.area_id == area.area_id]

    def match(self, name: str | None = None, area: str | None = None, domain: str | list[str] | None = None,
              device_class: str | None = None, *, room: str | None = None, everywhere: bool = False) -> list[Entity]:
        """The entities a request names, or a ToolError with Home Assistant's sentence for what is unknown.

        ``room`` is where the speaker is (an area's name or id): of several devices a name or a kind fits,
        the room's are meant. Without it, several devices of one name in different places are a question
        (code ``area_ambiguous``), and so is a bare kind ("turn off the lights") unless the request was about
        ``everywhere`` ("all the lights", or a question about states): Hearth never widens a command to the
        whole house on a guess."""
        domains = [domain] if isinstance(domain, str) else list(domain or [])
        if name:
            name, area, domains = self._read_name(name, area, domains, room)
        the_area = None
        if area:
            the_area = self.area_named(area)
            if the_area is None:
                raise ToolError(f"Sorry, I am not aware of any area called {area}", "ha_no_such_area")
        here = self.area_named(room) or self.areas.get(room) if room else None
        pool = self.in_area(the_area) if the_area else list(self.entities.values())
        if domains:
            pool = [e for e in pool if e.domain in domains]
        if device_class:
            of_class = [e for e in pool if e.device_class == device_class]
            # within an area a kind said ("the kitchen windows") may be a device without a class set
            pool = of_class if of_class or not (the_area and domains) else pool
        if name:
            found = self._by_name(name, pool, domains)
            parts = _parts(name) if not found else []
            for part in parts:
                hits = self._by_name(part, pool, domains)
                if not hits:
                    found = []
                    break
                found += [e for e in self._one_of(part, hits, here, everywhere) if e not in found]
            if not found:
                missing = next((p for p in parts if not self._by_name(p, pool, domains)), name)
                where = f" in the {the_area.name} area" if the_area else ""
                raise ToolError(f"Sorry, I am not aware of any device called {missing}{where}", "ha_no_such_name")
            return found if parts else self._one_of(name, found, here, everywhere or the_area is not None)
        if not pool:
            what = " or ".join(d.replace("_", " ") for d in domains) or "device"
            if the_area:
                raise ToolError(f"Sorry, I am not aware of any {what} in the {the_area.name} area", "ha_no_such_name")
            raise ToolError(f"Sorry, I am not aware of any {what}", "ha_no_such_name")
        if not (the_area or domains or device_class):
            raise ToolError("Which device? Say its name or its area.", "ha_no_target")
        return pool if the_area or everywhere else _of_kind(pool, here, domains, device_class)

    def _read_name(self, name: str, area: str | None, domains: list[str],
                   room: str | None) -> tuple[str | None, str | None, list[str]]:
        """A said name as (name, area, kinds): words pointing at the speaker's room become the room ("the
        blind in here"), and a name that only says a kind ("the fan", "the music") becomes that kind, unless
        a device is called so."""
        name, here_said = _without_here(name)
        if here_said and not area:
            if not room:
                raise ToolError("Which room do you mean?", "area_missing")
            area = room
        kinds = _kinds_only(name)
        if kinds is not None and not self._by_name(name, list(self.entities.values()), domains):  # no device so named
            fit = [d for d in kinds if not domains or d in domains]
            if not fit:  # "the blind" is no thermostat
                raise ToolError(f"Sorry, I am not aware of any device called {name}", "ha_no_such_name")
            return None, area, fit
        return name or None, area, domains

    def _one_of(self, said: str, found: list[Entity], here: Area | None, everywhere: bool) -> list[Entity]:
        """Of the entities one name fits: all when they are one place's (or ``everywhere``), the speaker's
        room's when some are there, else a question naming the places ("Which ceiling light do you mean:
        the one in the Hallway, the Garage or the Nursery?")."""
        if len(found) < 2 or everywhere:
            return found
        if here is not None:
            mine = [e for e in found if e.area_id == here.area_id]
            if mine:
                return mine
        places = {e.area_id for e in found}
        if len(places) == 1 and None not in places:
            return found  # one room's lights, said together
        names = sorted({f"the {self.areas[e.area_id].name}" if e.area_id in self.areas else f"the {e.name}"
                        for e in found})
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        what = said.strip()
        raise ToolError(f"Which {what} do you mean: {listed}?", "area_ambiguous")

    def _by_name(self, name: str, pool: list[Entity], domains: list[str]) -> list[Entity]:
        said = " ".join(name.lower().split())
        verbatim = [e for e in pool if any(" ".join(n.lower().split()) == said for n in e.names())]
        if verbatim:  # "ceiling lights" is the one called so, before the three "Ceiling Light"s
            return verbatim
        key = " ".join(w for w in fold(name).split() if w not in ("one", "ones")) or fold(name)  # "the hallway one"
        exact = [e for e in pool if any(fold(n) == key for n in e.names())]
        if exact:
            return exact
        # an area and a kind of device: "living room lights", "kitchen window"
        for area in self.areas.values():
            for area_name in area.names():
                a = fold(area_name)
                if key.startswith(a + " ") or key == a:
                    rest = key[len(a):].split()
                    kinds = {DOMAIN_WORDS.get(w) for w in rest}
                    if len(kinds) > 1 or None in kinds or not (rest or domains):
                        continue
                    kind = next(iter(kinds)) if kinds else None
                    hits = [e for e in pool if e.area_id == area.area_id and (kind is None or e.domain == kind)]
                    if hits:
                        return hits
        # a part of a name: every word said is a word of the name ("bed" -> "Bed Light")
        words = set(key.split())
        partial = [e for e in pool if any(words <= set(fold(n).split()) for n in e.names())]
        if len(partial) == 1 or (partial and len(words) > 1):
            return partial
        core = words - FILLER
        if core and core != words:  # "music on the bedroom speaker" -> "bedroom"
            partial = [e for e in pool if any(core <= set(fold(n).split()) for n in e.names())]
            if len(partial) == 1:
                return partial
        kinds = {DOMAIN_WORDS[w] for w in words if w in DOMAIN_WORDS}
        bare = core - set(DOMAIN_WORDS)
        if kinds and bare:  # the kind said with the name: "the front door lock" is the lock Front Door
            partial = [e for e in pool if e.domain in kinds and any(bare <= set(fold(n).split()) for n in e.names())]
            if len(partial) == 1:
                return partial
        return _near(key, pool)


NEAR = 85  # rapidfuzz ratio from which a misheard name ("desk fam") is the device's


def _near(key: str, pool: list[Entity]) -> list[Entity]:
    """The devices whose name is nearest ``key`` (folded), when it is near enough: a name misheard or
    misspelt by a letter or two, never a different word."""
    from rapidfuzz import fuzz
    if len(key) < 5:
        return []
    scored = [(max(fuzz.ratio(key, fold(n)) for n in e.names()), e) for e in pool]
    best = max((s for s, _ in scored), default=0)
    return [e for s, e in scored if s == best] if best >= NEAR else []


def _of_kind(pool: list[Entity], here: Area | None, domains: list[str], device_class: str | None) -> list[Entity]:
    """Of the devices of a kind said with no name and no area: the only one, or the speaker's room's, else a
    question (never every one in the house)."""
    if len(pool) == 1:
        return pool
    mine = [e for e in pool if here is not None and e.area_id == here.area_id]
    if mine:
        return mine
    kind = " or ".join(d.replace("_", " ") for d in domains) or (device_class or "device")
    raise ToolError(f"Which {kind} do you mean? Say its name or its room.", "area_ambiguous")


# words by which a name points at the speaker's room ("the light out here", "the fan in here")
HERE_WORDS = {"here", "in here", "out here", "over here", "up here", "down here", "in this room", "this room"}


def _without_here(name: str) -> tuple[str, bool]:
    """``name`` without the words that point at the speaker's room, and whether there were any."""
    words = name.lower().split()
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            if " ".join(words[i:i + size]) in HERE_WORDS:
                rest = " ".join(words[:i] + words[i + size:])
                return rest, True
    return name, False


def _kinds_only(name: str) -> list[str] | None:
    """The kinds of device a name says when it says nothing else ("the fan", "the big lights", "the
    music"), else None."""
    words = [w for w in fold(name).split() if w not in FILLER or w in DOMAIN_WORDS]
    if not words or any(w not in DOMAIN_WORDS or len(w) < 3 for w in words):  # "AC", "TV": names as often as kinds
        return None
    return list(dict.fromkeys(DOMAIN_WORDS[w] for w in words))


def _parts(name: str) -> list[str]:
    """ "the kitchen lights and the bed light" -> two names (one when the whole is a name)."""
    parts = [p for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", name.strip()) if p.strip()]
    return parts if len(parts) > 1 else []


def _exposed(entity_id: str, attributes: dict[str, Any], entry: dict[str, Any],
             exposed: dict[str, dict[str, bool]] | None) -> bool:
    if exposed is None:
        return True
    setting = (exposed.get(entity_id) or {}).get("conversation")
    if setting is not None:
        return setting
    if entry.get("hidden_by") or entry.get("entity_category"):
        return False
    domain = entity_id.split(".", 1)[0]
    if domain in DEFAULT_EXPOSED_DOMAINS:
        return True
    return attributes.get("device_class") in DEFAULT_EXPOSED_SENSOR_CLASSES.get(domain, set())
