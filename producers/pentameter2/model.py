"""The scenario's planned objects and the context every builder step shares.

:class:`Context` owns the one random source, the fictional-value factory and everything planned
so far (visits, victims, networks, arrests), plus the small helpers every step uses. Steps are
plain functions taking the context, called in a fixed order by :func:`producers.pentameter2.build`,
so the sequence of random draws (and hence the output) is the same for a seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from producers import events as ev
from producers.agencies import force_areas
from producers.fiction import ORIGINS, TOWNS, Fiction
from producers.pentameter2.figures import DAYS, FORCE_WEIGHTS, LAUNCH, SUSPECT_NATIONALITIES

Record = dict[str, Any]


@dataclass
class Visit:
    force: str
    when: datetime
    place: Record
    case_id: str
    victims: list[Victim] = field(default_factory=list)
    arrests: int = 0
    network: str | None = None


@dataclass
class Victim:
    ref: str
    age: int
    gender: str
    nationality: str
    exploitation: list[str]
    found_by: str
    """``police`` (at a premises visit), ``border.intel``, ``ngo.poppy`` or ``ngo.salvation_army``."""
    force: str = ""
    when: datetime = LAUNCH
    visit: Visit | None = None
    consent: bool = False

    @property
    def child(self) -> bool:
        return self.age < 18


@dataclass
class Suspect:
    name: str
    age: int
    gender: str
    nationality: str


@dataclass(eq=False)
class Network:
    """An organised-crime group working across several forces."""

    id: str
    forces: list[str]
    members: list[Suspect]
    phones: list[str]
    vehicles: list[tuple[str, str, str, str]]
    """(vrm, make, model, colour)"""
    premises: list[Record]
    """POLE premises entities (with their own force area)."""


@dataclass
class Scenario:
    """What the scenario produced: records per agency, in the order each agency recorded them."""

    records: dict[str, list[Record]]
    networks: list[Network]
    plan: dict[str, Any]


class Context:
    """State and helpers of one scenario build. Every random choice goes through ``self.rng``."""

    def __init__(self, seed: int, scale: float, launch: datetime = LAUNCH) -> None:
        self.seed = seed
        self.scale = scale
        self.launch = launch
        self.rng = random.Random(f"pentameter2:{seed}")
        self.fiction = Fiction(self.rng)
        self.forces = list(force_areas())
        self.weights = {f: FORCE_WEIGHTS.get(f, 1.0) for f in self.forces}
        self.records: dict[str, list[Record]] = {}
        self.visits: list[Visit] = []
        self.victims: list[Victim] = []
        self.networks: list[Network] = []
        self.arrest_log: list[tuple[str, datetime, Record, str]] = []
        """(force, when, suspect person, case id) of every arrest, for asset seizures."""

    # -- small helpers -----------------------------------------------------------------------

    def event_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def pick(self, weights: Mapping[str, float]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def force(self) -> str:
        return self.pick(self.weights)

    def moment(self, day: int | None = None, hours: tuple[float, float] = (0.0, 24.0)) -> datetime:
        day = self.rng.randrange(DAYS) if day is None else day
        hour = self.rng.uniform(*hours)
        return self.launch + timedelta(days=day, seconds=int(hour * 3600))

    def later(self, moment: datetime, low_hours: float, high_hours: float) -> datetime:
        return moment + timedelta(seconds=int(self.rng.uniform(low_hours, high_hours) * 3600))

    def emit(self, agency: str, record: Record) -> Record:
        self.records.setdefault(agency, []).append(record)
        return record

    def case_id(self, force: str) -> str:
        return f"UKP2/{force}/{self.fiction.serial('case:' + force):04d}"

    def suspect(self, nationality: str | None = None) -> Suspect:
        nationality = nationality or self.pick(SUSPECT_NATIONALITIES)
        gender = "MALE" if self.rng.random() < 0.78 else "FEMALE"
        return Suspect(self.fiction.name(nationality, gender), self.rng.randint(19, 61), gender, nationality)

    def person(self, entity_id: str, who: Suspect, role: str = "SUSPECT", *, detail: bool = True) -> Record:
        born = None
        if detail and self.rng.random() < 0.4:
            start = self.launch.date()
            born = date(start.year - who.age - 1, start.month, min(start.day, 28)) + timedelta(
                days=self.rng.randint(30, 330)
            )
        ethnicity = ORIGINS[who.nationality].ethnicity if detail and self.rng.random() < 0.3 else None
        return ev.person(
            entity_id,
            role,
            who.name,
            age=who.age,
            gender=who.gender,
            nationality=who.nationality,
            born=born,
            ethnicity=ethnicity,
        )

    def place(self, entity_id: str, force: str, kind: str, role: str = "SUSPECT") -> Record:
        if kind == "RESIDENTIAL":
            address = self.fiction.address(force, flat=self.rng.random() < 0.5)
        elif kind in ("HOTEL", "SHORT_TERM_LET"):
            address = self.fiction.business_address(force, f"Room {self.rng.randint(1, 60)}")
        else:
            address = self.fiction.business_address(force, f"Unit {self.rng.randint(1, 30)}")
        return ev.premises(entity_id, role, kind, address, force)


def town_of(force: str) -> str:
    """The main town of a force area, for narratives and court names."""
    return TOWNS[force][0].name
