"""What an agreement may do to a field on its way to a partner, and the value functions behind it.

The closed list (an agreement naming anything else is refused at load):

============  ==========================================  ===========  ==================
transform     parameters                                  output type  exposure
============  ==========================================  ===========  ==================
keep          -                                           as input     clear
scrub         - (free text only)                          as input     clear
drop          -                                           (absent)     none
mask          keep_last: 0-8 (default 4)                  string       clear (partial)
generalise    to: month | year (dates, timestamps),       string       reduced
              age_band (ages), postcode_district |
              force_area (postcodes)
pseudonymise  normalise: text | name | phone | vrm |      string       token
              postcode | account | imei | reference
              (strings), address (an Address record)
encrypt       -                                           bytes        clear (to partner)
============  ==========================================  ===========  ==================

``scrub`` is how free text is released: the text as it is, less every form of every value the
partner does not receive in clear (rule 11, :mod:`policies.scrub`). The engine scrubs every string
a partner receives in clear, so ``scrub`` changes nothing for other fields; it is required for
free text so an agreement says, where a reader sees it, that narrative goes out scrubbed.

*Exposure* is what guard rails reason about: a clear value identifies as much as the input
(masking and encryption for the partner included: the partner reads it); a reduced one is
coarsened beyond identifying (a month, a district); a token links without revealing; none is
nothing at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from policies.pseudonyms import NORMALISERS, RECORD_NORMALISERS, TOKEN_PREFIX


class TransformKind(StrEnum):
    """The transforms an agreement may name."""

    KEEP = "keep"
    SCRUB = "scrub"
    DROP = "drop"
    MASK = "mask"
    GENERALISE = "generalise"
    PSEUDONYMISE = "pseudonymise"
    ENCRYPT = "encrypt"


class Exposure(StrEnum):
    """How much of a value a partner can read after a transform (see the module doc)."""

    CLEAR = "clear"
    REDUCED = "reduced"
    TOKEN = "token"
    NONE = "none"


EXPOSURE: Mapping[TransformKind, Exposure] = MappingProxyType(
    {
        TransformKind.KEEP: Exposure.CLEAR,
        TransformKind.SCRUB: Exposure.CLEAR,
        TransformKind.MASK: Exposure.CLEAR,
        TransformKind.ENCRYPT: Exposure.CLEAR,
        TransformKind.GENERALISE: Exposure.REDUCED,
        TransformKind.PSEUDONYMISE: Exposure.TOKEN,
        TransformKind.DROP: Exposure.NONE,
    }
)

COPYING = frozenset({TransformKind.KEEP, TransformKind.SCRUB})
"""Transforms that release the value as it is."""

DATE_LEVELS = ("month", "year")
AGE_LEVELS = ("age_band",)
POSTCODE_LEVELS = ("postcode_district", "force_area")
GENERALISE_LEVELS = DATE_LEVELS + AGE_LEVELS + POSTCODE_LEVELS
MAX_MASK_KEEP = 8
MASK_PREFIX = "****"

PARAMETERS: Mapping[TransformKind, frozenset[str]] = MappingProxyType(
    {
        TransformKind.KEEP: frozenset(),
        TransformKind.SCRUB: frozenset(),
        TransformKind.DROP: frozenset(),
        TransformKind.MASK: frozenset({"keep_last"}),
        TransformKind.GENERALISE: frozenset({"to"}),
        TransformKind.PSEUDONYMISE: frozenset({"normalise"}),
        TransformKind.ENCRYPT: frozenset(),
    }
)
"""Parameters each transform accepts (anything else is an error)."""


@dataclass(frozen=True)
class Transform:
    """One transform with its parameters, as validated from an agreement."""

    kind: TransformKind
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def exposure(self) -> Exposure:
        """How much the partner can read after this transform."""
        return EXPOSURE[self.kind]

    @property
    def copies(self) -> bool:
        """True for ``keep`` and ``scrub``: the value goes out as it came in (scrubbing aside)."""
        return self.kind in COPYING

    @property
    def releases(self) -> bool:
        """True unless the transform is ``drop``."""
        return self.kind is not TransformKind.DROP

    def describe(self) -> str:
        """Short text for tables: ``keep``, ``mask(4)``, ``generalise(month)``, ``pseudonymise(phone)``."""
        if self.kind is TransformKind.MASK:
            return f"mask({self.params.get('keep_last', 4)})"
        if self.kind is TransformKind.GENERALISE:
            return f"generalise({self.params['to']})"
        if self.kind is TransformKind.PSEUDONYMISE:
            return f"pseudonymise({self.params.get('normalise', 'text')})"
        return self.kind.value


_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + "[0-9a-f]{32}")


def transformed_output(transforms: tuple[Transform, ...]) -> Callable[[str], bool]:
    """A test telling a string that one of ``transforms`` produced (a pseudonym token, a mask)
    from a value released as it is, for a field whose cases may give either: rule 11 scrubs the
    latter and leaves the former alone. Only shapes these transforms can produce pass, so a
    copied value cannot dress up as one to escape scrubbing."""
    tokens = any(t.kind is TransformKind.PSEUDONYMISE for t in transforms)
    shown = [int(t.params.get("keep_last", 4)) for t in transforms if t.kind is TransformKind.MASK]
    longest_mask = len(MASK_PREFIX) + max(shown, default=-len(MASK_PREFIX) - 1)

    def produced(value: str) -> bool:
        if tokens and _TOKEN.fullmatch(value) is not None:
            return True
        return value.startswith(MASK_PREFIX) and len(value) <= longest_mask

    return produced


def check_params(kind: TransformKind, params: Mapping[str, Any]) -> list[str]:
    """Problems with a transform's parameters (empty when they are fine)."""
    problems = []
    extra = sorted(set(params) - PARAMETERS[kind])
    if extra:
        allowed = sorted(PARAMETERS[kind]) or "none"
        problems.append(f"{kind.value} takes no parameter(s) {extra} (allowed: {allowed})")
    if kind is TransformKind.MASK and "keep_last" in params:
        n = params["keep_last"]
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_MASK_KEEP:
            problems.append(f"mask keep_last must be an integer from 0 to {MAX_MASK_KEEP}, got {n!r}")
    if kind is TransformKind.GENERALISE:
        to = params.get("to")
        if not isinstance(to, str) or to not in GENERALISE_LEVELS:  # a list or mapping is not hashable
            problems.append(f"generalise needs 'to' one of {', '.join(GENERALISE_LEVELS)}, got {to!r}")
    if kind is TransformKind.PSEUDONYMISE and "normalise" in params:
        norm = params["normalise"]
        known = sorted({*NORMALISERS, *RECORD_NORMALISERS})
        if not isinstance(norm, str) or (norm not in NORMALISERS and norm not in RECORD_NORMALISERS):
            problems.append(f"unknown normaliser {norm!r} (known: {', '.join(known)})")
    return problems


