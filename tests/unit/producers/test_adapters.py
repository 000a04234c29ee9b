"""Adapters number rows by their physical line and never drop a row silently."""

from __future__ import annotations

import json
from pathlib import Path

from producers.adapters import count_rows, read_csv, read_jsonl, read_rows
from producers.mapping import load_mapping

EXAMPLE = Path(__file__).resolve().parents[3] / "producers" / "mappings" / "gloucestershire_intelligence.yaml"


def test_jsonl_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    good = {"envelope": {"event_id": "e1", "event_type": "Arrest"}}
    path.write_text(json.dumps(good) + "\n\n{not json\n[1, 2]\n" + json.dumps(good) + "\n", encoding="utf-8")
    rows = list(read_jsonl(path))
    assert [r.line for r in rows] == [1, 3, 4, 5]
    assert rows[0].record == good and rows[0].event_id == "e1" and rows[0].event_type == "Arrest"
    assert rows[1].record is None and rows[1].problems[0][0] == ""
    assert "not valid JSON" in rows[1].problems[0][1]
    assert "JSON object" in rows[2].problems[0][1]
    assert count_rows(path) == 4


def test_csv_line_numbers_follow_quoted_cells_over_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        'Text,Source ref\n"first, one line",S1\n"second\nspans two lines",S2\n\nthird,S3\n', encoding="utf-8"
    )
    mapping_path = tmp_path / "m.yaml"
    mapping_path.write_text(
        "format: 1\nevent_type: IntelligenceReport\n"
        "columns:\n  Text: narrative\n  Source ref: source.reference\n",
        encoding="utf-8",
    )
    rows = list(read_csv(path, load_mapping(mapping_path)))
    assert [r.line for r in rows] == [2, 3, 6]
    assert rows[1].record == {"narrative": "second\nspans two lines", "source": {"reference": "S2"}}


def test_csv_rows_missing_mapped_columns_are_rejected_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("URN,Text\nX1,hello\n", encoding="utf-8")
    (row,) = list(read_rows(path, load_mapping(EXAMPLE)))
    assert row.record is None and "columns missing from the header" in row.problems[0][1]
