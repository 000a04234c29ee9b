"""The dashboard in a real headless Chromium: the page shows the figures the generator's ground
truth gives for the coordination cell's view (headline, the region map, the region and force
table with forces and regions by name, charts with named axes), the planted links as alerts and
as a graph of forces, and it follows new events live, without a reload."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from consumers.analytics.linkgraph import edges
from consumers.analytics.live import OperationPicture
from consumers.analytics.places import force_name, region_name
from producers.truth import cross_force_links, tally
from tests.integration.analytics_support import Wave, headline, planted_tokens, prepare, region_force, route
from tests.integration.pipeline import isolated_runtime

pytestmark = [pytest.mark.kafka, pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

READ_DOM = """
const number = e => Number(e.dataset.value);
const headline = {};
document.querySelectorAll('#headline [data-metric]').forEach(e => {
  headline[e.dataset.metric] = number(e);
});
const table = {}, names = {};
document.querySelectorAll('#by-region-force tbody tr').forEach(tr => {
  const row = {};
  tr.querySelectorAll('td[data-metric]').forEach(td => { row[td.dataset.metric] = number(td); });
  table[tr.dataset.region + '|' + tr.dataset.force] = row;
  const cells = tr.querySelectorAll('td');
  names[tr.dataset.region + '|' + tr.dataset.force] = [cells[0].textContent, cells[1].textContent];
});
const regions = {};
document.querySelectorAll('#regions g[data-region]').forEach(g => {
  const name = g.querySelector('.tile-name').textContent;
  regions[g.dataset.region] = {events: Number(g.dataset.events), name};
});
const trends = {};
document.querySelectorAll('#trends figure[data-metric]').forEach(f => {
  trends[f.dataset.metric] = {total: Number(f.dataset.total),
    bars: f.querySelectorAll('svg rect[data-week]').length,
    axes: Array.from(f.querySelectorAll('text.axis-name')).map(t => t.textContent),
    ticks: f.querySelectorAll('text.tick').length};
});
const links = {};
document.querySelectorAll('#link-alerts tbody tr').forEach(tr => {
  links[tr.dataset.token] = tr.dataset.kind;
});
const edges = {};
document.querySelectorAll('#link-graph line.edge').forEach(e => {
  edges[e.dataset.from + '|' + e.dataset.to] = Number(e.dataset.count);
});
const stamp = document.getElementById('updated');
return {headline, table, names, regions, trends, links, edges,
        linked: number(document.querySelector('#links [data-metric=links]')),
        refreshes: Number(stamp.dataset.refreshes), marker: window.stillTheSamePage || null};
