"""Agency ids and their ingress topics: the one place producers learn who may publish.

The partner registry (``policies/``) will own this list; until then the conventions live here, in
one small module, so switching to the registry changes nothing else:

* every police force publishes as ``police.<force area symbol in lower case>``, one per ForceArea
  symbol of the schemas except UNKNOWN (46 areas standing in for the 55 UK forces);
* the national and partner agencies: ``nca.ukhtc``, ``border.intel``, ``hmrc``, ``ngo.poppy``,
  ``ngo.salvation_army``, ``la.gloucestershire_childrens`` and ``sca``;
* agency ``A`` publishes to ``pentameter.ingress.A`` (the registry's name); deployed, the topic
  carries the environment's ``PENTAMETER_TOPIC_PREFIX`` in front, as the router expects
  (:func:`deployed_ingress_topic`).

Force areas are read from the schema's ForceArea enum, so a new force in the schema is a new
agency here without an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

from infra.settings import Settings, load_settings
from producers.exceptions import UnknownAgency
from schemas.catalogue import default_catalogue

INGRESS_PREFIX = "pentameter.ingress."
"""Prefix of every agency's ingress topic."""
POLICE_PREFIX = "police."
"""Prefix of the police forces' agency ids."""


class AgencyKind(StrEnum):
    """What sort of organisation an agency is; decides which events it plausibly publishes."""

    POLICE = "police"
    NATIONAL_CRIME_AGENCY = "national_crime_agency"
    BORDER = "border"
    HMRC = "hmrc"
    NGO = "ngo"
    LOCAL_AUTHORITY = "local_authority"
    COMPETENT_AUTHORITY = "competent_authority"


@dataclass(frozen=True)
class Agency:
    """One publishing agency."""

    id: str
    name: str
    kind: AgencyKind
    force_area: str | None = None
    """The force area the agency belongs to (police forces, local authorities), else None."""
    first_responder_type: str | None = None
    """FirstResponderType symbol when the agency may make NRM referrals, else None."""

    @property
    def topic(self) -> str:
        """The agency's ingress topic."""
        return ingress_topic(self.id)


_FORCE_NAMES = {
    "METROPOLITAN": "Metropolitan Police Service",
    "CITY_OF_LONDON": "City of London Police",
    "POLICE_SCOTLAND": "Police Scotland",
    "POLICE_SERVICE_NORTHERN_IRELAND": "Police Service of Northern Ireland",
    "BRITISH_TRANSPORT_POLICE": "British Transport Police",
}

_PARTNERS = (
    Agency(
        "nca.ukhtc",
        "UK Human Trafficking Centre (national crime agency)",
        AgencyKind.NATIONAL_CRIME_AGENCY,
        None,
        "NATIONAL_CRIME_AGENCY",
    ),
    Agency(
        "border.intel",
        "Border and immigration intelligence at ports",
        AgencyKind.BORDER,
        None,
        "BORDER_FORCE",
    ),
    Agency("hmrc", "HM Revenue and Customs", AgencyKind.HMRC),
    Agency("ngo.poppy", "The POPPY Project", AgencyKind.NGO, None, "NGO"),
    Agency("ngo.salvation_army", "The Salvation Army", AgencyKind.NGO, None, "NGO"),
    Agency(
        "la.gloucestershire_childrens",
        "Gloucestershire children's services",
        AgencyKind.LOCAL_AUTHORITY,
        "GLOUCESTERSHIRE",
        "LOCAL_AUTHORITY",
    ),
    Agency("sca", "Single Competent Authority (Home Office)", AgencyKind.COMPETENT_AUTHORITY),
)


def ingress_topic(agency_id: str) -> str:
    """The ingress topic an agency publishes to."""
    return INGRESS_PREFIX + agency_id


def deployed_ingress_topic(agency_id: str, settings: Settings | None = None) -> str:
    """The ingress topic as deployed: the environment's topic prefix plus the registry's name."""
    return (settings or load_settings()).topic(ingress_topic(agency_id))


def police_agency(force_area: str) -> str:
    """The agency id of the police force for a ForceArea symbol."""
    return POLICE_PREFIX + force_area.lower()


@lru_cache(maxsize=1)
def force_areas() -> tuple[str, ...]:
    """ForceArea symbols that are real forces (schema order, UNKNOWN left out)."""
    envelope = default_catalogue().get("IntelligenceReport").names
    symbols = envelope["org.pentameter.events.ForceArea"]["symbols"]
    return tuple(str(s) for s in symbols if s != "UNKNOWN")


def _force_name(symbol: str) -> str:
    return _FORCE_NAMES.get(symbol, symbol.replace("_", " ").title().replace(" And ", " and ") + " Police")


@lru_cache(maxsize=1)
def _registry() -> Mapping[str, Agency]:
    police = [Agency(police_agency(f), _force_name(f), AgencyKind.POLICE, f, "POLICE") for f in force_areas()]
    return MappingProxyType({a.id: a for a in (*police, *_PARTNERS)})


def agencies() -> Mapping[str, Agency]:
    """Every known agency by id: the police forces first (schema order), then the partners."""
    return _registry()


def agency(agency_id: str) -> Agency:
    """The agency with this id; raises UnknownAgency naming a few known ids."""
    found = _registry().get(agency_id)
    if found is None:
        partners = ", ".join(a.id for a in _PARTNERS)
        raise UnknownAgency(
            f"{agency_id!r} is not a known agency (police forces are police.<force area>, e.g. "
            f"police.gloucestershire; partners: {partners})"
        )
    return found


def agency_of_topic(topic: str) -> str | None:
    """The agency whose ingress topic this is, or None."""
    if not topic.startswith(INGRESS_PREFIX):
        return None
    candidate = topic[len(INGRESS_PREFIX) :]
    return candidate if candidate in _registry() else None
