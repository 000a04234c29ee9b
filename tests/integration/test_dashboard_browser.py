"""The dashboard in a real headless Chromium: the page shows the figures the generator's ground
truth gives for the coordination cell's view, the planted links as alerts, and it follows new
events live, without a reload."""

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

from consumers.analytics.live import OperationPicture
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
const table = {};
document.querySelectorAll('#by-region-force tbody tr').forEach(tr => {
  const row = {};
  tr.querySelectorAll('td[data-metric]').forEach(td => { row[td.dataset.metric] = number(td); });
  table[tr.dataset.region + '|' + tr.dataset.force] = row;
});
const trends = {};
document.querySelectorAll('#trends figure[data-metric]').forEach(f => {
  trends[f.dataset.metric] = {total: Number(f.dataset.total), bars: f.querySelectorAll('svg rect').length};
});
const links = {};
document.querySelectorAll('#link-alerts tbody tr').forEach(tr => {
  links[tr.dataset.token] = tr.dataset.kind;
});
const stamp = document.getElementById('updated');
return {headline, table, trends, links, linked: number(document.querySelector('#links [data-metric=links]')),
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
        "trend_events": counts["events"] - months,
        "trend_reports": counts["intelligence_reports"],
    }


def _assert_page_matches(dom: dict[str, Any], wanted: dict[str, Any], tokens: dict[str, str]) -> None:
    assert dom["headline"] == wanted["headline"]
    assert dom["table"] == wanted["table"]
    assert dom["trends"]["events"]["total"] == wanted["trend_events"]
    assert dom["trends"]["intelligence_reports"]["total"] == wanted["trend_reports"]
    assert dom["trends"]["events"]["bars"] > 1
    missing = {t: k for t, k in tokens.items() if dom["links"].get(t) != k}
    assert not missing, f"planted links not shown: {missing}"


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
        print(
            f"dashboard browser test: {len(first.seen)} + {len(second.seen)} ncc records, "
            f"{len(tokens)} planted links shown, {dom['linked']} linked identifiers; "
            f"first page after {loaded - started:.1f} s, live update after {time.monotonic() - loaded:.1f} s"
        )
    print(f"worker stopped {'(killed after SIGTERM)' if picture.killed else 'cleanly'}")