"""


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Debian Chromium through its own chromedriver (selenium never downloads anything)."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options = Options()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={profile}"):  # fmt: skip
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            driver.set_page_load_timeout(30)
            yield driver
        finally:
            driver.quit()


def _dom(driver: webdriver.Chrome) -> dict[str, Any]:
    result: dict[str, Any] = driver.execute_script(READ_DOM)
    return result


def _expected(seen: list[dict[str, Any]]) -> dict[str, Any]:
    counts = tally(seen)
    months = sum(1 for r in seen if r["envelope"]["event_type"] == "DutyToNotify")  # charted by month
    return {
        "headline": headline(counts),
        "table": region_force(seen),
        "regions": dict(counts["by_region"]),
        "trend_events": counts["events"] - months,
        "trend_reports": counts["intelligence_reports"],
    }


def _assert_page_matches(dom: dict[str, Any], wanted: dict[str, Any], tokens: dict[str, str]) -> None:
    assert dom["headline"] == wanted["headline"]
    assert dom["table"] == wanted["table"]
    for key, (region, force) in dom["names"].items():  # people read names, not the schema's symbols
        assert (region, force) == (region_name(key.split("|")[0]), force_name(key.split("|")[1]))
    shown = {region: tile["events"] for region, tile in dom["regions"].items() if tile["events"]}
    assert shown == wanted["regions"]
    assert all(tile["name"] == region_name(r).split(" (")[0] for r, tile in dom["regions"].items())
    assert dom["trends"]["events"]["total"] == wanted["trend_events"]
    assert dom["trends"]["intelligence_reports"]["total"] == wanted["trend_reports"]
    assert dom["trends"]["events"]["bars"] > 1
    for chart in dom["trends"].values():
        assert chart["axes"] == [chart["axes"][0], "week starting"] and chart["axes"][0].endswith(" per week")
        assert chart["ticks"] >= 4
    missing = {t: k for t, k in tokens.items() if dom["links"].get(t) != k}
    assert not missing, f"planted links not shown: {missing}"


def _assert_graph_matches(dom: dict[str, Any], links: list[dict[str, Any]]) -> None:
    """Each pair of forces sharing linked identifiers is an edge, weighted by how many they share."""
    wanted = {f"{a}|{b}": sum(kinds.values()) for (a, b), kinds in edges(links).items()}
    assert dom["edges"] == wanted and wanted


def _screenshot(driver: webdriver.Chrome, path: Path) -> None:
    """The whole page as a person's wide screen shows it, kept with the test's files."""
    driver.set_window_size(1400, 1000)  # the width first: the height follows from it
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1400, min(height + 140, 8000))
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"dashboard screenshot: {path}")


def test_dashboard_shows_the_cells_ground_truth_and_follows_new_events(
    kafka_bootstrap: str, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    started = time.monotonic()
    runtime = isolated_runtime(kafka_bootstrap)
    first = prepare(runtime, seed=23, scale=0.04)
    second = prepare(runtime, seed=24, scale=0.02)
    with OperationPicture(runtime, log_path=tmp_path / "analytics.log") as picture:
        route(runtime, first)
        picture.settle(len(first.seen), timeout=120)

        browser.get(picture.url)
        assert browser.title == "Operation picture"
        dom = _dom(browser)
        tokens = planted_tokens(first.generated.ground_truth["cross_force_links"], first.projected)
        assert tokens, "the scenario plants links the cell can see"
        _assert_page_matches(dom, _expected(first.seen), tokens)
        shown = browser.find_element(By.CSS_SELECTOR, '#headline [data-metric="events"] dd').text
        assert shown == f"{len(first.seen):,}"  # what a person reads, not only the attributes
        assert dom["linked"] == len(picture.links()) >= len(tokens)
        _assert_graph_matches(dom, picture.links())
        loaded = time.monotonic()

        # More events arrive: the open page follows them without being reloaded.
        browser.execute_script("window.stillTheSamePage = 'yes';")
        route(runtime, second)
        both = Wave(
            first.generated, seen=first.seen + second.seen, projected=first.projected + second.projected
        )
        wanted = _expected(both.seen)
        links_both = cross_force_links(both.seen)
        tokens = planted_tokens(links_both, both.projected)

        def caught_up(driver: webdriver.Chrome) -> bool:
            now = _dom(driver)
            return now["headline"] == wanted["headline"] and set(tokens) <= set(now["links"])

        WebDriverWait(browser, 120, poll_frequency=1).until(caught_up)
        dom = _dom(browser)
        assert dom["marker"] == "yes" and dom["refreshes"] > 0  # refreshed in place, never reloaded
        _assert_page_matches(dom, wanted, tokens)
        _assert_graph_matches(dom, picture.links())
        _screenshot(browser, tmp_path / "dashboard.png")
        print(
            f"dashboard browser test: {len(first.seen)} + {len(second.seen)} ncc records, "
            f"{len(tokens)} planted links shown, {dom['linked']} linked identifiers; "
            f"first page after {loaded - started:.1f} s, live update after {time.monotonic() - loaded:.1f} s"
        )
    print(f"worker stopped {'(killed after SIGTERM)' if picture.killed else 'cleanly'}")
