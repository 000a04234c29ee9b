"""The dashboard page: server-rendered tables that a small script refreshes from the JSON API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

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


def _cell(metric: str, value: int) -> str:
    return f"{value / 100:,.2f}" if metric == "cash_pence" else f"{value:,}"


def headline(figures: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The national headline figures as (label, value) pairs."""
    visits = figures.get("premises_visits", {})
    victims = figures.get("victims", {})
    referrals = figures.get("nrm_referrals", {})
    return [
        ("Intelligence reports", f"{figures.get('intelligence_reports', 0):,}"),
        ("Premises visited", f"{visits.get('total', 0):,}"),
        ("Potential victims", f"{victims.get('total', 0):,} ({victims.get('children', 0):,} children)"),
        ("NRM referrals", f"{referrals.get('total', 0):,} ({referrals.get('children', 0):,} children)"),
        ("NRM decisions", f"{sum(figures.get('nrm_decisions', {}).values()):,}"),
        ("Arrests", f"{figures.get('arrests', 0):,}"),
        ("Cash seized", f"£{figures.get('cash_pence', 0) / 100:,.2f} ({figures.get('cash_seizures', 0):,})"),
        (
            "Restraint orders",
            f"{figures.get('restraint_orders', 0):,} (£{figures.get('restraint_pence', 0) / 100:,.2f})",
        ),
    ]


def region_force_rows(figures: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for region, forces in figures.get("by_region_force", {}).items():
        for force, metrics in forces.items():
            rows.append([region, force, *(_cell(m, metrics.get(m, 0)) for m, _ in COLUMNS)])
    return rows


def link_rows(links: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [
        [
            str(a.get("kind")),
            str(a.get("token")),
            ", ".join(a.get("forces", [])),
            str(len(a.get("event_ids", []))),
            str(a.get("first_seen") or ""),
            str(a.get("last_seen") or ""),
        ]
        for a in links
    ]


def _table(table_id: str, head: Sequence[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


SCRIPT = """
const money = p => (p / 100).toLocaleString('en-GB', {minimumFractionDigits: 2});
function rows(id, data) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren(...data.map(r => {
    const tr = document.createElement('tr');
    r.forEach(c => { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); });
    return tr;
  }));
}
async function refresh() {
  try {
    const f = await (await fetch('api/figures')).json();
    const l = await (await fetch('api/links')).json();
    const h = await (await fetch('api/headline')).json();
    rows('headline', h.rows);
    rows('regions', h.region_force);
    rows('links', h.links);
    document.getElementById('updated').textContent = new Date().toLocaleTimeString() +
      ' (' + f.events + ' events, ' + l.links.length + ' links)';
  } catch (e) { document.getElementById('updated').textContent = 'offline: ' + e; }
}
setInterval(refresh, 2000);
"""


def render(figures: Mapping[str, Any], links: Sequence[Mapping[str, Any]]) -> str:
    """The whole page, already filled in (the script only refreshes it)."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Operation picture</title>"
        "<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
        "</style></head><body><h1>Operation Pentameter: the operation picture</h1>"
        "<p>Updated <span id='updated'>now</span></p><h2>National figures</h2>"
        + _table("headline", ["figure", "value"], [list(r) for r in headline(figures)])
        + "<h2>By region and force</h2>"
        + _table("regions", ["region", "force", *(label for _, label in COLUMNS)], region_force_rows(figures))
        + "<h2>Latest cross-force link alerts</h2>"
        + _table("links", ["kind", "token", "forces", "events", "first seen", "last seen"], link_rows(links))
        + f"<script>{SCRIPT}</script></body></html>"
    )
