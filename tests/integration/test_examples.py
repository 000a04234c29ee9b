"""The examples run as a user would run them: the partner's SQLite loader, with its kit alone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from consumers.partner_kit import deployment_kit
from tests.integration.pipeline import current_events, isolated_runtime, route_to_partners

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
PARTNER = "nca.ukhtc"


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "partner_sqlite.py"), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


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
