"""Ingest: files -> rows -> publisher, with every bad row written to a rejects file.

Each row ends in exactly one place: published (validated, signed, produced and acknowledged) or
rejected (one JSON line in the rejects file saying the file, line, event id, field and reason). A
bad row never stops the good ones, and nothing of a bad row is sent, because the publisher
validates before it buffers. Rows the broker did not acknowledge are listed separately (and also
written to the rejects file with ``"delivery": true``) so they can be sent again.

A rejects line::

    {"file": "police.kent.jsonl", "line": 12, "event_id": "7f1c...", "event_type": "IntelligenceReport",
     "field": "grading.source_evaluation", "reason": "'2' is not a 5x5x5 source evaluation ...",
     "issues": [{"field": "grading.source_evaluation", "reason": "..."}]}

``field`` and ``reason`` are the first issue's (``field`` is null when the row could not be read);
``issues`` lists them all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from producers.adapters import Row, read_rows
from producers.exceptions import DeliveryFailed
from producers.mapping import CsvMapping, Problem
from producers.publisher import AgencyPublisher
from schemas.exceptions import RecordInvalid

UNKNOWN_TYPE = "(unknown)"


def default_rejects_path(source: Path) -> Path:
    """Where a file's rejects go unless told otherwise: next to it, ``<name>.rejects.jsonl``."""
    return source.with_name(source.name + ".rejects.jsonl")


@dataclass
class IngestReport:
    """What happened to the rows of one ingest run."""

    read: Counter[str] = field(default_factory=Counter)
    published: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    undelivered: Counter[str] = field(default_factory=Counter)
    """Counts by event type (``(unknown)`` when a row names none)."""
    rejects_files: list[Path] = field(default_factory=list)
    undelivered_ids: list[str] = field(default_factory=list)

    @property
    def total_read(self) -> int:
        return sum(self.read.values())

    @property
    def total_published(self) -> int:
        return sum(self.published.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    @property
    def total_undelivered(self) -> int:
        return sum(self.undelivered.values())

    @property
    def exit_code(self) -> int:
        """0 all published; 1 some rows rejected; 2 some valid rows were not delivered."""
        if self.total_undelivered:
            return 2
        return 1 if self.total_rejected else 0


def reject_line(row: Row, problems: Sequence[Problem], *, delivery: bool = False) -> dict[str, Any]:
    """The JSON object written to the rejects file for a row."""
    first_field, first_reason = problems[0] if problems else ("", "rejected")
    line: dict[str, Any] = {
        "file": row.file,
        "line": row.line,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "field": first_field or None,
        "reason": first_reason,
        "issues": [{"field": path or None, "reason": reason} for path, reason in problems],
    }
    if delivery:
        line["delivery"] = True
    return line


class _Rejects:
    """Opens (truncating) one rejects file per destination, so stale rejects never linger."""

    def __init__(self, explicit: Path | None) -> None:
        self.explicit = explicit
        self.handles: dict[Path, IO[str]] = {}

    def target(self, source: Path) -> Path:
        path = self.explicit or default_rejects_path(source)
        if path not in self.handles:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.handles[path] = path.open("w", encoding="utf-8")
        return path

    def write(self, target: Path, line: dict[str, Any]) -> None:
        handle = self.handles[target]
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        handle.flush()

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def ingest(
    sources: Iterable[Path],
    publisher: AgencyPublisher,
    *,
    mapping: CsvMapping | None = None,
    rejects: Path | None = None,
    on_row: Callable[[Row, bool], None] | None = None,
    flush_timeout: float | None = None,
) -> IngestReport:
    """Publish every good row of ``sources`` and write every bad one to the rejects file(s).

    ``rejects`` is one file for all sources; by default each source gets its own next to it.
    ``on_row(row, accepted)`` is called after each row (for progress bars).
    """
    report = IngestReport()
    sink = _Rejects(rejects)
    sent: dict[str, tuple[Row, Path]] = {}
    try:
        for source in sources:
            target = sink.target(source)
            for row in read_rows(source, mapping, name=str(source)):
                kind = row.event_type or UNKNOWN_TYPE
                report.read[kind] += 1
                accepted = False
                if row.problems or row.record is None:
                    sink.write(target, reject_line(row, row.problems))
                else:
                    try:
                        event_id = publisher.publish(row.record, identity=f"{row.file} line {row.line}")
                    except RecordInvalid as exc:
                        sink.write(target, reject_line(row, [(i.path, i.reason) for i in exc.issues]))
                    else:
                        accepted = True
                        sent[event_id] = (row, target)
                if accepted:
                    report.published[kind] += 1
                else:
                    report.rejected[kind] += 1
                if on_row is not None:
                    on_row(row, accepted)
        try:
            publisher.flush(flush_timeout)
        except DeliveryFailed as failed:
            for failure in failed.failures:
                found = sent.get(failure.event_id)
                if found is None:
                    continue
                row, target = found
                kind = row.event_type or UNKNOWN_TYPE
                report.published[kind] -= 1
                report.undelivered[kind] += 1
                report.undelivered_ids.append(failure.event_id)
                sink.write(
                    target, reject_line(row, [("", f"not delivered: {failure.reason}")], delivery=True)
                )
    finally:
        sink.close()
        report.rejects_files = list(sink.handles)
    return report
