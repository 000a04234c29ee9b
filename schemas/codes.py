"""Code lists whose rules Avro cannot express: grading alphabets per scheme, force regions,
and the formats of ISO codes and UK identifiers.

Kept as data so validation, sample data and test strategies agree on one source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class GradingAlphabet:
    """Valid codes for one grading scheme, with the words used in error messages."""

    label: str
    source_evaluation: tuple[str, ...]
    intelligence_assessment: tuple[str, ...]
    handling_code: tuple[str, ...]
    conditional_handling: frozenset[str]
    """Handling codes that require handling conditions to travel with the report."""


GRADING = MappingProxyType(
    {
        "G3X5X2": GradingAlphabet(
            label="3x5x2",
            source_evaluation=("1", "2", "3"),
            intelligence_assessment=("A", "B", "C", "D", "E"),
            handling_code=("P", "C"),
            conditional_handling=frozenset({"C"}),
        ),
        "G5X5X5": GradingAlphabet(
            label="5x5x5",
            source_evaluation=("A", "B", "C", "D", "E"),
            intelligence_assessment=("1", "2", "3", "4", "5"),
            handling_code=("1", "2", "3", "4", "5"),
            conditional_handling=frozenset(),
        ),
    }
)
"""Scheme symbol -> its code alphabet. Codes are never converted between schemes."""

RESTRICTING_HANDLING = MappingProxyType({"G3X5X2": frozenset({"C"}), "G5X5X5": frozenset({"4", "5"})})
"""Handling codes under which conditions (a recipient list) may travel with a report."""

SIENA_NEEDING_CONDITIONS = frozenset({"H3"})
"""SIENA codes whose restrictions are only stated in the conditions' free text."""
SIENA_RESTRICTING = frozenset({"H2", "H3"})
"""SIENA codes under which conditions may travel with a report."""

FORCE_REGION = MappingProxyType(
    {
        **dict.fromkeys(("CLEVELAND", "DURHAM", "NORTHUMBRIA"), "NORTH_EAST"),
        **dict.fromkeys(
            ("CHESHIRE", "CUMBRIA", "GREATER_MANCHESTER", "LANCASHIRE", "MERSEYSIDE"),
            "NORTH_WEST",
        ),
        **dict.fromkeys(
            ("HUMBERSIDE", "NORTH_YORKSHIRE", "SOUTH_YORKSHIRE", "WEST_YORKSHIRE"),
            "YORKSHIRE_AND_THE_HUMBER",
        ),
        **dict.fromkeys(
            ("DERBYSHIRE", "LEICESTERSHIRE", "LINCOLNSHIRE", "NORTHAMPTONSHIRE", "NOTTINGHAMSHIRE"),
            "EAST_MIDLANDS",
        ),
        **dict.fromkeys(("STAFFORDSHIRE", "WARWICKSHIRE", "WEST_MERCIA", "WEST_MIDLANDS"), "WEST_MIDLANDS"),
        **dict.fromkeys(
            ("BEDFORDSHIRE", "CAMBRIDGESHIRE", "ESSEX", "HERTFORDSHIRE", "NORFOLK", "SUFFOLK"),
            "EASTERN",
        ),
        **dict.fromkeys(("METROPOLITAN", "CITY_OF_LONDON"), "LONDON"),
        **dict.fromkeys(("HAMPSHIRE", "KENT", "SURREY", "SUSSEX", "THAMES_VALLEY"), "SOUTH_EAST"),
        **dict.fromkeys(
            ("AVON_AND_SOMERSET", "DEVON_AND_CORNWALL", "DORSET", "GLOUCESTERSHIRE", "WILTSHIRE"),
            "SOUTH_WEST",
        ),
        **dict.fromkeys(("DYFED_POWYS", "GWENT", "NORTH_WALES", "SOUTH_WALES"), "WALES"),
        "POLICE_SCOTLAND": "SCOTLAND",
        "POLICE_SERVICE_NORTHERN_IRELAND": "NORTHERN_IRELAND",
    }
)
"""Territorial force -> its region. Forces not listed (BTP, UNKNOWN) may be in any region."""

ISO_COUNTRY = re.compile(r"^[A-Z]{3}$")
"""ISO 3166-1 alpha-3 format (format only; the list itself is not embedded)."""
ISO_CURRENCY = re.compile(r"^[A-Z]{3}$")
"""ISO 4217 alphabetic currency code format."""
ISO_LANGUAGE = re.compile(r"^[a-z]{2}$")
"""ISO 639-1 language code format."""
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
"""UK postcode format (upper case, optional single space)."""
SORT_CODE = re.compile(r"^[0-9]{2}-?[0-9]{2}-?[0-9]{2}$")
"""UK bank sort code, six digits with optional dashes."""
YEAR_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
"""A month as YYYY-MM."""
