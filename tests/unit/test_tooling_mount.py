"""`pentameter bench` comes from the tooling tree in a checkout, and explains itself without it."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from clikit.exits import NOT_DONE
from pentameter import tooling


def _root() -> typer.Typer:
    app = typer.Typer()
    app.command(name="noop")(lambda: None)
    return app


def test_a_checkout_mounts_every_bench_command() -> None:
    app = _root()
    tooling.mount_tooling(app)
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("publish", "policy", "route", "faults", "soak", "scale", "report"):
        assert command in result.output


def test_without_the_tooling_bench_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tooling, "_tooling_module", lambda: None)
    app = _root()
    tooling.mount_tooling(app)
    result = CliRunner().invoke(app, ["bench", "route", "--events", "5"])
    assert result.exit_code == NOT_DONE
    assert result.output.strip() == tooling.NOT_INSTALLED
