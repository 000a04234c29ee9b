"""A partner loads its records into SQLite and deletes each one on its delete date.

    python examples/partner_sqlite.py KIT_DIR records.db

KIT_DIR is the partner's kit (``pentameter partner kit``): the script needs nothing else. Each
record is written in the database transaction that is committed before its Kafka offset is (the
SDK's ``before_commit``), and the event id is the primary key, so a restart after a crash writes
no record twice and loses none. Rows whose delete date has come are deleted at every start; the
SDK never hands out a record already past it.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import date
from pathlib import Path
from typing import Any

from consumers.partner import PartnerRecord
from consumers.partner_client import PartnerClient

SCHEMA = """
create table if not exists records (
    event_id  text primary key,
    schema    text not null,
    delete_on text,            -- ISO date; the agreement says delete on this day
    body      text not null    -- the record as JSON, its own fields decrypted
)
"""


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else str(value)


def purge(db: sqlite3.Connection, today: date) -> int:
    """Delete every row whose delete date has come; how many."""
    with db:
        return db.execute("delete from records where delete_on <= ?", (today.isoformat(),)).rowcount


def load(kit: Path, database: Path, idle_seconds: float = 5.0) -> tuple[int, int]:
    """Read the partner's new records into ``database``; (rows added, rows purged)."""
    db = sqlite3.connect(database)
    db.execute(SCHEMA)
    purged = purge(db, date.today())
    added = 0
    client = PartnerClient.from_kit(kit)
    with client.consumer(before_commit=db.commit) as consumer:
        for item in consumer.records(idle_timeout=idle_seconds):
            if not isinstance(item, PartnerRecord):
                print(f"refused {item.topic}/{item.partition}@{item.offset}: {item.reason}", file=sys.stderr)
                continue
            delete_on = item.delete_on.isoformat() if item.delete_on else None
            body = json.dumps(item.record, default=_plain)
            cursor = db.execute(
                "insert or ignore into records values (?, ?, ?, ?)",
                (item.event_id, item.schema, delete_on, body),
            )
            added += cursor.rowcount
    db.commit()
    db.close()
    return added, purged


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows, gone = load(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{rows} record(s) added, {gone} deleted on their delete date")
