"""The command group every `pentameter` sub-app is made of.

:func:`command_group` is ``typer.Typer`` with :class:`CommandGroup` as its group class. When a
command runs (``pentameter ...`` or a test's ``CliRunner``), the group first walks the whole tree
below it: conventional metavars (:mod:`clikit.metavars`) and reflowed help
(:mod:`clikit.helptext`), so no command can forget either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer
from typer import _click
from typer.core import TyperGroup

from clikit.helptext import reflow
from clikit.metavars import conventional


def _tidy(command: _click.Command) -> None:
    command.help = reflow(command.help)
    for sub in (getattr(command, "commands", None) or {}).values():
        _tidy(sub)


class CommandGroup(TyperGroup):
    """A typer group that makes its tree conventional before it parses or prints help."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        conventional(self)
        _tidy(self)
        return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)


def command_group(help: str, **options: Any) -> typer.Typer:
    """A sub-app (``pentameter schemas``, ``pentameter policy``...) with the shared conventions;
    ``no_args_is_help`` unless told otherwise."""
    options.setdefault("no_args_is_help", True)
    return typer.Typer(help=help, cls=CommandGroup, **options)
