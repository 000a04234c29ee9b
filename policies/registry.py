"""The partner registry: who publishes (agencies) and who receives (partners), with their topics.

The registry is data (``policies/registry.yaml``), validated at load like an agreement: an
unknown key, kind or regime is an error naming the file and line, never a silent default.
Public keys are deliberately absent: they live in the key store and are injected into the
engine's encryptor, so this file can be reviewed and published freely.

Topics follow one convention, written out in the file for readers and checked here:
``pentameter.ingress.<agency id>`` and ``pentameter.partner.<partner id>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from policies.exceptions import RegistryError, UnknownPartner
from policies.yamlsource import LineDict, LineList, YamlSourceError, load

DEFAULT_REGISTRY = Path(str(resources.files("policies") / "registry.yaml"))
"""The registry shipped with the package."""

INGRESS_PREFIX = "pentameter.ingress."
PARTNER_PREFIX = "pentameter.partner."

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
"""Partner and agency ids: dotted lower-case words. Each word is a valid Avro name, because the
id becomes part of the partner's projection-schema namespace."""

FORCE_AREAS = frozenset(
    {
        "AVON_AND_SOMERSET",
        "BEDFORDSHIRE",
        "CAMBRIDGESHIRE",
        "CHESHIRE",
        "CITY_OF_LONDON",
        "CLEVELAND",
        "CUMBRIA",
        "DERBYSHIRE",
        "DEVON_AND_CORNWALL",
        "DORSET",
        "DURHAM",
        "DYFED_POWYS",
        "ESSEX",
        "GLOUCESTERSHIRE",
        "GREATER_MANCHESTER",
        "GWENT",
        "HAMPSHIRE",
        "HERTFORDSHIRE",
        "HUMBERSIDE",
        "KENT",
        "LANCASHIRE",
        "LEICESTERSHIRE",
        "LINCOLNSHIRE",
        "MERSEYSIDE",
        "METROPOLITAN",
        "NORFOLK",
        "NORTH_WALES",
        "NORTH_YORKSHIRE",
        "NORTHAMPTONSHIRE",
        "NORTHUMBRIA",
        "NOTTINGHAMSHIRE",
        "SOUTH_WALES",
        "SOUTH_YORKSHIRE",
        "STAFFORDSHIRE",
        "SUFFOLK",
        "SURREY",
        "SUSSEX",
        "THAMES_VALLEY",
        "WARWICKSHIRE",
        "WEST_MERCIA",
        "WEST_MIDLANDS",
        "WEST_YORKSHIRE",
        "WILTSHIRE",
        "POLICE_SCOTLAND",
        "POLICE_SERVICE_NORTHERN_IRELAND",
        "BRITISH_TRANSPORT_POLICE",
    }
)
"""Force areas a partner may cover (the ForceArea symbols other than UNKNOWN)."""


class PartnerKind(StrEnum):
    """What kind of body a partner (or agency) is; guard rails key off the kind."""

    POLICE_FORCE = "police_force"
    POLICE_REGION = "police_region"
    NATIONAL_CRIME_AGENCY = "national_crime_agency"
    BORDER_IMMIGRATION_INTELLIGENCE = "border_immigration_intelligence"
    REVENUE_CUSTOMS = "revenue_customs"
    NGO_VICTIM_SUPPORT = "ngo_victim_support"
    LOCAL_AUTHORITY_CHILDRENS_SERVICES = "local_authority_childrens_services"
    SINGLE_COMPETENT_AUTHORITY = "single_competent_authority"
    NATIONAL_COORDINATION_CELL = "national_coordination_cell"


class Regime(StrEnum):
    """The data protection regime the recipient processes under."""

    DPA2018_PART3 = "DPA2018_PART3"
    UK_GDPR = "UK_GDPR"


class Role(StrEnum):
    """NRM roles a partner may hold; rule 5 releases adult identity to these (with consent)."""

    FIRST_RESPONDER = "first_responder"
    SUPPORT_PROVIDER = "support_provider"


@dataclass(frozen=True)
class Agency:
    """An organisation that publishes events to its own ingress topic."""

    id: str
    name: str
    kind: PartnerKind
    topic: str


@dataclass(frozen=True)
class Partner:
    """An organisation that receives projected records on its own partner topic.

    ``areas`` are the force areas it serves (a force its own area; children's services the
    areas of their council); ``roles`` its NRM roles.
    """

    id: str
    name: str
    kind: PartnerKind
    topic: str
    regime: Regime
    areas: frozenset[str]
    roles: frozenset[Role]

    @property
    def is_ngo(self) -> bool:
        """True for victim-support NGOs, to which rule 4's restrictions apply."""
        return self.kind is PartnerKind.NGO_VICTIM_SUPPORT


@dataclass(frozen=True)
class Registry:
    """Every agency and partner, by id, in file order."""

    agencies: Mapping[str, Agency]
    partners: Mapping[str, Partner]
    source: str

    def partner(self, partner_id: str) -> Partner:
        """The partner with this id; raises UnknownPartner naming the known ids."""
        try:
            return self.partners[partner_id]
        except KeyError:
            known = ", ".join(self.partners)
            raise UnknownPartner(f"no partner {partner_id!r} in {self.source} (known: {known})") from None

    def __iter__(self) -> Iterator[Partner]:
        return iter(self.partners.values())

    def partner_ids(self) -> tuple[str, ...]:
        """Partner ids in file order (the order routing decisions are listed in)."""
        return tuple(self.partners)

    def ingress_agencies(self) -> dict[str, str]:
        """Ingress topic -> agency id, as admission needs it."""
        return {a.topic: a.id for a in self.agencies.values()}

    def partner_topics(self) -> dict[str, str]:
        """Partner id -> partner topic."""
        return {p.id: p.topic for p in self.partners.values()}


