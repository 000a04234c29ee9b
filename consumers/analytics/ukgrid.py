"""The regions of the UK as a tile map: one tile per region, roughly where it lies, shaded by its
number of events and showing its figures; the regions that are not places sit beside the map.

Each tile carries ``data-region`` and each figure ``data-metric``/``data-value``, like the rest
of the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consumers.analytics.places import GRID, OFF_MAP, region_name
from consumers.analytics.svg import tag, text, title

TILE_W, TILE_H, GAP = 156, 96, 6
COLUMNS, ROWS = 4, 5
SPARE = ((3, 0), (3, 1))
"""Where the off-map tiles go (the map's empty top right), when they have events."""
SHOWN = (("victims", "victims"), ("arrests", "arrests"), ("nrm_referrals", "NRM referrals"))


def _shade(share: float) -> str:
    """From pale to the page's blue as a region's share of the busiest region's events grows."""
    low, high = (232, 240, 248), (58, 110, 165)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(low, high, strict=True))


def _count(value: int, label: str) -> str:
    """``1 NRM referral``, ``2 NRM referrals``, ``3 victims``."""
    return f"{value:,} {label if value != 1 else label.removesuffix('s')}"


def _figure(metric: str, value: int) -> dict[str, object]:
    return {"data_metric": metric, "data_value": value}


def _tile(region: str, column: int, row: int, metrics: Mapping[str, int], busiest: int, on_map: bool) -> str:
    x, y = column * (TILE_W + GAP), row * (TILE_H + GAP)
    events = int(metrics.get("events", 0))
    share = events / busiest if busiest else 0.0
    ink = "light" if share > 0.55 else "dark"
    said = [_count(int(metrics.get(m, 0)), label) for m, label in SHOWN]
    details = ", ".join(said)
    name = region_name(region)
    short = name.split(" (")[0]
    kind = "tile" if on_map else "tile off-map"
    figures = "".join(
        text(f"{int(metrics.get(m, 0)):,}", class_="hidden", **_figure(m, int(metrics.get(m, 0))))
        for m, _ in SHOWN
    )
    body = (
        title(f"{name}: {events:,} events; {details}")
        + tag("rect", x=x, y=y, width=TILE_W, height=TILE_H, rx=6, fill=_shade(share), class_=kind)
        + text(short, x=x + 8, y=y + 18, class_=f"tile-name {ink}" + (" long" if len(short) > 20 else ""))
        + text(f"{events:,}", x=x + 8, y=y + 50, class_=f"tile-figure {ink}", **_figure("events", events))
        + text(", ".join(said[:2]), x=x + 8, y=y + 70, class_=f"tile-detail {ink}")
        + text(said[2], x=x + 8, y=y + 85, class_=f"tile-detail {ink}")
        + figures
    )
    return tag("g", body, class_="region", data_region=region, data_events=events)


def region_grid(by_region: Mapping[str, Mapping[str, Any]]) -> str:
    """The tile map as an inline SVG (``by_region``: region symbol -> metric -> count)."""
    busiest = max((int(m.get("events", 0)) for m in by_region.values()), default=0)
    tiles = [
        _tile(region, column, row, by_region.get(region, {}), busiest, True)
        for region, (column, row) in GRID.items()
    ]
    present = [region for region in OFF_MAP if by_region.get(region)]
    for region, (column, row) in zip(present, SPARE, strict=False):
        tiles.append(_tile(region, column, row, by_region[region], busiest, False))
    width, height = COLUMNS * (TILE_W + GAP), ROWS * (TILE_H + GAP)
    return tag(
        "svg",
        "".join(tiles),
        xmlns="http://www.w3.org/2000/svg",
        role="img",
        aria_label="Events by region of the UK",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
    )
