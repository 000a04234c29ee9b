"""The operation picture end to end: a small generated operation routed to the coordination cell,
the faust analytics worker in its own process, its figures and link alerts checked against the
generator's ground truth (restricted to what the cell's agreement lets it see)."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from consumers.analytics.live import OperationPicture
from consumers.topic_reader import read_topic
from infra.settings import PROJECT_ROOT
from producers.truth import cross_force_links, tally
from tests.integration.analytics_support import prepare, route
from tests.integration.pipeline import isolated_runtime

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCALE = 0.1
SEED = 11


def _report_ids(link: dict[str, Any]) -> list[str]:
    return sorted({s["event_id"] for s in link["sightings"] if s["event_type"] == "IntelligenceReport"})


def test_operation_picture_matches_ground_truth(kafka_bootstrap: str, tmp_path: Path) -> None:
    started = time.monotonic()
    runtime = isolated_runtime(kafka_bootstrap)
    wave = prepare(runtime, SEED, SCALE)
    truth = wave.generated.ground_truth
    seen_by_ncc = wave.seen
    with OperationPicture(runtime, log_path=tmp_path / "analytics.log") as picture:
        assert picture.url.startswith("http://127.0.0.1:")
        route(runtime, wave)
        checks = picture.checks(wave.generated, wave.view(), timeout=240)
        figures, found = picture.figures(), picture.links()
        status = picture.status()
        with urllib.request.urlopen(picture.url, timeout=10) as response:
            page = response.read().decode()
    assert not picture.alive() and not picture.killed  # SIGTERM was enough: faust committed and stopped
    print(picture.log_tail(3000))
    elapsed = time.monotonic() - started
    print(f"analytics integration: {len(seen_by_ncc)} ncc records, {elapsed:.1f} s")
    for check in checks:
        print(f"  {check.name}: {check.found} / {check.expected}")
    assert all(check.ok for check in checks), [c for c in checks if not c.ok]

    expected = tally(seen_by_ncc)
    planted = cross_force_links(seen_by_ncc)
    assert status["rejected"] == 0 and status["records"] == len(seen_by_ncc)
    # What the cell sees equals the ground truth counted over what its agreement releases...
    for name in ("intelligence_reports", "arrests", "cash_seizures", "cash_pence", "restraint_orders",
                 "restraint_pence", "duty_to_notify", "nrm_decisions", "by_event_type"):  # fmt: skip
        assert figures[name] == expected[name], name
    assert figures["premises_visits"] == expected["premises_visits"]
    assert figures["victims"] == {k: expected["victims"][k] for k in ("total", "adults", "children")}
    assert figures["nrm_referrals"] == expected["nrm_referrals"]
    assert {f: row["events"] for f, row in figures["by_force"].items()} == expected["by_force"]
    assert {r: row["events"] for r, row in figures["by_region"].items()} == expected["by_region"]
    weeks = {w: row["events"] for w, row in figures["by_week"].items() if not w.startswith("M")}
    dtn_weeks = tally([r for r in seen_by_ncc if r["envelope"]["event_type"] == "DutyToNotify"])["by_week"]
    wanted_weeks = {w: n - dtn_weeks.get(w, 0) for w, n in expected["by_week"].items()}
    assert weeks == {w: n for w, n in wanted_weeks.items() if n}
    # ... and, for every figure the agreement does not filter, to the generator's own truth.
    counts = truth["counts"]
    for name in ("arrests", "cash_seizures", "cash_pence", "restraint_orders", "restraint_pence",
                 "duty_to_notify", "nrm_decisions", "premises_visits", "nrm_referrals"):  # fmt: skip
        assert figures[name] == counts[name], name
    assert figures["victims"] == {k: counts["victims"][k] for k in ("total", "adults", "children")}

    # Every planted cross-force link the cell can see is an alert: same kind, forces and reports.
    # (A planted link whose reports the agreement withholds, graded G3X5X2/E, may drop below two
    # forces in the cell's view: then the cell cannot see it, and it must not be invented.)
    by_reports = {(link["kind"], tuple(_report_ids(link))): link for link in found}
    force_of = {str(r["envelope"]["event_id"]): r["envelope"]["force_area"] for r in seen_by_ncc}
    visible = 0
    for link in truth["cross_force_links"]:
        ids = [e for e in link["event_ids"] if e in force_of]
        forces = sorted({force_of[e] for e in ids})
        if len(forces) < 2:
            assert (link["kind"], tuple(ids)) not in by_reports
            continue
        visible += 1
        alert = by_reports[(link["kind"], tuple(ids))]
        assert sorted({s["force"] for s in alert["sightings"] if s["event_id"] in force_of}) == forces
        assert alert["token"].startswith("pt1_") and alert["token"] != link["value"]
    assert visible == len(planted) > 0
    # Names alone do not link: every person alert is corroborated by an identifier that is itself
    # a link, so the alerts are the planted links plus the people the networks share.
    strong = {link["token"] for link in found if link["kind"] != "person"}
    people = [link for link in found if link["kind"] == "person"]
    assert all(link["corroborated_by"] and set(link["corroborated_by"]) <= strong for link in people)
    assert len(strong) == visible
    print(f"planted links {len(truth['cross_force_links'])}, visible to ncc {visible}, alerts {len(found)}"
          f" ({len(people)} people)")  # fmt: skip

    # The alerts are on the links topic for the cell to read; the page shows them.
    alerts = [
        json.loads(r.value or b"{}") for r in read_topic(runtime.client, runtime.topic("pentameter.links"))
    ]
    assert {(a["kind"], a["token"]) for a in alerts} == {(a["kind"], a["token"]) for a in found}
    assert "Operation picture" in page and f'data-token="{found[0]["token"]}"' in page
    # faust keeps its data under the state directory, not in the working directory
    assert not list(PROJECT_ROOT.glob(f"{runtime.settings.topic_prefix}*-data"))
