"""Mounts `pentameter bench` from the proving tools when they are installed, a hint when not.

The tools live in the checkout's top-level ``bench`` package, left out of the product wheel. The
product imports nothing from it: this module only looks its command group up by name, so an
install without the tools still starts, and `pentameter bench` says what is missing.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import typer

from clikit.exits import NOT_DONE

TOOLING_COMMANDS = "bench.commands"
CHECKOUT = Path(__file__).resolve().parent.parent
"""The source checkout when this package runs from one (an editable install), else site-packages."""
NOT_INSTALLED = (
    "pentameter bench: the proving tools are not installed; they come with a source checkout "
    "(`pip install -e '.[dev]'` there, or `make test`)."
)


def _tooling_module() -> Any:
    """The tooling's command module, from the import path or the checkout beside this package."""
    try:
        return importlib.import_module(TOOLING_COMMANDS)
    except ModuleNotFoundError as missing:
        if missing.name not in {"bench", TOOLING_COMMANDS}:
            raise
    if not (CHECKOUT / "bench" / "commands.py").is_file():
        return None
    sys.path.append(str(CHECKOUT))
    return importlib.import_module(TOOLING_COMMANDS)


def mount_tooling(app: typer.Typer) -> None:
    """Add the ``bench`` group to the root command, or a ``bench`` command that explains its absence."""
    try:
        tooling = _tooling_module()
    except ModuleNotFoundError as missing:
        hint = (
            f"pentameter bench: the proving tools need the dev extra (`pip install -e '.[dev]'`): {missing}"
        )
        tooling = None
    else:
        hint = NOT_INSTALLED
    if tooling is not None:
        app.add_typer(tooling.bench_group(), name="bench")
        return

    def not_installed(context: typer.Context) -> None:
        typer.echo(hint, err=True)
        raise typer.Exit(code=NOT_DONE)

    app.command(
        name="bench",
        help="Benchmarks, the fault runner and the fuzz runner (a source checkout's dev install only).",
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(not_installed)
