"""The agency-side commands explain themselves and refuse bad usage before touching Kafka."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

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
    assert "not a known agency" in result.output


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
