"""The dashboard's parts as people read them: forces and regions by name, a tile map of the UK with
each region's figures, charts with axes, and the link alerts as a graph of forces."""

from __future__ import annotations

import re
from typing import Any

import pytest

from consumers.analytics import charts, linkgraph, places, ukgrid
from consumers.analytics.svg import ticks
from schemas.catalogue import default_catalogue


def _symbols(enum: str) -> set[str]:
    names = default_catalogue().latest("IntelligenceReport").names
    return set(names[f"org.pentameter.events.{enum}"]["symbols"])


def test_every_force_and_region_of_the_schema_has_a_name_and_every_region_a_place() -> None:
    assert set(places.FORCES) == _symbols("ForceArea")
    assert set(places.REGIONS) == _symbols("Region")
    assert set(places.GRID) | set(places.OFF_MAP) == set(places.REGIONS)
    assert len(set(places.GRID.values())) == len(places.GRID)  # one tile per cell


@pytest.mark.parametrize(
    ("symbol", "short"),
    [
        ("DEVON_AND_CORNWALL", "Devon and Cornwall"),
        ("METROPOLITAN", "Metropolitan"),
        ("POLICE_SCOTLAND", "Police Scotland"),
        ("BRITISH_TRANSPORT_POLICE", "British Transport"),
        ("GLOUCESTERSHIRE", "Gloucestershire"),
    ],
)
def test_short_force_names_keep_what_says_the_place(symbol: str, short: str) -> None:
    assert places.short_force_name(symbol) == short


@pytest.mark.parametrize(
    ("top", "expected"), [(158, [0, 50, 100, 150, 200]), (8, [0, 2, 4, 6, 8]), (0, [0, 1]), (3, [0, 1, 2, 3])]
)
def test_axis_ticks_are_round_and_cover_the_peak(top: int, expected: list[int]) -> None:
    assert ticks(top) == expected


def test_a_weekly_chart_has_named_axes_ticks_and_a_bar_per_week() -> None:
    by_week = {"2007-W40": {"events": 4}, "2007-W42": {"events": 2}, "M2007-10": {"events": 9}}
    svg = charts.weekly_bars("events", "events", by_week)
    assert 'data-total="6"' in svg and "M2007-10" not in svg  # a month is not a week
    bars = re.findall(r'<rect data-week="([^"]+)" data-value="(\d+)"', svg)
    assert bars == [("2007-W40", "4"), ("2007-W41", "0"), ("2007-W42", "2")]  # a quiet week is a gap
    assert ">events per week</text>" in svg and ">week starting</text>" in svg
    assert [t for t in re.findall(r'class="tick y">([\d,]+)<', svg)] == ["0", "1", "2", "3", "4"]
    assert ">1 Oct</text>" in svg and ">2007</text>" in svg  # the Monday of the first week, and its year
    assert "<title>week of 1 Oct 2007 (2007-W40): 4 events</title>" in svg
    weeks = charts.week_range(["2008-W02", "2007-W52", "M2007-12", "unknown"])
    assert weeks == ["2007-W52", "2008-W01", "2008-W02"]  # across the new year, without the month


def test_the_region_map_shows_each_region_by_name_with_its_figures() -> None:
    by_region: dict[str, Any] = {
        "LONDON": {"events": 600, "victims": 20, "arrests": 35, "nrm_referrals": 1},
        "WALES": {"events": 150},
        "NATIONAL": {"events": 25},
    }
    svg = ukgrid.region_grid(by_region)
    tiles = dict(re.findall(r'<g class="region" data-region="(\w+)" data-events="(\d+)">', svg))
    assert tiles["LONDON"] == "600" and tiles["WALES"] == "150" and tiles["SCOTLAND"] == "0"
    assert tiles["NATIONAL"] == "25" and "UNKNOWN" not in tiles  # off the map, only with events
    london = svg.split('data-region="LONDON"')[1].split("</g>")[0]
    assert ">London</text>" in london and ">600</text>" in london
    assert ">20 victims, 35 arrests</text>" in london and ">1 NRM referral</text>" in london
    assert 'fill="#3a6ea5"' in london  # the busiest region is the darkest


def test_the_link_graph_joins_each_pair_of_forces_that_share_identifiers() -> None:
    token = "pt1_" + "a" * 32
    links = [
        {"kind": "phone", "token": token, "forces": ["KENT", "DORSET", "ESSEX"]},
        {"kind": "vehicle", "token": token, "forces": ["KENT", "DORSET"]},
    ]
    svg = linkgraph.link_graph(links)
    edges = {
        (a, b): int(n) for a, b, n in re.findall(r'data-from="(\w+)" data-to="(\w+)" data-count="(\d+)"', svg)
    }
    assert edges == {("DORSET", "KENT"): 2, ("DORSET", "ESSEX"): 1, ("ESSEX", "KENT"): 1}
    assert "<title>Dorset and Kent share 1 phone, 1 vehicle</title>" in svg
    nodes = dict(re.findall(r'data-force="(\w+)" data-count="(\d+)"', svg))
    assert nodes == {"KENT": "2", "DORSET": "2", "ESSEX": "1"}
    assert ">Kent</text>" in svg
    listed = linkgraph.strongest(links)
    assert listed.index("Dorset and Kent: 1 phone, 1 vehicle") < listed.index("Dorset and Essex")
    assert "No cross-force link yet" in linkgraph.link_graph([])
