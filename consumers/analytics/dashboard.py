"""The dashboard page: headline figures, a tile map of the UK's regions, a region and force table,
weekly charts with axes, and the cross-force link alerts as a graph and a table.

Everything is rendered here, in Python, so the page and its live refresh cannot disagree: the
page is served filled in, and a small inline script polls ``api/dashboard`` (the same sections as
HTML fragments) and swaps them in place, without reloading. No external script, style or font:
the charts, the map and the graph are inline SVG, so the page works on a machine without
internet access. Forces and regions are shown by name (:mod:`consumers.analytics.places`).

The DOM is meant to be read by tests and tools as well as people: every figure carries
``data-metric`` and its raw integer in ``data-value`` (money in pence), table rows carry
``data-region``/``data-force`` (the schema's symbols), map tiles ``data-region``, chart bars
``data-week``, graph edges ``data-from``/``data-to``/``data-count`` and link rows
``data-kind``/``data-token``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

from consumers.analytics.charts import weekly_bars
from consumers.analytics.linkgraph import link_graph, strongest
from consumers.analytics.places import force_name, region_name, short_force_name
from consumers.analytics.ukgrid import region_grid

Figures = Mapping[str, Any]

SECTIONS = ("headline", "regions", "by-region-force", "trends", "links")
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
    """The region x force table: one row per force that reported (by name, regions in name
    order), a national total at the foot."""
    head = "".join(f"<th>{escape(label)}</th>" for label in ("region", "force", *(c for _, c in COLUMNS)))
    rows = []
    total: dict[str, int] = {}
    by_region = figures.get("by_region_force") or {}
    for region in sorted(by_region, key=region_name):
        for force, metrics in sorted(by_region[region].items(), key=lambda item: force_name(item[0])):
            for m, _ in COLUMNS:
                total[m] = total.get(m, 0) + int(metrics.get(m, 0))
            rows.append(
                f'<tr data-region="{escape(region)}" data-force="{escape(force)}">'
                f"<td>{escape(region_name(region))}</td><td>{escape(force_name(force))}</td>"
                f"{_cells(metrics)}</tr>"
            )
    foot = f'<tr data-region="ALL" data-force="ALL"><th colspan="2">all forces</th>{_cells(total, "th")}</tr>'
    return f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody><tfoot>{foot}</tfoot>"


def trends_html(figures: Figures) -> str:
    by_week = figures.get("by_week") or {}
    return "".join(weekly_bars(metric, label, by_week) for metric, label in TRENDS)


def regions_html(figures: Figures) -> str:
    return region_grid(figures.get("by_region") or {})


def _day(moment: object) -> str:
    """``4 Oct 2007`` from an ISO date or timestamp (as it came when it is something else)."""
    text = str(moment or "")
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return f"{day.day} {day:%b %Y}"


def links_html(links: Sequence[Mapping[str, Any]], total: int | None = None) -> str:
    """The graph of forces linked by shared identifiers, then the latest link alerts (most
    recently seen first) and how many identifiers are linked."""
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
            ", ".join(short_force_name(f) for f in forces),
            str(len(link.get("event_ids", []))),
            corroboration,
            _day(link.get("first_seen")),
            _day(link.get("last_seen")),
        )
        rows.append(
            f'<tr data-kind="{escape(cells[0])}" data-token="{escape(cells[1])}" '
            f'data-forces="{escape(",".join(forces))}">'
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    return (
        f'<p data-metric="links" data-value="{total}">{total:,} linked identifiers'
        f"{f' (latest {MAX_LINK_ROWS} shown below)' if total > MAX_LINK_ROWS else ''}: a line joins two "
        "forces whose events share a phone, vehicle, premises, account or a corroborated person "
        "(thicker: more shared); hover for what they share.</p>"
        f"<div class='pair'>{link_graph(links)}{strongest(links)}</div>"
        f'<div class="scroll"><table id="link-alerts"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def sections(figures: Figures, links: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Every refreshable part of the page, by element id (the body of ``api/dashboard``)."""
    return {
        "headline": headline_html(figures),
        "regions": regions_html(figures),
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

STYLE = """
:root{--ink:#1d2733;--muted:#5b6675;--line:#d5dbe3;--blue:#3a6ea5;--paper:#f5f7fa}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);
  background:var(--paper)}
header{background:#1f3b5a;color:#fff;padding:.8em 1.5em}
header h1{margin:0;font-size:1.4em;font-weight:600}
header p{margin:.2em 0 0;color:#c9d6e6;font-size:.9em}
main{padding:0 1.5em 2em;max-width:1500px}
h2{font-size:1.1em;margin:1.6em 0 .6em;color:#1f3b5a}
.muted{color:var(--muted);font-weight:normal}
#headline{display:grid;grid-template-columns:repeat(auto-fill,minmax(12.5em,1fr));gap:.5em;margin:0}
.figure{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.45em .7em}
.figure dt{font-size:.78em;color:var(--muted)}
.figure dd{margin:0;font-size:1.4em;font-weight:600;white-space:nowrap}
.pair{display:flex;flex-wrap:wrap;gap:1.2em;align-items:flex-start}.pair>.scroll{flex:1;min-width:40em}
.panel{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8em}
table{border-collapse:collapse;font-size:.85em;background:#fff}
td,th{border-bottom:1px solid var(--line);padding:3px 7px;text-align:right}
td{white-space:nowrap}thead th{background:#eef2f7;position:sticky;top:0;vertical-align:bottom}
#by-region-force{width:100%}
td:first-child,td:nth-child(2),thead th:first-child,thead th:nth-child(2){text-align:left}
tfoot th{border-top:2px solid var(--ink)}
.scroll{max-height:40em;overflow:auto;border:1px solid var(--line);border-radius:6px}
#trends{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1em}
.trend{margin:0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.5em}
.trend figcaption{font-size:.9em;margin-bottom:.2em}
svg text{font-size:11px;fill:var(--ink)}
.trend rect{fill:var(--blue)}.trend rect:hover{fill:#1f3b5a}
.axis{stroke:#7a8594}.grid{stroke:#e7ebf0}
.tick{text-anchor:middle;fill:var(--muted)}.tick.y{text-anchor:end}
.axis-name{text-anchor:middle;fill:var(--muted);font-style:italic}
.tile{stroke:#fff}.tile.off-map{stroke:#9aa5b3;stroke-dasharray:4 3}
.tile-name{font-size:12px;font-weight:600}.tile-name.long{font-size:10px}.tile-figure{font-size:24px;font-weight:700}
.tile-detail{font-size:10.5px}.light{fill:#fff}.dark{fill:var(--ink)}.hidden{display:none}
.edge{stroke:#c0504d;stroke-opacity:.55}.edge:hover{stroke-opacity:1}
.node circle{fill:#1f3b5a}.node text{font-size:11.5px}
#link-alerts td,#link-alerts th{text-align:left}
#link-alerts td{font-family:ui-monospace,monospace;font-size:.95em}
#link-alerts{width:100%}.strongest{font-size:.9em;max-width:32em}.strongest h3{font-size:1em;margin:.3em 0}
.strongest li{margin:.25em 0}
"""


def render(figures: Figures, links: Sequence[Mapping[str, Any]], refresh_ms: int = 2000) -> str:
    """The whole page, already filled in (the script only refreshes it)."""
    parts = sections(figures, links)
    events = int(figures.get("events", 0) or 0)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Operation picture</title>"
        f"<style>{STYLE}</style></head><body data-refresh-ms='{int(refresh_ms)}'>"
        "<header><h1>Operation Pentameter: the operation picture</h1>"
        "<p>National coordination cell: what its data-sharing agreement releases, as tokens and "
        "generalised values. Updated "
        f"<span id='updated' data-refreshes='0' data-events='{events}'>when the page was served</span>"
        "</p></header><main>"
        f"<h2>National figures</h2><dl id='headline'>{parts['headline']}</dl>"
        "<h2>By region <span class='muted'>(events; shade: share of the busiest region)</span></h2>"
        "<div class='pair'>"
        f"<div class='panel' id='regions'>{parts['regions']}</div>"
        f"<div class='scroll'><table id='by-region-force'>{parts['by-region-force']}</table></div></div>"
        f"<h2>Trends by week</h2><div id='trends'>{parts['trends']}</div>"
        f"<h2>Cross-force links</h2><div id='links' class='panel'>{parts['links']}</div>"
        f"</main><script>{SCRIPT}</script></body></html>"
    )
