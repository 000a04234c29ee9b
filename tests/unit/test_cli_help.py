"""Every command and subcommand of `pentameter` explains itself with --help."""

from __future__ import annotations

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
