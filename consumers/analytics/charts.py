"""Weekly bar charts with axes, as inline SVG: a bar per ISO week, a y axis with round ticks and
grid lines, week labels on the x axis, and both axes named.

Bars carry ``data-week`` and ``data-value`` (and a tooltip); the figure carries ``data-metric``
and ``data-total``, so tests read the chart as a person would, from the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from html import escape

from consumers.analytics.svg import tag, text, ticks, title

WIDTH, HEIGHT = 560, 230
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 52
"""Plot margins: room for tick labels and axis names."""
MAX_LABELS = 7


def week_range(labels: Iterable[str]) -> list[str]:
    """Every ISO week from the first to the last label (``2007-W40``), so quiet weeks show as gaps."""
    known = sorted(w for w in labels if re.fullmatch(r"\d{4}-W\d{2}", w))
    if not known:
        return []
    day = date.fromisocalendar(int(known[0][:4]), int(known[0][6:]), 1)
    last = date.fromisocalendar(int(known[-1][:4]), int(known[-1][6:]), 1)
    weeks = []
    while day <= last:
        year, week, _ = day.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        day += timedelta(days=7)
    return weeks


def _monday(week: str) -> date:
    return date.fromisocalendar(int(week[:4]), int(week[6:]), 1)


def _x_axis(weeks: list[str], step: float, base: float) -> str:
    every = max(1, math.ceil(len(weeks) / MAX_LABELS))
    parts = [tag("line", x1=LEFT, y1=base, x2=WIDTH - RIGHT, y2=base, class_="axis")]
    for i in range(0, len(weeks), every):
        x = LEFT + (i + 0.5) * step
        monday = _monday(weeks[i])
        parts.append(tag("line", x1=f"{x:.1f}", y1=base, x2=f"{x:.1f}", y2=base + 4, class_="axis"))
        parts.append(text(f"{monday.day} {monday:%b}", x=f"{x:.1f}", y=base + 16, class_="tick"))
        if i == 0 or _monday(weeks[i - every]).year != monday.year:
            parts.append(text(str(monday.year), x=f"{x:.1f}", y=base + 28, class_="tick"))
    parts.append(text("week starting", x=(LEFT + WIDTH - RIGHT) / 2, y=HEIGHT - 6, class_="axis-name"))
    return "".join(parts)


def _y_axis(values: list[int], scale: float, base: float, unit: str) -> str:
    parts = [tag("line", x1=LEFT, y1=TOP, x2=LEFT, y2=base, class_="axis")]
    for value in ticks(max(values, default=0)):
        y = base - value * scale
        parts.append(tag("line", x1=LEFT, y1=f"{y:.1f}", x2=WIDTH - RIGHT, y2=f"{y:.1f}", class_="grid"))
        parts.append(text(f"{value:,}", x=LEFT - 6, y=f"{y + 4:.1f}", class_="tick y"))
    middle = (TOP + base) / 2
    parts.append(
        text(unit, x=14, y=f"{middle:.1f}", class_="axis-name", transform=f"rotate(-90 14 {middle:.1f})")
    )
    return "".join(parts)


def weekly_bars(metric: str, label: str, by_week: Mapping[str, Mapping[str, int]]) -> str:
    """A figure charting ``metric`` per ISO week (months, where the agreement generalised a date,
    are left out: they cannot be placed in a week)."""
    weeks = week_range(by_week)
    values = [int(by_week.get(w, {}).get(metric, 0)) for w in weeks]
    base = HEIGHT - BOTTOM
    top = ticks(max(values, default=0))[-1]
    scale = (base - TOP) / top
    step = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    bars = []
    for i, (week, value) in enumerate(zip(weeks, values, strict=True)):
        height = value * scale
        monday = _monday(week)
        bars.append(
            tag(
                "rect",
                title(f"week of {monday.day} {monday:%b %Y} ({week}): {value:,} {label}"),
                data_week=week,
                data_value=value,
                x=f"{LEFT + i * step + 1:.1f}",
                y=f"{base - height:.1f}",
                width=f"{max(step - 2, 1):.1f}",
                height=f"{height:.1f}",
            )
        )
    span = f"{weeks[0]} to {weeks[-1]}" if weeks else "no data yet"
    svg = tag(
        "svg",
        _y_axis(values, scale, base, f"{label} per week")
        + "".join(bars)
        + (_x_axis(weeks, step, base) if weeks else ""),
        xmlns="http://www.w3.org/2000/svg",
        role="img",
        aria_label=f"{label} by week",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        width="100%",  # as wide as its box, the height in proportion
    )
    caption = (
        f"<figcaption><b>{escape(label.capitalize())}</b> by week "
        f"<span class='muted'>({escape(span)}; total {sum(values):,}, peak {max(values, default=0):,})</span>"
        "</figcaption>"
    )
    return tag("figure", caption + svg, class_="trend", data_metric=metric, data_total=sum(values))
