"""``--bootstrap-server`` and ``--command-config`` on every command that talks to Kafka.

Kafka's own tools and kcat take the cluster and a client properties file on the command line; so
does every `pentameter` command that connects. The options set the environment variables the
settings read (``KAFKA_BOOTSTRAP_SERVERS``, ``PENTAMETER_COMMAND_CONFIG``) before the command
runs, so a flag beats the environment, which beats the local broker, with one code path for all.
Commands that never connect (declared with :func:`offline`) do not get them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from typer import _click

BOOTSTRAP_VARIABLE = "KAFKA_BOOTSTRAP_SERVERS"
COMMAND_CONFIG_VARIABLE = "PENTAMETER_COMMAND_CONFIG"
_offline: set[tuple[str, ...]] = set()


def offline(*paths: tuple[str, ...]) -> None:
    """Declare commands (or whole groups, by their path) that never connect to Kafka."""
    _offline.update(paths)


def _into(variable: str) -> Callable[[_click.Context, _click.Parameter, str | None], str | None]:
    def store(_ctx: _click.Context, _param: _click.Parameter, value: str | None) -> str | None:
        if value is not None:
            os.environ[variable] = str(value)
        return value

    return store


def _template(
    bootstrap_server: str | None = typer.Option(
        None,
        "--bootstrap-server",
        metavar="HOST:PORT[,...]",
        help=f"The Kafka cluster to connect to (else ${BOOTSTRAP_VARIABLE}, else the local broker).",
    ),
    command_config: Path | None = typer.Option(
        None,
        "--command-config",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        help=f"Client properties (key=value lines, as kcat -F takes) for every client "
        f"(else ${COMMAND_CONFIG_VARIABLE}).",
    ),
) -> None:
    """Only its parameters are used: typer builds them as it builds every other option."""


def _options() -> list[_click.Parameter]:
    app = typer.Typer()
    app.command()(_template)
    variables = {"bootstrap_server": BOOTSTRAP_VARIABLE, "command_config": COMMAND_CONFIG_VARIABLE}
    params = [p for p in typer.main.get_command(app).params if p.name in variables]
    for param in params:
        variable = variables[str(param.name)]
        param.expose_value = False  # the command never sees them: they only set the variable
        param.is_eager = True  # before any other option is read
        param.callback = _into(variable)
    return params


def connect_options(command: _click.Command, path: tuple[str, ...] = ()) -> None:
    """Add the connection options to every leaf command below ``command`` not declared offline."""
    if any(path[: len(p)] == p for p in _offline):
        return
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            connect_options(sub, (*path, name))
        return
    if path and not any(p.name == "bootstrap_server" for p in command.params):
        command.params.extend(_options())


@contextmanager
def flags_kept_to_this_command() -> Iterator[None]:
    """Put the two variables back as they were once the command is done, so a flag never leaks
    into the next command run in the same process (a test's CliRunner, an embedding program)."""
    before = {name: os.environ.get(name) for name in (BOOTSTRAP_VARIABLE, COMMAND_CONFIG_VARIABLE)}
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
