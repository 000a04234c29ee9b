"""Input adapters: files an agency already has, read as numbered rows of candidate records.

An adapter only reads and shapes; it never decides validity beyond "could this row be read at
all" (bad JSON, a CSV cell that does not convert). Each :class:`Row` carries the file and line it
came from, so a rejection can point a person at the exact line to fix. Validation proper happens
once, in the publisher, for every source alike.

* JSON Lines (``.jsonl``, ``.ndjson``, ``.json``): one record per line in the JSON-friendly form
  (blank lines skipped; line numbers count every physical line).
* CSV (``.csv``): through a :class:`~producers.mapping.CsvMapping`; the header is line 1 and a
  row's line is the physical line it starts on (quoted cells may span lines). A header that
  lacks a mapped column is one problem on line 1, and no row is read. A row whose cells did not
  all convert carries the problems and the record of what did convert.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producers.mapping import CsvMapping, Problem

CSV_SUFFIXES = (".csv",)


@dataclass(frozen=True, slots=True)
class Row:
    """One input row: where it came from, and the record or why it could not be read."""

    file: str
    line: int
    record: dict[str, Any] | None
    problems: tuple[Problem, ...] = ()

    @property
    def event_id(self) -> str | None:
        """The row's envelope.event_id as written, if it has one."""
        value = _envelope(self.record).get("event_id")
        return str(value) if value is not None else None

    @property
    def event_type(self) -> str | None:
        value = _envelope(self.record).get("event_type")
        return str(value) if value is not None else None


def _envelope(record: object) -> dict[str, Any]:
    envelope = record.get("envelope") if isinstance(record, dict) else None
    return envelope if isinstance(envelope, dict) else {}


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in CSV_SUFFIXES


def read_jsonl(path: Path, name: str | None = None) -> Iterator[Row]:
    """Rows of a JSON Lines file; a line that is not a JSON object is a row with a problem."""
    label = name or str(path)
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if not _is_utf8(line):
                yield Row(label, number, None, (("", "not UTF-8 text"),))
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Row(label, number, None, (("", f"not valid JSON: {exc.msg} (column {exc.colno})"),))
                continue
            except (ValueError, RecursionError) as exc:  # an integer past 4,300 digits; deep nesting
                problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
                yield Row(label, number, None, (("", f"not valid JSON: {problem}"),))
                continue
            if not isinstance(value, dict):
                yield Row(
                    label, number, None, (("", f"a {type(value).__name__} where a JSON object is expected"),)
                )
                continue
            yield Row(label, number, value)


def read_csv(path: Path, mapping: CsvMapping, name: str | None = None) -> Iterator[Row]:
    """Rows of a CSV file with a header, converted by ``mapping``."""
    label = name or str(path)
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            yield Row(label, 1, None, (("", f"the header cannot be read as CSV: {exc}"),))
            return
        if header is None:
            return
        missing = mapping.check_header(header).missing
        if missing:  # every row would fail the same way: said once, for the header
            yield Row(label, 1, None, (("", f"columns missing from the header: {', '.join(missing)}"),))
            return
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as exc:  # e.g. a cell past the csv module's field size limit
                yield Row(label, start, None, (("", f"cannot be read as CSV: {exc}"),))
                start = reader.line_num + 1
                continue
            if cells is None:
                break
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            bad = [i for i, c in enumerate(cells) if not _is_utf8(c)]
            if bad:
                column = header[bad[0]] if bad[0] < len(header) else f"cell {bad[0] + 1}"
                yield Row(label, line, None, (("", f"column {column!r} is not UTF-8 text"),))
                continue
            if len(cells) > len(header):
                yield Row(
                    label, line, None, (("", f"{len(cells)} cells but the header has {len(header)} columns"),)
                )
                continue
            record, problems = mapping.apply(dict(zip(header, cells, strict=False)))
            yield Row(label, line, record, tuple(problems))


def _is_utf8(text: str) -> bool:
    """False when the text holds bytes that were not UTF-8 (read with ``surrogateescape``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_rows(path: Path, mapping: CsvMapping | None = None, name: str | None = None) -> Iterator[Row]:
    """Rows of any supported file, chosen by suffix (CSV needs a mapping)."""
    if is_csv(path):
        if mapping is None:
            raise ValueError(f"{path}: a CSV file needs a column mapping (--mapping FILE)")
        return read_csv(path, mapping, name)
    return read_jsonl(path, name)


def count_rows(path: Path) -> int:
    """Roughly how many rows a file holds (non-blank lines, less a CSV header), for progress."""
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1) if is_csv(path) else lines