_AGENCY_KEYS = {"id", "name", "kind", "topic"}
_PARTNER_KEYS = {"id", "name", "kind", "topic", "regime", "areas", "roles"}


def _fail(file: str, line: int, message: str) -> RegistryError:
    return RegistryError(f"{file}:{line}: {message}")


def _text(entry: LineDict, key: str, file: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(file, entry.line_of(key), f"{key!r} must be a non-empty string")
    return value


def _kind(entry: LineDict, file: str) -> PartnerKind:
    value = _text(entry, "kind", file)
    try:
        return PartnerKind(value)
    except ValueError:
        known = ", ".join(k.value for k in PartnerKind)
        raise _fail(file, entry.line_of("kind"), f"unknown kind {value!r} (known: {known})") from None


def _check_keys(entry: LineDict, allowed: set[str], what: str, file: str) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        raise _fail(
            file, entry.line_of(extra[0]), f"unrecognised {what} key(s) {extra} (known: {sorted(allowed)})"
        )


def _topic(entry: LineDict, prefix: str, ident: str, file: str) -> str:
    expected = prefix + ident
    given = entry.get("topic", expected)
    if given != expected:
        raise _fail(
            file, entry.line_of("topic"), f"topic must be {expected!r} (the convention), not {given!r}"
        )
    return expected


def _string_list(entry: LineDict, key: str, file: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(file, entry.line_of(key), f"{key!r} must be a list of strings")
    return list(value)


def _entries(doc: LineDict, key: str, file: str) -> LineList:
    value = doc.get(key)
    if not isinstance(value, LineList) or not all(isinstance(v, LineDict) for v in value):
        raise _fail(file, doc.line_of(key), f"{key!r} must be a list of mappings")
    return value


def _ident(entry: LineDict, seen: dict[str, int], what: str, file: str) -> str:
    ident = _text(entry, "id", file)
    line = entry.line_of("id")
    if not ID_PATTERN.match(ident):
        raise _fail(file, line, f"{what} id {ident!r} must be dotted lower-case words (e.g. police.met)")
    if ident in seen:
        raise _fail(file, line, f"{what} {ident!r} is listed twice (first on line {seen[ident]})")
    seen[ident] = line
    return ident


def parse_registry(doc: Any, file: str) -> Registry:
    """Build a Registry from a loaded YAML document (see registry.yaml for the format)."""
    if not isinstance(doc, LineDict):
        raise _fail(file, 1, "must be a mapping with 'agencies' and 'partners'")
    _check_keys(doc, {"format", "agencies", "partners"}, "top-level", file)
    if doc.get("format") != 1:
        raise _fail(file, doc.line_of("format"), "format must be 1")
    agencies: dict[str, Agency] = {}
    seen: dict[str, int] = {}
    for entry in _entries(doc, "agencies", file):
        _check_keys(entry, _AGENCY_KEYS, "agency", file)
        ident = _ident(entry, seen, "agency", file)
        agencies[ident] = Agency(
            id=ident,
            name=_text(entry, "name", file),
            kind=_kind(entry, file),
            topic=_topic(entry, INGRESS_PREFIX, ident, file),
        )
    partners: dict[str, Partner] = {}
    seen = {}
    for entry in _entries(doc, "partners", file):
        _check_keys(entry, _PARTNER_KEYS, "partner", file)
        ident = _ident(entry, seen, "partner", file)
        regime_text = _text(entry, "regime", file)
        try:
            regime = Regime(regime_text)
        except ValueError:
            raise _fail(
                file,
                entry.line_of("regime"),
                f"unknown regime {regime_text!r} (known: {', '.join(r.value for r in Regime)})",
            ) from None
        areas = _string_list(entry, "areas", file)
        bad = sorted(set(areas) - FORCE_AREAS)
        if bad:
            raise _fail(file, entry.line_of("areas"), f"unknown force area(s) {bad}")
        roles: set[Role] = set()
        for role in _string_list(entry, "roles", file):
            try:
                roles.add(Role(role))
            except ValueError:
                known = ", ".join(r.value for r in Role)
                raise _fail(file, entry.line_of("roles"), f"unknown role {role!r} (known: {known})") from None
        partners[ident] = Partner(
            id=ident,
            name=_text(entry, "name", file),
            kind=_kind(entry, file),
            topic=_topic(entry, PARTNER_PREFIX, ident, file),
            regime=regime,
            areas=frozenset(areas),
            roles=frozenset(roles),
        )
    if not partners:
        raise _fail(file, doc.line_of("partners"), "lists no partners")
    return Registry(MappingProxyType(agencies), MappingProxyType(partners), file)


def load_registry(path: Path | None = None) -> Registry:
    """Load and validate the registry file (the package's own when ``path`` is None)."""
    target = path or DEFAULT_REGISTRY
    try:
        doc = load(target)
    except YamlSourceError as exc:
        raise RegistryError(str(exc)) from None
    return parse_registry(doc, str(target))
