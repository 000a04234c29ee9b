"""--bootstrap-server and --command-config reach every command that connects, win over the
environment for that command only, and are absent from commands that never connect."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from clikit.connection import BOOTSTRAP_VARIABLE, COMMAND_CONFIG_VARIABLE, connect_options
from clikit.group import CommandGroup
from pentameter.cli import app

ROOT = typer.main.get_command(app)


def _leaves(command: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    subs = getattr(command, "commands", None)
    if not subs:
        return {path: command}
    found: dict[tuple[str, ...], Any] = {}
    for name, sub in subs.items():
        found.update(_leaves(sub, (*path, name)))
    return found


def test_commands_that_connect_take_the_flags_and_offline_ones_do_not() -> None:
    connect_options(ROOT)  # what the root does to its tree before it runs
    leaves = _leaves(ROOT)
    with_flags = {p for p, c in leaves.items() if any("--bootstrap-server" in x.opts for x in c.params)}
    for path in [("topics", "plan"), ("router", "run"), ("partner", "consume"), ("ingest",), ("status",)]:
        assert path in with_flags, path
    for path in [("schemas", "list"), ("policy", "check"), ("generate",), ("config", "show")]:
        assert path not in with_flags, path


def test_a_flag_wins_over_the_environment_for_its_command_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str | None, str | None]] = []
    probe = typer.Typer(cls=CommandGroup)

    @probe.command("connect")
    def connect() -> None:
        seen.append((os.environ.get(BOOTSTRAP_VARIABLE), os.environ.get(COMMAND_CONFIG_VARIABLE)))

    @probe.command("other")
    def other() -> None:
        seen.append((os.environ.get(BOOTSTRAP_VARIABLE), os.environ.get(COMMAND_CONFIG_VARIABLE)))

    monkeypatch.setenv(BOOTSTRAP_VARIABLE, "env:9092")
    monkeypatch.delenv(COMMAND_CONFIG_VARIABLE, raising=False)
    properties = tmp_path / "c.properties"
    properties.write_text("bootstrap.servers=file:9092\n")
    runner = CliRunner()
    flags = ["--bootstrap-server", "flag:9092", "--command-config", str(properties)]
    result = runner.invoke(probe, ["connect", *flags])
    assert result.exit_code == 0, result.output
    assert runner.invoke(probe, ["other"]).exit_code == 0
    assert seen == [("flag:9092", str(properties)), ("env:9092", None)]
    missing = runner.invoke(
        probe, ["connect", "--command-config", str(tmp_path / "nope")], env={"COLUMNS": "300"}
    )
    assert missing.exit_code == 2 and "does not exist" in missing.output
