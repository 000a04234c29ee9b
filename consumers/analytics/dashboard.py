"""The dashboard page: headline figures, a region and force table, weekly trends, link alerts.

Everything is rendered here, in Python, so the page and its live refresh cannot disagree: the
page is served filled in, and a small inline script polls ``api/dashboard`` (the same sections as
HTML fragments) and swaps them in place, without reloading. No external script, style or font:
the charts are inline SVG, so the page works on a machine without internet access.

The DOM is meant to be read by tests and tools as well as people: every figure carries
``data-metric`` and its raw integer in ``data-value`` (money in pence), table rows carry
``data-region``/``data-force``, chart bars ``data-week``, and link rows ``data-kind``/``data-token``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from html import escape
from typing import Any

Figures = Mapping[str, Any]

SECTIONS = ("headline", "by-region-force", "trends", "links")
"""Element ids of the parts the script refreshes (each a fragment in ``api/dashboard``)."""

COLUMNS = (
    ("events", "events"),
    ("intelligence_reports", "intel reports"),
    ("premises_visits", "premises visits"),
    ("victims", "potential victims"),
    ("victims:children", "of whom children"),
    ("nrm_referrals", "NRM referrals"),
    ("arrests", "arrests"),
    ("cash_pence", "cash seized (GBP)"),
    ("restraint_orders", "restraint orders"),
)
"""The per-force metrics (``figures.HEADLINE``) as table columns."""

TRENDS = (
    ("events", "events"),
    ("intelligence_reports", "intelligence reports"),
    ("premises_visits", "premises visits"),
    ("victims", "potential victims"),
    ("arrests", "arrests"),
)
"""Metrics charted by ISO week."""

MONEY = frozenset({"cash_pence", "restraint_pence"})
MAX_LINK_ROWS = 100


def _nested(*path: str) -> Callable[[Figures], int]:
    def get(figures: Figures) -> int:
        node: Any = figures
        for part in path:
            node = node.get(part, 0) if isinstance(node, Mapping) else 0
        return int(node or 0)

    return get


HEADLINE: tuple[tuple[str, str, Callable[[Figures], int]], ...] = (
    ("events", "Events received", _nested("events")),
    ("intelligence_reports", "Intelligence reports", _nested("intelligence_reports")),
    ("premises_visits", "Premises visited", _nested("premises_visits", "total")),
    ("victims", "Potential victims", _nested("victims", "total")),
    ("victims:children", "of whom children", _nested("victims", "children")),
    ("nrm_referrals", "NRM referrals", _nested("nrm_referrals", "total")),
    ("nrm_referrals:children", "of which children", _nested("nrm_referrals", "children")),
    ("nrm_decisions", "NRM decisions", lambda f: sum(map(int, (f.get("nrm_decisions") or {}).values()))),
    ("duty_to_notify", "Duty to Notify reports", _nested("duty_to_notify")),
    ("arrests", "Arrests", _nested("arrests")),
    ("cash_seizures", "Cash seizures", _nested("cash_seizures")),
    ("cash_pence", "Cash seized", _nested("cash_pence")),
    ("restraint_orders", "Restraint orders", _nested("restraint_orders")),
    ("restraint_pence", "Restrained", _nested("restraint_pence")),
)
"""(data-metric, label, value from the figures) of the national headline figures."""


def display(metric: str, value: int) -> str:
    """How a figure reads on the page: money in pounds, counts with thousands separators."""
    return f"£{value / 100:,.2f}" if metric in MONEY else f"{value:,}"


def headline_values(figures: Figures) -> dict[str, int]:
    """The headline figures as ``data-metric -> integer`` (what the page's ``data-value`` holds)."""
    return {metric: get(figures) for metric, _, get in HEADLINE}


def _figure(metric: str, label: str, value: int) -> str:
    return (
        f'<div class="figure" data-metric="{escape(metric)}" data-value="{value}">'
        f"<dt>{escape(label)}</dt><dd>{escape(display(metric, value))}</dd></div>"
    )


def headline_html(figures: Figures) -> str:
    values = headline_values(figures)
    return "".join(_figure(metric, label, values[metric]) for metric, label, _ in HEADLINE)


def _cells(metrics: Mapping[str, int], tag: str = "td") -> str:
    return "".join(
        f'<{tag} data-metric="{escape(m)}" data-value="{int(metrics.get(m, 0))}">'
        f"{escape(display(m, int(metrics.get(m, 0))))}</{tag}>"
        for m, _ in COLUMNS
    )


def region_force_html(figures: Figures) -> str:
    """The region x force table: one row per force that reported, a national total at the foot."""
    head = "".join(f"<th>{escape(label)}</th>" for label in ("region", "force", *(c for _, c in COLUMNS)))
    rows = []
    total: dict[str, int] = {}
    for region, forces in (figures.get("by_region_force") or {}).items():
        for force, metrics in forces.items():
            for m, _ in COLUMNS:
                total[m] = total.get(m, 0) + int(metrics.get(m, 0))
            rows.append(
                f'<tr data-region="{escape(region)}" data-force="{escape(force)}">'
                f"<td>{escape(region)}</td><td>{escape(force)}</td>{_cells(metrics)}</tr>"
            )
    foot = f'<tr data-region="ALL" data-force="ALL"><th colspan="2">all forces</th>{_cells(total, "th")}</tr>'
    return f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody><tfoot>{foot}</tfoot>"


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


def trend_svg(metric: str, label: str, by_week: Mapping[str, Mapping[str, int]]) -> str:
    """A bar per ISO week (months, where the agreement generalised a date, are left out)."""
    weeks = week_range(by_week)
    values = [int(by_week.get(w, {}).get(metric, 0)) for w in weeks]
    width, height, top = 520, 90, max(values, default=0) or 1
    step = width / max(len(weeks), 1)
    bars = []
    for i, (week, value) in enumerate(zip(weeks, values, strict=True)):
        h = round(value / top * (height - 14), 1)
        bars.append(
            f'<rect data-week="{escape(week)}" data-value="{value}" x="{i * step + 1:.1f}" '
            f'y="{height - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h}">'
            f"<title>{escape(week)}: {value:,}</title></rect>"
        )
    span = f"{weeks[0]} to {weeks[-1]}" if weeks else "no data yet"
    return (
        f'<figure class="trend" data-metric="{escape(metric)}" data-total="{sum(values)}">'
        f"<figcaption>{escape(label)} by week ({escape(span)}, peak {max(values, default=0):,})</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)} by week" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{"".join(bars)}</svg></figure>'
    )


def trends_html(figures: Figures) -> str:
    by_week = figures.get("by_week") or {}
    return "".join(trend_svg(metric, label, by_week) for metric, label in TRENDS)


def links_html(links: Sequence[Mapping[str, Any]], total: int | None = None) -> str:
    """The latest link alerts (most recently seen first) and how many identifiers are linked."""
    total = len(links) if total is None else total
    labels = ("kind", "token", "profile", "forces", "events", "corroborated by", "first seen", "last seen")
    head = "".join(f"<th>{h}</th>" for h in labels)
    rows = []
    for link in links[:MAX_LINK_ROWS]:
        forces = [str(f) for f in link.get("forces", [])]
        corroboration = ", ".join(str(t)[:12] + "…" for t in link.get("corroborated_by", []))
        cells = (
            str(link.get("kind")),
            str(link.get("token")),
            str(link.get("profile") or ""),
            ", ".join(forces),
            str(len(link.get("event_ids", []))),
            corroboration,
            str(link.get("first_seen") or ""),
            str(link.get("last_seen") or ""),
        )
        rows.append(
            f'<tr data-kind="{escape(cells[0])}" data-token="{escape(cells[1])}" '
            f'data-forces="{escape(",".join(forces))}">'
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    return (
        f'<p data-metric="links" data-value="{total}">{total:,} linked identifiers'
        f"{f' (latest {MAX_LINK_ROWS} shown)' if total > MAX_LINK_ROWS else ''}</p>"
        f'<table id="link-alerts"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def sections(figures: Figures, links: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Every refreshable part of the page, by element id (the body of ``api/dashboard``)."""
    return {
        "headline": headline_html(figures),
        "by-region-force": region_force_html(figures),
        "trends": trends_html(figures),
        "links": links_html(links),
    }


SCRIPT = """
let refreshes = 0;
async function refresh() {
  const stamp = document.getElementById('updated');
  try {
    const response = await fetch('api/dashboard', {cache: 'no-store'});
    const data = await response.json();
    for (const [id, html] of Object.entries(data.sections)) {
      document.getElementById(id).innerHTML = html;
    }
    refreshes += 1;
    stamp.dataset.refreshes = String(refreshes);
    stamp.dataset.events = String(data.events);
    stamp.textContent = new Date().toLocaleTimeString() + ' (' + data.events + ' events)';
  } catch (e) {
    stamp.textContent = 'offline: ' + e;
  }
}
setInterval(refresh, Number(document.body.dataset.refreshMs) || 2000);
"""

STYLE = (
    "body{font-family:sans-serif;margin:1em;color:#222}"
    "#headline{display:flex;flex-wrap:wrap;gap:.5em}"
    ".figure{border:1px solid #ccc;border-radius:4px;padding:.3em .6em;min-width:9em}"
    ".figure dt{font-size:.8em;color:#555}.figure dd{margin:0;font-size:1.4em}"
    "table{border-collapse:collapse;margin-bottom:1em;font-size:.9em}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "td:first-child,td:nth-child(2),thead th:first-child,thead th:nth-child(2){text-align:left}"
    "#trends{display:flex;flex-wrap:wrap;gap:1em}.trend{margin:0}.trend rect{fill:#3a6ea5}"
    "#link-alerts td{text-align:left;font-family:monospace}"
)


def render(figures: Figures, links: Sequence[Mapping[str, Any]], refresh_ms: int = 2000) -> str:
    """The whole page, already filled in (the script only refreshes it)."""
    parts = sections(figures, links)
    events = int(figures.get("events", 0) or 0)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Operation picture</title>"
        f"<style>{STYLE}</style></head><body data-refresh-ms='{int(refresh_ms)}'>"
        "<h1>Operation Pentameter: the operation picture</h1>"
        "<p>National coordination cell. Updated "
        f"<span id='updated' data-refreshes='0' data-events='{events}'>when the page was served</span></p>"
        f"<h2>National figures</h2><dl id='headline'>{parts['headline']}</dl>"
        f"<h2>By region and force</h2><table id='by-region-force'>{parts['by-region-force']}</table>"
        f"<h2>Trends by week</h2><div id='trends'>{parts['trends']}</div>"
        f"<h2>Latest cross-force link alerts</h2><div id='links'>{parts['links']}</div>"
        f"<script>{SCRIPT}</script></body></html>"
    )
