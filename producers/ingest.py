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
``issues`` lists them all: every problem of the row at once, those of cells that did not convert
and those validation finds in the rest. A CSV row's lines also name the ``column`` of each issue
(and its reason starts with ``column 'X':``), so a person fixes the spreadsheet, not the schema.

:func:`check_files` does the same reading and validation without a broker and without sending
anything (``pentameter ingest --check``); :func:`check_headers` looks only at the CSV headers.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from producers.adapters import Row, is_csv, read_rows
from producers.checks import check_event
from producers.exceptions import DeliveryFailed
from producers.mapping import CsvMapping, HeaderCheck, Problem
from producers.publisher import AgencyPublisher
from schemas.catalogue import Catalogue
from schemas.exceptions import RecordInvalid
from schemas.validation import Issue

UNKNOWN_TYPE = "(unknown)"
KEPT_REJECTS = 1000
"""Rejects lines an :class:`IngestReport` keeps in memory (the files hold them all)."""

Check = Callable[[Mapping[str, Any], str], list[Issue]]
"""Every issue of a record, named by its identity (``file line N``); sends nothing."""
Send = Callable[[Mapping[str, Any], str], str]
"""Publish a record (or only validate it); its event id, or RecordInvalid."""


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
    rejects: list[dict[str, Any]] = field(default_factory=list)
    """The first :data:`KEPT_REJECTS` rejects lines, for a caller to show."""

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

    def to_json(self) -> dict[str, Any]:
        """The report as ``--json`` prints it."""
        kinds = sorted(set(self.read) | set(self.undelivered))
        return {
            "by_event_type": {
                k: {
                    "read": self.read[k],
                    "published": self.published[k],
                    "rejected": self.rejected[k],
                    "not_delivered": self.undelivered[k],
                }
                for k in kinds
            },
            "read": self.total_read,
            "published": self.total_published,
            "rejected": self.total_rejected,
            "not_delivered": self.total_undelivered,
            "rejects_files": [str(p) for p in self.rejects_files],
            "rejects": self.rejects,
        }


def reject_line(
    row: Row, problems: Sequence[Problem], *, delivery: bool = False, mapping: CsvMapping | None = None
) -> dict[str, Any]:
    """The JSON object written to the rejects file for a row (with ``mapping``: each issue's column)."""
    issues = [_issue(path, reason, mapping) for path, reason in problems] or [_issue("", "rejected", mapping)]
    line: dict[str, Any] = {
        "file": row.file,
        "line": row.line,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "field": issues[0]["field"],
        "reason": issues[0]["reason"],
    }
    if mapping is not None:
        line["column"] = issues[0]["column"]
    line["issues"] = issues
    if delivery:
        line["delivery"] = True
    return line


def _issue(path: str, reason: str, mapping: CsvMapping | None) -> dict[str, Any]:
    issue: dict[str, Any] = {"field": path or None, "reason": reason}
    if mapping is not None:
        column = mapping.column_for(path) if path else None
        if column is not None and not reason.startswith("column "):
            issue["reason"] = f"column {column!r}: {reason}"
        issue = {"field": issue["field"], "column": column, "reason": issue["reason"]}
    return issue


class _Rejects:
    """Opens (truncating) one rejects file per destination, so stale rejects never linger; with
    ``write`` False it only keeps the lines (a check sends and writes nothing)."""

    def __init__(self, explicit: Path | None, report: IngestReport, write: bool = True) -> None:
        self.explicit = explicit
        self.report = report
        self.write_files = write
        self.handles: dict[Path, IO[str]] = {}

    def target(self, source: Path) -> Path:
        path = self.explicit or default_rejects_path(source)
        if self.write_files and path not in self.handles:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.handles[path] = path.open("w", encoding="utf-8")
        return path

    def write(self, target: Path, line: dict[str, Any]) -> None:
        if len(self.report.rejects) < KEPT_REJECTS:
            self.report.rejects.append(line)
        if self.write_files:
            handle = self.handles[target]
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            handle.flush()

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.report.rejects_files = list(self.handles)


def _identity(row: Row) -> str:
    return f"{row.file} line {row.line}"


def _under(path: str, failed: Iterable[str]) -> bool:
    return any(path == f or path.startswith((f + ".", f + "[")) for f in failed)


def row_problems(row: Row, check: Check) -> list[Problem]:
    """Every problem of a row the adapter could not fully read: its own (cells that did not
    convert), then what validation finds in the rest of the record (not the fields already named)."""
    problems = list(row.problems)
    if row.record is not None and problems:
        failed = [path for path, _ in problems if path]
        problems += [
            (i.path, i.reason) for i in check(row.record, _identity(row)) if not _under(i.path, failed)
        ]
    return problems


def _read_all(
    sources: Iterable[Path],
    mapping: CsvMapping | None,
    sink: _Rejects,
    check: Check,
    send: Send,
    on_row: Callable[[Row, bool], None] | None,
) -> dict[str, tuple[Row, Path]]:
    """Send every good row, write every bad one; the rows sent, by event id."""
    report = sink.report
    sent: dict[str, tuple[Row, Path]] = {}
    for source in sources:
        target = sink.target(source)
        for row in read_rows(source, mapping, name=str(source)):
            kind = row.event_type or UNKNOWN_TYPE
            report.read[kind] += 1
            problems = row_problems(row, check)
            if not problems and row.record is not None:
                try:
                    sent[send(row.record, _identity(row))] = (row, target)
                except RecordInvalid as exc:
                    problems = [(i.path, i.reason) for i in exc.issues]
            elif not problems:
                problems = [("", "rejected")]
            if problems:
                sink.write(target, reject_line(row, problems, mapping=mapping if is_csv(source) else None))
                report.rejected[kind] += 1
            else:
                report.published[kind] += 1
            if on_row is not None:
                on_row(row, not problems)
    return sent


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
    sink = _Rejects(rejects, report)
    try:
        sent = _read_all(
            sources,
            mapping,
            sink,
            lambda record, who: publisher.check(record, identity=who),
            lambda record, who: publisher.publish(record, identity=who),
            on_row,
        )
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
    return report


def check_files(
    sources: Iterable[Path],
    agency: str,
    *,
    mapping: CsvMapping | None = None,
    catalogue: Catalogue | None = None,
    on_row: Callable[[Row, bool], None] | None = None,
) -> IngestReport:
    """What :func:`ingest` would do, without a broker: each row read and validated as ``agency``
    would publish it; nothing sent, no file written (``published`` counts the rows that would be)."""

    def check(record: Mapping[str, Any], who: str) -> list[Issue]:
        return check_event(record, agency, identity=who, catalogue=catalogue)[1]

    def validate_only(record: Mapping[str, Any], who: str) -> str:
        converted, issues = check_event(record, agency, identity=who, catalogue=catalogue)
        if converted is None:
            raise RecordInvalid(issues)
        return str(converted["envelope"]["event_id"])

    report = IngestReport()
    sink = _Rejects(None, report, write=False)
    _read_all(sources, mapping, sink, check, validate_only, on_row)
    return report


def check_headers(sources: Iterable[Path], mapping: CsvMapping) -> dict[Path, HeaderCheck]:
    """How the header of each CSV source fits ``mapping`` (files without a header are left out)."""
    found = {}
    for source in sources:
        if not is_csv(source):
            continue
        with source.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            try:
                header = next(csv.reader(handle), None)
            except csv.Error:
                header = None
        if header is not None:
            found[source] = mapping.check_header(header)
    return found
