"""Metavars as in every other Unix tool: ``FILE``, ``TEXT``, ``INTEGER``, ``[scram|tls]``; none
for a flag.

Typer 0.29 fills the help's type column with the Python annotation whenever a parameter has no
metavar (``TyperOption.display_type``): ``<bool>`` beside every flag, although a flag takes no
value, ``<list[Path]>``, ``<%Y-%m-%d>``. Rather than a metavar on each option of every command,
:func:`conventional` swaps each parameter of a command tree to a subclass that renders the
conventional name, once, where the tree is built (:class:`clikit.group.CommandGroup`).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import PurePath
from typing import Any, get_args, get_origin

from typer import _click  # typer's own click: the types its commands and parameters are made of
from typer.core import TyperArgument, TyperOption

_NAMES: dict[type, str] = {str: "TEXT", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN"}
_PATHS = {"file": "FILE", "dir": "DIR", "directory": "DIR"}
_DATE_FORMATS = {"%Y-%m-%d": "YYYY-MM-DD", "%Y-%m-%dT%H:%M:%S": "YYYY-MM-DDTHH:MM:SS"}


def metavar_of(param: TyperOption | TyperArgument) -> str:
    """The conventional metavar of a parameter ("" for a flag, which takes no value)."""
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        return ""
    descriptor = param.type_descriptor
    annotation: Any = descriptor.annotation
    if get_origin(annotation) in (list, tuple):
        inner = [a for a in get_args(annotation) if a is not Ellipsis]
        annotation = inner[0] if len(inner) == 1 else annotation
    choices = descriptor.choices
    if choices is not None:
        return "[" + "|".join(str(c.value if isinstance(c, Enum) else c) for c in choices) + "]"
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return _PATHS.get(descriptor.path_type, "PATH")
    if annotation is datetime:
        formats = descriptor.parameter_info.formats or ()
        return "|".join(_DATE_FORMATS.get(f, f) for f in formats) or "DATETIME"
    if get_origin(annotation) is tuple:
        return " ".join(_NAMES.get(a, "VALUE") for a in get_args(annotation))
    return _NAMES.get(annotation, "VALUE") if isinstance(annotation, type) else "VALUE"


class ConventionalOption(TyperOption):
    """A typer option whose help shows the conventional metavar."""

    def display_type(self, ctx: _click.Context) -> str:
        return metavar_of(self)


class ConventionalArgument(TyperArgument):
    """A typer argument named in capitals (``FILES...``) in the usage line and the help."""

    def display_type(self, ctx: _click.Context) -> str:
        label = metavar_of(self)
        return label + "..." if self.nargs != 1 else label

    def _usage_display_name(self) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"


def _make_conventional(param: _click.Parameter) -> None:
    if type(param) is TyperOption:
        param.__class__ = ConventionalOption
    elif type(param) is TyperArgument:
        param.__class__ = ConventionalArgument
        if param.metavar is None and param.name:
            param.metavar = param.name.upper()


def conventional(command: _click.Command) -> None:
    """Give every parameter of ``command`` and of its subcommands a conventional metavar."""
    for param in command.params:
        _make_conventional(param)
    help_option = command.get_help_option(_click.Context(command, **(command.context_settings or {})))
    if help_option is not None:  # made on first use and kept by the command
        _make_conventional(help_option)
    for sub in (getattr(command, "commands", None) or {}).values():
        conventional(sub)