# -- value functions ----------------------------------------------------------------------------


def mask_function(keep_last: int) -> Callable[[str], str]:
    """Keep only the last ``keep_last`` characters behind a fixed prefix (so the length does not
    show); a value no longer than that is masked completely."""

    def mask(value: str) -> str:
        if keep_last == 0 or len(value) <= keep_last:
            return MASK_PREFIX
        return MASK_PREFIX + value[-keep_last:]

    return mask


def _month(value: date | datetime) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _year(value: date | datetime) -> str:
    return f"{value.year:04d}"


_AGE_BANDS = (
    (18, "UNDER_18"),
    (25, "AGE_18_TO_24"),
    (35, "AGE_25_TO_34"),
    (45, "AGE_35_TO_44"),
    (55, "AGE_45_TO_54"),
    (65, "AGE_55_TO_64"),
)


def age_band(age: int) -> str:
    """AgeBand symbol for an age in years (the bands of the Duty to Notify)."""
    for limit, band in _AGE_BANDS:
        if age < limit:
            return band
    return "AGE_65_AND_OVER"


_POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def postcode_district(value: str) -> str | None:
    """Outward code of a UK postcode (``GL1 2AB`` -> ``GL1``); None when it is not one."""
    match = _POSTCODE.match(re.sub(r"\s+", "", value.upper()))
    return match.group(1) + match.group(2) if match else None


