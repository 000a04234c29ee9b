"""The published figures of Pentameter 2 and the code lists the scenario draws from.

Kept apart from the builders so the numbers a reviewer checks against the press release sit in
one short file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

LAUNCH = datetime(2007, 10, 3, tzinfo=UTC)
"""Pentameter 2 was launched on 3 October 2007."""
DAYS = 182
"""About six months of operations."""


@dataclass(frozen=True)
class Figures:
    """The published results of Pentameter 2 (Home Office press release 124/2008)."""

    intelligence_reports: int = 6400
    premises_visits: int = 822
    massage_parlours_saunas: int = 157
    residential: int = 582
    victims: int = 167
    child_victims: int = 13
    youngest_child_age: int = 14
    forced_labour_victims: int = 5
    forced_labour_children: int = 3
    arrests: int = 528
    cash_recovered_pounds_over: int = 500_000
    restraint_pounds_over: int = 3_000_000
    """"Several millions of pounds": generated totals lie between 3.5 and 6.5 million."""


FIGURES = Figures()

FORCE_WEIGHTS: dict[str, float] = {
    "METROPOLITAN": 18,
    "WEST_MIDLANDS": 7,
    "GREATER_MANCHESTER": 6,
    "WEST_YORKSHIRE": 5,
    "THAMES_VALLEY": 4,
    "POLICE_SCOTLAND": 4,
    "MERSEYSIDE": 3,
    "KENT": 3,
    "ESSEX": 3,
    "HAMPSHIRE": 3,
    "SOUTH_YORKSHIRE": 3,
    "NORTHUMBRIA": 3,
    "POLICE_SERVICE_NORTHERN_IRELAND": 3,
    "SUSSEX": 3,
    "AVON_AND_SOMERSET": 3,
    "LANCASHIRE": 3,
    "GLOUCESTERSHIRE": 3,
    "NOTTINGHAMSHIRE": 2,
    "LEICESTERSHIRE": 2,
    "BEDFORDSHIRE": 2,
    "HERTFORDSHIRE": 2,
    "SOUTH_WALES": 2,
}
"""Relative activity of each force (others weigh 1): big cities and the lead force weigh more."""
PORT_FORCES = (
    "KENT",
    "METROPOLITAN",
    "ESSEX",
    "HAMPSHIRE",
    "GREATER_MANCHESTER",
    "WEST_MIDLANDS",
    "POLICE_SCOTLAND",
)
"""Where border intelligence teams at ports and airports meet people and vehicles."""

VICTIM_NATIONALITIES = {
    "CHN": 24,
    "THA": 10,
    "VNM": 7,
    "MYS": 7,
    "LTU": 11,
    "ROU": 8,
    "SVK": 5,
    "CZE": 3,
    "POL": 3,
    "ALB": 8,
    "NGA": 6,
    "BRA": 4,
    "GBR": 4,
}
"""Mostly China, South East Asia and Eastern Europe, as the release says."""
SUSPECT_NATIONALITIES = {
    "GBR": 38,
    "CHN": 14,
    "ALB": 12,
    "LTU": 9,
    "ROU": 7,
    "MYS": 6,
    "THA": 4,
    "VNM": 4,
    "NGA": 3,
    "POL": 3,
}
OTHER_PREMISES = {
    "HOTEL": 20,
    "SHORT_TERM_LET": 18,
    "OTHER": 15,
    "NAIL_BAR": 8,
    "RESTAURANT_TAKEAWAY": 8,
    "FACTORY_WAREHOUSE": 6,
    "CAR_WASH": 3,
    "AGRICULTURAL": 3,
}
LABOUR_PREMISES = (
    "NAIL_BAR",
    "RESTAURANT_TAKEAWAY",
    "FACTORY_WAREHOUSE",
    "CAR_WASH",
    "AGRICULTURAL",
    "OTHER",
)
ADJECTIVE = {
    "CHN": "Chinese",
    "THA": "Thai",
    "VNM": "Vietnamese",
    "MYS": "Malaysian",
    "LTU": "Lithuanian",
    "ROU": "Romanian",
    "SVK": "Slovak",
    "CZE": "Czech",
    "POL": "Polish",
    "ALB": "Albanian",
    "NGA": "Nigerian",
    "BRA": "Brazilian",
    "GBR": "British",
}
VEHICLES = (
    ("Ford", "Transit"),
    ("Vauxhall", "Astra"),
    ("BMW", "5 Series"),
    ("Mercedes-Benz", "E-Class"),
    ("Volkswagen", "Golf"),
    ("Toyota", "Previa"),
    ("Audi", "A4"),
    ("Peugeot", "307"),
    ("Renault", "Espace"),
)
COLOURS = ("Black", "Silver", "White", "Blue", "Grey", "Red")
INDICATORS = (
    "PHYSICAL_APPEARANCE",
    "ISOLATION",
    "POOR_LIVING_CONDITIONS",
    "NO_ID_DOCUMENTS",
    "RESTRICTED_MOVEMENT",
    "DEBT_BONDAGE",
    "WITHHELD_WAGES",
    "RETAINED_PASSPORT",
    "THREATS_OF_DENUNCIATION",
)


def scaled(figure: int, scale: float, minimum: int = 0) -> int:
    """A figure at ``scale``, rounded half up, never below ``minimum``."""
    return max(minimum, int(figure * scale + 0.5))


def apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; ties by key order)."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    order = sorted(weights, key=lambda k: (-(exact[k] - counts[k]), list(weights).index(k)))
    for key in order[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def split_amount(total: int, parts: int, rng: random.Random, step: int = 1000) -> list[int]:
    """Split ``total`` pence into ``parts`` positive amounts of uneven size (multiples of ``step``
    except the largest, which absorbs the remainder so the sum is exact)."""
    weights = [rng.lognormvariate(0, 0.9) for _ in range(parts)]
    whole = sum(weights)
    amounts = [max(step, int(total * w / whole) // step * step) for w in weights]
    largest = amounts.index(max(amounts))
    amounts[largest] += total - sum(amounts)
    if amounts[largest] <= 0:
        raise ValueError(f"cannot split {total} pence into {parts} parts")
    return amounts
