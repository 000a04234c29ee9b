"""Inputs the fuzzer found that used to crash, each now a clear error naming file, line or field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policies.agreements import DEFAULT_AGREEMENTS, load_agreements
from policies.exceptions import AgreementError
from policies.registry import load_registry
from policies.yamlsource import YamlSourceError, loads
from producers.adapters import read_csv, read_jsonl
from producers.mapping import load_mapping
from schemas.catalogue import Catalogue, load_catalogue
from schemas.convert import to_json
from schemas.samples import sample
from schemas.validation import check, validate

pytestmark = pytest.mark.fuzz

MAPPINGS = Path(__file__).resolve().parents[2] / "producers" / "mappings"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("id: x\nnote: a\x00b\n", 2, "U+0000 is not allowed"),
        ("id: x\nevents: " + "[" * 5000 + "\n", 2, "nested too deeply"),
        ("id: x\nvalid_from: 2024-02-30\n", 2, "not a real date"),
    ],
)
def test_yaml_that_crashed_the_reader_is_a_located_error(text: str, line: int, says: str) -> None:
    with pytest.raises(YamlSourceError) as caught:
        loads(text, "a.yaml")
    assert caught.value.file == "a.yaml" and caught.value.line == line
    assert says in caught.value.message


def _agreement_problems(tmp_path: Path, catalogue: Catalogue, old: str, new: str) -> list[str]:
    baseline = sorted(DEFAULT_AGREEMENTS.glob("*.yaml"))[0].read_text(encoding="utf-8")
    assert old in baseline
    (tmp_path / "a.yaml").write_text(baseline.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        load_agreements(catalogue, load_registry(), tmp_path)
    assert all(p.file == str(tmp_path / "a.yaml") and p.line > 1 for p in caught.value.problems)
    return [p.message for p in caught.value.problems]


def test_a_date_with_a_time_is_a_problem_not_a_comparison_error(tmp_path: Path, catalogue: Catalogue) -> None:
    messages = _agreement_problems(tmp_path, catalogue, "valid_from: ", "valid_from: 2020-01-01 10:00:00 #")
    assert any("valid_from must be a date" in m for m in messages)


def test_a_mapping_where_a_normaliser_name_belongs_is_a_problem(tmp_path: Path, catalogue: Catalogue) -> None:
    source = DEFAULT_AGREEMENTS / "border_intel.yaml"
    text = source.read_text(encoding="utf-8")
    assert "normalise: name}" in text
    (tmp_path / "a.yaml").write_text(text.replace("normalise: name}", "normalise: {x: name}}", 1), "utf-8")
    with pytest.raises(AgreementError) as caught:
        load_agreements(catalogue, load_registry(), tmp_path)
    line = text[: text.index("normalise: name}")].count("\n") + 1
    assert [p.line for p in caught.value.problems if "unknown normaliser" in p.message] == [line]


def test_csv_rows_that_crashed_the_adapter_are_rejected_rows(tmp_path: Path, catalogue: Catalogue) -> None:
    mapping = load_mapping(MAPPINGS / "gloucestershire_intelligence.yaml", catalogue)
    base = (MAPPINGS / "gloucestershire_intelligence.csv").read_bytes()
    lines = base.split(b"\n")
    lines[1] = lines[1].replace(b"Gary Hale", b"Gary \xffHale")  # invalid UTF-8 in one cell
    lines[2] = lines[2].replace(b"Flat 2", b"F" * 200_000)  # past the csv module's field limit
    path = tmp_path / "export.csv"
    path.write_bytes(b"\n".join(lines))
    rows = list(read_csv(path, mapping, name="export.csv"))
    assert rows[0].line == 2 and rows[0].record is None
    assert rows[0].problems == (("", "column 'Subject' is not UTF-8 text"),)
    assert rows[1].line == 3 and rows[1].record is None
    assert "field larger than field limit" in rows[1].problems[0][1]
    assert all(r.record is not None for r in rows[2:]), "the rows after them are still read"


def test_jsonl_lines_that_crashed_the_adapter_are_rejected_rows(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"a": "\xff"}\n' + b"[" * 100_000 + b"\n" + b'{"n": ' + b"9" * 5000 + b"}\n{}\n")
    rows = list(read_jsonl(path, name="events.jsonl"))
    assert [r.line for r in rows] == [1, 2, 3, 4]
    assert rows[0].problems == (("", "not UTF-8 text"),)
    assert rows[1].problems == (("", "not valid JSON: nested too deeply"),)
    assert "4300 digits" in rows[2].problems[0][1]
    assert rows[3].record == {}


def test_a_value_too_deep_to_show_is_still_an_issue_naming_its_field(catalogue: Catalogue) -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = {"a": [deep]}
    _, issues = check({"envelope": deep}, "Arrest", identity="line 9", catalogue=catalogue)
    assert issues and issues[0].where == "line 9" and issues[0].path.startswith("envelope")


def test_a_lone_surrogate_is_an_issue_not_an_encoding_crash_after_validation(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    """JSON allows "\\ud800"; it has no UTF-8 form, so the publisher's encoder used to fail after
    validation passed, stopping the whole ingest run."""
    record = to_json(validate(sample("IntelligenceReport"), catalogue=catalogue))
    line = json.dumps(record).replace('"narrative": "', '"narrative": "\\ud800', 1)
    path = tmp_path / "events.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    (row,) = read_jsonl(path, name="events.jsonl")
    assert row.record is not None and "\ud800" in row.record["narrative"]
    _, issues = check(row.record, identity="events.jsonl line 1", catalogue=catalogue)
    assert [(i.path, i.reason) for i in issues] == [
        ("narrative", "is not valid Unicode text (it holds a lone surrogate)")
    ]