POSTCODE_AREA_FORCE: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("GL",), "GLOUCESTERSHIRE"),
        **dict.fromkeys(("BS", "BA", "TA"), "AVON_AND_SOMERSET"),
        **dict.fromkeys(("EX", "PL", "TQ", "TR"), "DEVON_AND_CORNWALL"),
        **dict.fromkeys(("BH", "DT"), "DORSET"),
        **dict.fromkeys(("SN", "SP"), "WILTSHIRE"),
        **dict.fromkeys(("B", "CV", "WS", "WV", "DY"), "WEST_MIDLANDS"),
        **dict.fromkeys(("M", "OL", "BL", "WN", "SK"), "GREATER_MANCHESTER"),
        **dict.fromkeys(
            (
                "E",
                "N",
                "NW",
                "SE",
                "SW",
                "W",
                "WC",
                "BR",
                "CR",
                "EN",
                "HA",
                "IG",
                "KT",
                "RM",
                "SM",
                "TW",
                "UB",
                "DA",
            ),
            "METROPOLITAN",
        ),
        "EC": "CITY_OF_LONDON",
        "L": "MERSEYSIDE",
        **dict.fromkeys(("LS", "BD", "HX", "HD", "WF"), "WEST_YORKSHIRE"),
        **dict.fromkeys(("S", "DN"), "SOUTH_YORKSHIRE"),
        "HU": "HUMBERSIDE",
        **dict.fromkeys(("YO", "HG"), "NORTH_YORKSHIRE"),
        **dict.fromkeys(("NE", "SR"), "NORTHUMBRIA"),
        **dict.fromkeys(("DH", "DL"), "DURHAM"),
        "TS": "CLEVELAND",
        "CA": "CUMBRIA",
        **dict.fromkeys(("LA", "PR", "FY", "BB"), "LANCASHIRE"),
        **dict.fromkeys(("CH", "CW", "WA"), "CHESHIRE"),
        "ST": "STAFFORDSHIRE",
        **dict.fromkeys(("WR", "HR", "SY", "TF"), "WEST_MERCIA"),
        "NG": "NOTTINGHAMSHIRE",
        "LE": "LEICESTERSHIRE",
        "DE": "DERBYSHIRE",
        "LN": "LINCOLNSHIRE",
        "NN": "NORTHAMPTONSHIRE",
        **dict.fromkeys(("OX", "RG", "MK", "HP", "SL"), "THAMES_VALLEY"),
        **dict.fromkeys(("SO", "PO"), "HAMPSHIRE"),
        **dict.fromkeys(("ME", "CT", "TN"), "KENT"),
        "GU": "SURREY",
        **dict.fromkeys(("BN", "RH"), "SUSSEX"),
        **dict.fromkeys(("CB", "PE"), "CAMBRIDGESHIRE"),
        "NR": "NORFOLK",
        "IP": "SUFFOLK",
        **dict.fromkeys(("CM", "CO", "SS"), "ESSEX"),
        **dict.fromkeys(("AL", "SG", "WD"), "HERTFORDSHIRE"),
        "LU": "BEDFORDSHIRE",
        "CF": "SOUTH_WALES",
        "NP": "GWENT",
        "SA": "DYFED_POWYS",
        "LL": "NORTH_WALES",
        **dict.fromkeys(
            ("AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "TD", "ZE"),
            "POLICE_SCOTLAND",
        ),
        "BT": "POLICE_SERVICE_NORTHERN_IRELAND",
    }
)
"""Postcode area -> the force that polices most of it (approximate: an area that straddles a
force boundary maps to one force). Used to generalise a postcode to a force area."""


def postcode_force_area(value: str) -> str:
    """Force area of a UK postcode (``UNKNOWN`` when the postcode or its area is not known)."""
    district = postcode_district(value)
    if district is None:
        return "UNKNOWN"
    area = re.match(r"^[A-Z]+", district)
    return POSTCODE_AREA_FORCE.get(area.group(0) if area else "", "UNKNOWN")


GENERALISERS: Mapping[str, Callable[[Any], str | None]] = MappingProxyType(
    {
        "month": _month,
        "year": _year,
        "age_band": age_band,
        "postcode_district": postcode_district,
        "force_area": postcode_force_area,
    }
)
"""Generalisation level -> function (None means "cannot generalise this value": withheld)."""
