"""The operation picture end to end: a small generated operation routed to the coordination cell,
the faust analytics worker in its own process, its figures and link alerts checked against the
generator's ground truth (restricted to what the cell's agreement lets it see)."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from consumers.router import RouterStats
from consumers.runtime import Runtime
from consumers.topic_reader import read_topic
from infra.settings import PROJECT_ROOT
from producers.generator import generate
from producers.truth import cross_force_links, tally
from schemas.validation import validate
from tests.integration.pipeline import isolated_runtime, publish

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCALE = 0.1
SEED = 11


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        body = response.read().decode()
        return json.loads(body) if path.startswith("/api/") else body


def _report_ids(link: dict[str, Any]) -> list[str]:
    return sorted({s["event_id"] for s in link["sightings"] if s["event_type"] == "IntelligenceReport"})


def _route_all(runtime: Runtime, events_by_agency: dict[str, list[dict[str, Any]]]) -> RouterStats:
    stop = threading.Event()
    router = runtime.router(runtime.router_settings(group_id=runtime.topic("router")))
    thread = threading.Thread(target=router.run, args=(stop,), daemon=True)
    thread.start()
    total = 0
    for agency, events in events_by_agency.items():
        publish(runtime, events, agency)
        total += len(events)
    deadline = time.monotonic() + 300
    while router.stats.consumed < total and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.2)
    stop.set()
    thread.join(60)
    assert router.stats.consumed == total
    return router.stats


def test_operation_picture_matches_ground_truth(kafka_bootstrap: str, tmp_path: Path) -> None:
    started = time.monotonic()
    runtime = isolated_runtime(kafka_bootstrap)
    generated = generate("pentameter2", seed=SEED, scale=SCALE)
    truth = generated.ground_truth
    events_by_agency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen_by_ncc: list[dict[str, Any]] = []
    for file in generated.lines:
        if file.endswith(".json"):
            continue
        for raw in generated.good_records(file):
            record = validate(raw)
            events_by_agency[generated.agency_of(file)].append(record)
            routing = runtime.engine.route(record["envelope"]["event_type"], copy.deepcopy(record))
            if any(d.partner == "ncc" for d in routing.deliveries):
                seen_by_ncc.append(raw)
    _route_all(runtime, events_by_agency)

    port = _free_port()
    env = {
        **os.environ,
        "PENTAMETER_TOPIC_PREFIX": runtime.settings.topic_prefix,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
    }
    log = (tmp_path / "analytics.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "consumers.analytics",
            "run",
            "--web-port",
            str(port),
            "--loglevel",
            "WARNING",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        expected = tally(seen_by_ncc)
        planted = cross_force_links(seen_by_ncc)
        figures: dict[str, Any] = {}
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "analytics.log").read_text()[-5000:]
            try:
                figures = _get(port, "/api/figures")
                found = _get(port, "/api/links")["links"]
            except OSError:
                time.sleep(1)
                continue
            if figures["events"] >= len(seen_by_ncc) and len(found) >= len(planted):
                break
            time.sleep(1)
        status = _get(port, "/api/status")
        page = _get(port, "/")
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(30)
        log.close()
        print((tmp_path / "analytics.log").read_text()[-3000:])
    elapsed = time.monotonic() - started
    print(f"analytics integration: {len(seen_by_ncc)} ncc records, {elapsed:.1f} s")

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
    print(f"planted links {len(truth['cross_force_links'])}, visible to ncc {visible}, alerts {len(found)}")

    # The alerts are on the links topic for the cell to read; the page shows them.
    alerts = [
        json.loads(r.value or b"{}") for r in read_topic(runtime.client, runtime.topic("pentameter.links"))
    ]
    assert {(a["kind"], a["token"]) for a in alerts} == {(a["kind"], a["token"]) for a in found}
    assert "Operation picture" in page and found[0]["token"] in page
