"""The examples run as a user would run them, against the real broker: the partner's SQLite loader
with its kit alone, an agency publishing JSON Lines with its own producer, an operator's status
check."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from consumers.partner_kit import deployment_kit
from consumers.runtime import Runtime
from producers.agencies import ingress_topic
from schemas.convert import to_json
from tests.integration.pipeline import (
    AGENCY,
    assert_each_partner_got_each_event_once,
    current_events,
    isolated_runtime,
    produce_raw,
    route_to_partners,
)

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
PARTNER = "nca.ukhtc"


def _example(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env=env,
    )


def _run(*args: str) -> str:
    done = _example("partner_sqlite.py", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _deployment_env(runtime: Runtime) -> dict[str, str]:
    """The environment of a process of this runtime's deployment (its broker and topic prefix)."""
    bootstrap = str(runtime.client["bootstrap.servers"])
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "PENTAMETER_TOPIC_PREFIX": runtime.settings.topic_prefix,
    }


def test_partner_sqlite_loads_each_record_once_and_deletes_on_the_delete_date(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    expected = route_to_partners(runtime, current_events(20))[PARTNER]
    kit = deployment_kit(runtime.settings, PARTNER, tmp_path / "kit", runtime.client)
    database = tmp_path / "records.db"

    assert f"{len(expected)} record(s) added" in _run(str(kit.directory), str(database))
    with sqlite3.connect(database) as db:
        rows = dict(db.execute("select event_id, delete_on from records").fetchall())
        assert set(rows) == expected and all(rows.values()), "every record, each with its delete date"
        db.execute("insert into records values ('expired', 'x', '2000-01-01', '{}')")

    assert "0 record(s) added, 1 deleted" in _run(str(kit.directory), str(database))
    with sqlite3.connect(database) as db:
        assert {r[0] for r in db.execute("select event_id from records")} == expected


def test_agency_publish_sends_every_good_line_and_names_the_bad_one(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    events = current_events(10)
    bad = to_json(copy.deepcopy(events[0]))
    bad["envelope"]["event_id"] = str(uuid.uuid4())
    bad["tlp"] = "PURPLE"
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(json.dumps(to_json(e)) + "\n" for e in [*events, bad]))

    done = _example("agency_publish.py", AGENCY, str(lines), env=_deployment_env(runtime))
    assert done.returncode == 1, done.stderr
    assert f"{len(events)} event(s) published, 1 refused" in done.stdout
    assert f"line {len(events) + 1}:" in done.stderr and "field tlp" in done.stderr, done.stderr

    runtime.router(runtime.router_settings()).run(idle_timeout=4.0)
    assert_each_partner_got_each_event_once(runtime, events)


def test_operator_status_says_ok_then_names_what_needs_attention(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    route_to_partners(runtime, current_events(8))
    env = _deployment_env(runtime)

    healthy = _example("operator_status.py", env=env)
    assert healthy.returncode == 0 and healthy.stdout.startswith("OK: "), healthy.stdout + healthy.stderr
    assert len(healthy.stdout.splitlines()) == 1

    produce_raw(runtime, runtime.topic(ingress_topic(AGENCY)), b"not an event", None)
    runtime.router(runtime.router_settings()).run(idle_timeout=4.0)
    troubled = _example("operator_status.py", env=env)
    assert troubled.returncode == 1, troubled.stdout + troubled.stderr
    assert troubled.stdout.startswith("ATTENTION: 1 dead letter(s) waiting ("), troubled.stdout
