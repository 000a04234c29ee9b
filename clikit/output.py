"""``--json``: one JSON document on stdout, the same for every command.

Moments are ISO 8601 strings in UTC (:func:`clikit.humane.iso`), days ``YYYY-MM-DD``, paths and
enums their text, sets sorted lists, so the output can be compared and piped into ``jq`` as it is.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from clikit.humane import iso

JSON_HELP = "Print one JSON document instead of tables (times in ISO 8601, UTC)."
JSON_OPTION: Any = typer.Option(False, "--json", help=JSON_HELP)
"""The ``--json`` option, declared once so every command says the same."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(document: Any) -> str:
    """The JSON text of ``document`` (indented, UTF-8 kept)."""
    return json.dumps(document, indent=2, ensure_ascii=False, default=_plain)


def print_json(document: Any) -> None:
    """Write ``document`` to stdout as JSON."""
    typer.echo(dumps(document))
