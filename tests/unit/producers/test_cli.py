"""The agency-side commands explain themselves and refuse bad usage before touching Kafka."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from producers.cli import register

app = typer.Typer()
bench_app = typer.Typer(help="Benchmarks.")
app.add_typer(bench_app, name="bench")
register(app, bench_app)
runner = CliRunner()
NOWHERE = "127.0.0.1:1"


@pytest.mark.parametrize("path", [["ingest"], ["generate"], ["bench", "publish"]])
def test_help_explains(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    body = result.output.split("Usage:", 1)[1]
    assert len([w for w in body.split() if w.isalpha()]) > 8


def test_generate_help_says_the_forces_stand_in() -> None:
    result = runner.invoke(app, ["generate", "--help"], terminal_width=200)
    assert "46" in result.output and "55" in result.output


def test_ingest_refuses_an_unknown_agency(tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_text("{}\n", encoding="utf-8")
    result = runner.invoke(
        app, ["ingest", "--agency", "police.atlantis", "--bootstrap", NOWHERE, str(source)]
    )
    assert result.exit_code == 2
    assert "unknown agency 'police.atlantis'; known: border.intel, hmrc," in " ".join(result.output.split())
    typo = runner.invoke(app, ["ingest", "--agency", "police.glocestershire", "--check", str(source)])
    assert typo.exit_code == 2 and "(did you mean 'police.gloucestershire'?)" in typo.output


def test_ingest_refuses_csv_without_a_mapping(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("URN\nX\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--agency", "police.kent", "--bootstrap", NOWHERE, str(source)])
    assert result.exit_code == 2
    assert "--mapping" in result.output


def test_ingest_reports_a_broken_mapping(tmp_path: Path) -> None:
    source, mapping = tmp_path / "a.csv", tmp_path / "m.yaml"
    source.write_text("URN\nX\n", encoding="utf-8")
    mapping.write_text(
        "format: 1\nevent_type: IntelligenceReport\ncolumns:\n  URN: envelope.nope\n", encoding="utf-8"
    )
    result = runner.invoke(
        app,
        ["ingest", "--agency", "police.kent", "--bootstrap", NOWHERE, "--mapping", str(mapping), str(source)],
    )
    assert result.exit_code == 2
    assert "envelope.nope" in result.output


def test_generate_writes_files_and_ground_truth(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--seed", "1", "--scale", "0.02", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ground_truth.json").exists()
    assert (tmp_path / "police.metropolitan.jsonl").exists()


def test_generate_refuses_an_unknown_scenario(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["generate", "--seed", "1", "--scenario", "pentameter9", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "unknown scenario" in result.output


MAPPINGS = Path(__file__).resolve().parents[3] / "producers" / "mappings"
EXAMPLE_CSV = MAPPINGS / "gloucestershire_intelligence.csv"
EXAMPLE_MAPPING = MAPPINGS / "gloucestershire_intelligence.yaml"


def _check(source: Path, *extra: str) -> Result:
    args = ["ingest", "--check", "--agency", "police.gloucestershire", "--mapping", str(EXAMPLE_MAPPING)]
    return runner.invoke(app, [*args, *extra, str(source)])


def _export(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = EXAMPLE_CSV.read_text(encoding="utf-8")
    for old, new in changes:
        text = text.replace(old, new, 1)
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_validates_every_row_without_a_broker(tmp_path: Path) -> None:
    result = _check(EXAMPLE_CSV, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["check"] and document["published"] == 4 and document["rejected"] == 0
    assert not list(MAPPINGS.glob("*.rejects.jsonl"))  # a check writes nothing


def test_check_names_the_column_of_every_problem_of_a_row(tmp_path: Path) -> None:
    source = _export(tmp_path, (",Public,", ",Publc,"), (",41,M,", ",forty,M,"))
    result = _check(source, "--json")
    assert result.exit_code == 1
    [reject] = json.loads(result.stdout)["rejects"]
    assert reject["line"] == 2
    assert [(i["column"], i["field"]) for i in reject["issues"]] == [
        ("Source type", "source.source_type"),
        ("Subject age", "people[0].age"),
    ]
    assert all(i["reason"].startswith(f"column {i['column']!r}: ") for i in reject["issues"])
    table = _check(source)
    assert (
        "line 2: source.source_type: column 'Source type': 'Publc' is not one of the labels" in table.output
    )


def test_a_mapped_column_missing_from_the_header_fails_once_before_any_row(tmp_path: Path) -> None:
    source = _export(tmp_path, ("Subject age,", "Age,"))
    result = _check(source)
    assert result.exit_code == 2
    assert result.output.count("columns missing from the header: Subject age") == 1
    assert "line 3" not in result.output  # no row was read


def test_columns_the_mapping_does_not_use_are_named_in_a_warning(tmp_path: Path) -> None:
    text = EXAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    source = tmp_path / "export.csv"
    source.write_text("\n".join([text[0] + ",Notes", *(line + ",x" for line in text[1:])]) + "\n")
    result = _check(source)
    assert result.exit_code == 0, result.output
    assert (
        "warning:" in result.output and "columns the mapping does not use (ignored): Notes" in result.output
    )
    assert json.loads(_check(source, "--json").stdout)["unmapped_columns"] == {str(source): ["Notes"]}
