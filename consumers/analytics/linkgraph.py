"""The cross-force link alerts as a small graph: each force that shares a linked identifier is a
node on a circle (ordered by region, so neighbours are near), each pair of forces sharing
identifiers an edge, thicker the more they share.

Edges carry ``data-from``/``data-to``/``data-count`` (identifiers shared) and nodes
``data-force``/``data-count`` (identifiers it shares with any other force), so a test can check
the graph against the alerts.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from html import escape
from itertools import combinations
from typing import Any

from consumers.analytics.places import FORCES, short_force_name
from consumers.analytics.svg import tag, text, title

SIZE = 640
RADIUS = 205


def edges(links: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], Counter[str]]:
    """(force, force) -> identifiers they share, by kind (each pair once, in name order)."""
    found: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for link in links:
        for pair in combinations(sorted({str(f) for f in link.get("forces", [])}), 2):
            found[pair][str(link.get("kind"))] += 1
    return dict(found)


def _order(forces: set[str]) -> list[str]:
    """Schema order, which groups forces of a region (roughly): neighbours sit side by side."""
    known = [f for f in FORCES if f in forces]
    return known + sorted(forces - set(known))


def _shares(kinds: Counter[str]) -> str:
    return ", ".join(f"{n} {k}{'' if n == 1 or k == 'premises' else 's'}" for k, n in sorted(kinds.items()))


def strongest(links: Sequence[Mapping[str, Any]], count: int = 10) -> str:
    """The pairs of forces that share the most identifiers, as a list beside the graph."""
    pairs = sorted(edges(links).items(), key=lambda item: (-sum(item[1].values()), item[0]))[:count]
    if not pairs:
        return ""
    items = "".join(
        f'<li data-from="{a}" data-to="{b}">{escape(short_force_name(a))} and {escape(short_force_name(b))}: '
        f"{escape(_shares(kinds))}</li>"
        for (a, b), kinds in pairs
    )
    return f'<div class="strongest"><h3>Most linked pairs of forces</h3><ol>{items}</ol></div>'


def link_graph(links: Sequence[Mapping[str, Any]]) -> str:
    """The graph as an inline SVG (an empty note when no link is known yet)."""
    pairs = edges(links)
    if not pairs:
        return '<p class="muted" id="link-graph-empty">No cross-force link yet.</p>'
    per_force: Counter[str] = Counter()
    for link in links:
        for force in {str(f) for f in link.get("forces", [])}:
            per_force[force] += 1
    nodes = _order(set(per_force))
    centre = SIZE / 2
    where = {
        force: (
            centre + RADIUS * math.cos(2 * math.pi * i / len(nodes) - math.pi / 2),
            centre + RADIUS * math.sin(2 * math.pi * i / len(nodes) - math.pi / 2),
        )
        for i, force in enumerate(nodes)
    }
    heaviest = max(sum(k.values()) for k in pairs.values())
    lines = []
    for (a, b), kinds in sorted(pairs.items(), key=lambda item: sum(item[1].values())):
        count = sum(kinds.values())
        (x1, y1), (x2, y2) = where[a], where[b]
        lines.append(
            tag(
                "line",
                title(f"{short_force_name(a)} and {short_force_name(b)} share {_shares(kinds)}"),
                x1=f"{x1:.1f}",
                y1=f"{y1:.1f}",
                x2=f"{x2:.1f}",
                y2=f"{y2:.1f}",
                stroke_width=f"{1.5 + 5 * count / heaviest:.1f}",
                class_="edge",
                data_from=a,
                data_to=b,
                data_count=count,
            )
        )
    dots = []
    biggest = max(per_force.values())
    for force in nodes:
        x, y = where[force]
        angle = math.atan2(y - centre, x - centre)
        lx, ly = centre + (RADIUS + 16) * math.cos(angle), centre + (RADIUS + 16) * math.sin(angle)
        anchor = "start" if math.cos(angle) > 0.2 else "end" if math.cos(angle) < -0.2 else "middle"
        shared = per_force[force]
        dots.append(
            tag(
                "g",
                title(f"{FORCES.get(force, force)}: {shared} linked identifier{'' if shared == 1 else 's'}")
                + tag("circle", cx=f"{x:.1f}", cy=f"{y:.1f}", r=f"{4 + 6 * shared / biggest:.1f}")
                + text(short_force_name(force), x=f"{lx:.1f}", y=f"{ly + 4:.1f}", text_anchor=anchor),
                class_="node",
                data_force=force,
                data_count=shared,
            )
        )
    return tag(
        "svg",
        "".join(lines) + "".join(dots),
        xmlns="http://www.w3.org/2000/svg",
        role="img",
        aria_label="Forces linked by shared identifiers",
        viewBox=f"-70 0 {SIZE + 140} {SIZE}",
        width=SIZE + 140,
        height=SIZE,
        id="link-graph",
    )
