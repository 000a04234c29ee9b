"""What a rejection says, and what exit status a run ends with."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from producers.adapters import Row
from producers.ingest import IngestReport, default_rejects_path, reject_line


def test_reject_line_names_file_line_event_field_and_reason() -> None:
    row = Row("in.jsonl", 12, {"envelope": {"event_id": "e-1", "event_type": "IntelligenceReport"}})
    line = reject_line(row, [("grading.source_evaluation", "'2' is not ..."), ("narrative", "is blank")])
    assert line == {
        "file": "in.jsonl",
        "line": 12,
        "event_id": "e-1",
        "event_type": "IntelligenceReport",
        "field": "grading.source_evaluation",
        "reason": "'2' is not ...",
        "issues": [
            {"field": "grading.source_evaluation", "reason": "'2' is not ..."},
            {"field": "narrative", "reason": "is blank"},
        ],
    }


def test_an_unreadable_row_has_no_field_and_no_event_id() -> None:
    line = reject_line(Row("in.jsonl", 3, None, (("", "not valid JSON"),)), [("", "not valid JSON")])
    assert (line["field"], line["event_id"], line["event_type"]) == (None, None, None)


def test_exit_codes() -> None:
    report = IngestReport(read=Counter(A=3), published=Counter(A=3))
    assert report.exit_code == 0
    report.rejected["A"] += 1
    assert report.exit_code == 1
    report.undelivered["A"] += 1
    assert report.exit_code == 2


def test_rejects_go_next_to_the_input_by_default() -> None:
    assert default_rejects_path(Path("/data/police.kent.jsonl")) == Path(
        "/data/police.kent.jsonl.rejects.jsonl"
    )
