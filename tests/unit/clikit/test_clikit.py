"""The shared command-line conventions: unknown names, human times, JSON, help text, layering."""

from __future__ import annotations

import ast
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import clikit
from clikit.choices import closest, require, unknown_message
from clikit.helptext import reflow
from clikit.humane import duration, iso, when
from clikit.output import dumps

EVENTS = ["Arrest", "AssetSeizure", "IntelligenceReport", "NRMDecision", "NRMReferral"]


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("IntelligenceReprot", "IntelligenceReport"),
        ("intelligencereport", "IntelligenceReport"),
        ("arest", "Arrest"),
        ("NoSuchEvent", None),
    ],
)
def test_closest_finds_what_a_person_meant(given: str, meant: str | None) -> None:
    assert closest(given, EVENTS) == meant


def test_an_unknown_name_is_one_line_naming_the_known_ones() -> None:
    message = unknown_message("event type", "IntelligenceReprot", EVENTS)
    assert message == (
        "unknown event type 'IntelligenceReprot' (did you mean 'IntelligenceReport'?); "
        "known: Arrest, AssetSeizure, IntelligenceReport, NRMDecision, NRMReferral"
    )
    assert "did you mean" not in unknown_message("partner", "zzz", ["ncc", "sca"])


def test_require_exits_2_with_the_message_on_stderr() -> None:
    app = typer.Typer()

    @app.command()
    def pick(event: str) -> None:
        require("event type", event, EVENTS)
        typer.echo("ok")

    refused = CliRunner().invoke(app, ["Arest"])
    assert refused.exit_code == 2
    assert refused.output.count("\n") == 1 and "did you mean 'Arrest'?" in refused.output
    assert CliRunner().invoke(app, ["Arrest"]).output == "ok\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.25, "250 ms"),
        (4.25, "4.2 s"),
        (42, "42 s"),
        (200, "3 min 20 s"),
        (180, "3 min"),
        (7500, "2 h 05 min"),
        (90000, "1 day 1 h"),
        (3 * 86400, "3 days"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_moments_are_human_in_tables_and_iso_in_json() -> None:
    at = datetime(2026, 11, 24, 10, 0, 3, tzinfo=UTC)
    assert when(at, now=at + timedelta(minutes=5)) == "24 Nov 2026 10:00:03 UTC (5 min ago)"
    assert when(at, now=at + timedelta(days=30)) == "24 Nov 2026 10:00:03 UTC"
    assert when(int(at.timestamp() * 1000), now=at) == "24 Nov 2026 10:00:03 UTC (just now)"
    assert when(None) == when(0) == "-"
    assert (
        iso(at)
        == iso("2026-11-24T10:00:03Z")
        == iso(int(at.timestamp() * 1000))
        == "2026-11-24T10:00:03.000Z"
    )


def test_json_output_writes_moments_as_iso_and_paths_as_text() -> None:
    document = {"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "day": date(2026, 1, 2), "file": Path("a/b")}
    assert json.loads(dumps(document)) == {
        "at": "2026-01-02T03:04:05.000Z",
        "day": "2026-01-02",
        "file": "a/b",
    }


def test_reflow_joins_paragraph_lines_but_keeps_lists() -> None:
    text = "First line\nstill the first.\n\nSecond para\nwrapped here.\n\nA list:\n- one\n- two"
    assert reflow(text) == "First line still the first.\n\nSecond para wrapped here.\n\nA list:\n- one\n- two"


def test_clikit_imports_no_other_pentameter_package() -> None:
    root = Path(clikit.__file__).parent
    others = {"schemas", "policies", "infra", "producers", "consumers", "pentameter"}
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not {n.split(".")[0] for n in names} & others, f"{path.name} imports {names}"
