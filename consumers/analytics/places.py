"""Human names for the schema's force areas and regions, and where each region sits on a tile
map of the UK (for the dashboard: people read "Devon and Cornwall Police", not DEVON_AND_CORNWALL).

The symbols come from the ForceArea and Region enums; a test checks that every symbol has a name,
so a new force cannot appear on the page as a code.
"""

from __future__ import annotations

FORCES: dict[str, str] = {
    "AVON_AND_SOMERSET": "Avon and Somerset Constabulary",
    "BEDFORDSHIRE": "Bedfordshire Police",
    "CAMBRIDGESHIRE": "Cambridgeshire Constabulary",
    "CHESHIRE": "Cheshire Constabulary",
    "CITY_OF_LONDON": "City of London Police",
    "CLEVELAND": "Cleveland Police",
    "CUMBRIA": "Cumbria Constabulary",
    "DERBYSHIRE": "Derbyshire Constabulary",
    "DEVON_AND_CORNWALL": "Devon and Cornwall Police",
    "DORSET": "Dorset Police",
    "DURHAM": "Durham Constabulary",
    "DYFED_POWYS": "Dyfed-Powys Police",
    "ESSEX": "Essex Police",
    "GLOUCESTERSHIRE": "Gloucestershire Constabulary",
    "GREATER_MANCHESTER": "Greater Manchester Police",
    "GWENT": "Gwent Police",
    "HAMPSHIRE": "Hampshire Constabulary",
    "HERTFORDSHIRE": "Hertfordshire Constabulary",
    "HUMBERSIDE": "Humberside Police",
    "KENT": "Kent Police",
    "LANCASHIRE": "Lancashire Constabulary",
    "LEICESTERSHIRE": "Leicestershire Police",
    "LINCOLNSHIRE": "Lincolnshire Police",
    "MERSEYSIDE": "Merseyside Police",
    "METROPOLITAN": "Metropolitan Police Service",
    "NORFOLK": "Norfolk Constabulary",
    "NORTH_WALES": "North Wales Police",
    "NORTH_YORKSHIRE": "North Yorkshire Police",
    "NORTHAMPTONSHIRE": "Northamptonshire Police",
    "NORTHUMBRIA": "Northumbria Police",
    "NOTTINGHAMSHIRE": "Nottinghamshire Police",
    "SOUTH_WALES": "South Wales Police",
    "SOUTH_YORKSHIRE": "South Yorkshire Police",
    "STAFFORDSHIRE": "Staffordshire Police",
    "SUFFOLK": "Suffolk Constabulary",
    "SURREY": "Surrey Police",
    "SUSSEX": "Sussex Police",
    "THAMES_VALLEY": "Thames Valley Police",
    "WARWICKSHIRE": "Warwickshire Police",
    "WEST_MERCIA": "West Mercia Police",
    "WEST_MIDLANDS": "West Midlands Police",
    "WEST_YORKSHIRE": "West Yorkshire Police",
    "WILTSHIRE": "Wiltshire Police",
    "POLICE_SCOTLAND": "Police Scotland",
    "POLICE_SERVICE_NORTHERN_IRELAND": "Police Service of Northern Ireland",
    "BRITISH_TRANSPORT_POLICE": "British Transport Police",
    "UNKNOWN": "Force not known",
}
"""ForceArea symbol -> the force's name."""

REGIONS: dict[str, str] = {
    "NORTH_EAST": "North East",
    "NORTH_WEST": "North West",
    "YORKSHIRE_AND_THE_HUMBER": "Yorkshire and the Humber",
    "EAST_MIDLANDS": "East Midlands",
    "WEST_MIDLANDS": "West Midlands",
    "EASTERN": "Eastern",
    "LONDON": "London",
    "SOUTH_EAST": "South East",
    "SOUTH_WEST": "South West",
    "WALES": "Wales",
    "SCOTLAND": "Scotland",
    "NORTHERN_IRELAND": "Northern Ireland",
    "NATIONAL": "National (no single region)",
    "UNKNOWN": "Region not known",
}
"""Region symbol -> its name."""

GRID: dict[str, tuple[int, int]] = {
    "SCOTLAND": (1, 0),
    "NORTHERN_IRELAND": (0, 1),
    "NORTH_EAST": (2, 1),
    "NORTH_WEST": (1, 2),
    "YORKSHIRE_AND_THE_HUMBER": (2, 2),
    "WALES": (0, 3),
    "WEST_MIDLANDS": (1, 3),
    "EAST_MIDLANDS": (2, 3),
    "EASTERN": (3, 3),
    "SOUTH_WEST": (1, 4),
    "LONDON": (2, 4),
    "SOUTH_EAST": (3, 4),
}
"""Region -> (column, row) on a tile map of the UK: each region one tile, roughly where it lies."""

OFF_MAP: tuple[str, ...] = ("NATIONAL", "UNKNOWN")
"""Regions that are not a place: shown beside the map."""

_SUFFIXES = (" Constabulary", " Police Service", " Police")


def force_name(symbol: str) -> str:
    """``Devon and Cornwall Police`` for ``DEVON_AND_CORNWALL`` (the symbol itself if unknown)."""
    return FORCES.get(symbol, symbol)


def short_force_name(symbol: str) -> str:
    """The name without "Police"/"Constabulary" where the place alone says it: ``Devon and
    Cornwall``, ``Metropolitan``, but ``Police Scotland`` and ``British Transport``."""
    name = force_name(symbol)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name != suffix.strip():
            return name.removesuffix(suffix)
    return name


def region_name(symbol: str) -> str:
    """``Yorkshire and the Humber`` for ``YORKSHIRE_AND_THE_HUMBER`` (the symbol if unknown)."""
    return REGIONS.get(symbol, symbol)
