"""Every command and subcommand of `pentameter` explains itself with --help."""

from __future__ import annotations

import re
from importlib.metadata import version
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pentameter.cli import app


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in (getattr(command, "commands", None) or {}).items():
        paths.extend(_command_paths(sub, (*prefix, name)))
    return paths


ROOT = typer.main.get_command(app)
PATHS = _command_paths(ROOT)


def test_the_command_tree_has_the_foundation_commands() -> None:
    assert {("broker", "up"), ("broker", "down"), ("broker", "status"), ("broker", "logs")} <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "pentameter")
def test_help_explains(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # a real sentence of explanation, not just the usage line
    body = result.output.split("Usage:", 1)[1]
    assert len([w for w in body.split() if w.isalpha()]) > 8


PYTHON_TYPES = re.compile(r"<(?:bool|str|int|float|path|file|dir|list\[|tuple|datetime|%)", re.IGNORECASE)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "pentameter")
def test_help_shows_conventional_metavars_not_python_types(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert not PYTHON_TYPES.search(result.output), result.output


def test_flags_take_no_metavar_and_values_name_their_kind() -> None:
    result = CliRunner().invoke(app, ["ingest", "--help"])
    lines = result.output.splitlines()
    rows = {line.split()[1]: line for line in lines if line.strip("│ *").startswith("--")}
    assert rows["--quiet"].split()[2] == "No"  # the help text follows the flag at once
    assert rows["--batch-size"].split()[2] == "INTEGER"
    assert rows["--mapping"].split()[2] == "FILE"
    assert "ingest [OPTIONS] FILES..." in result.output


def test_help_paragraphs_wrap_to_the_terminal_not_to_the_docstring() -> None:
    lines = CliRunner().invoke(app, ["ingest", "--help"]).output.splitlines()
    # the docstring breaks its second paragraph after "event id,"; the terminal wraps elsewhere
    assert any("event id, field" in line for line in lines)
    assert not any(line.rstrip().endswith("event id,") for line in lines)


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"pentameter {version('pentameter')}"


NO_REPORT = {
    ("demo",): "checks itself against the ground truth; its output is the demo",
    ("broker", "logs"): "prints the broker's own log",
    ("partner", "consume"): "writes JSON Lines of records",
    ("partner", "revoke"): "an irreversible action asked for by a person, confirmed with --confirm",
    ("analytics", "run"): "a service; its figures are served as JSON on /api/*",
    ("creds", "show"): "prints JSON client settings",
    ("bench", "faults"): "prints its damage table (the fault suite)",
    ("bench", "report"): "writes docs/benchmarks.md and docs/reliability.md",
}
"""Commands without --json, each with the reason."""


def test_every_command_that_reports_offers_json() -> None:
    leaves = [p for p in PATHS if p and not getattr(_command_at(p), "commands", None)]
    without = {p for p in leaves if not any("--json" in param.opts for param in _command_at(p).params)}
    assert without == set(NO_REPORT)


def _command_at(path: tuple[str, ...]) -> Any:
    command: Any = ROOT
    for name in path:
        command = command.commands[name]
    return command
