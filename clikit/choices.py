"""An unknown name is one line naming the known ones, with the closest as a suggestion.

``policy matrix --event NoSuchEvent`` used to end in a traceback and ``--partner no.such`` in an
empty table; every command now refuses an unknown event type, partner, agency or field the same
way, before doing any work::

    error: unknown event type 'IntelligenceReprot' (did you mean 'IntelligenceReport'?);
    known: Arrest, AssetSeizure, ...
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import typer
from rich.console import Console
from rich.markup import escape

from clikit.exits import NOT_DONE


def closest(given: str, known: Iterable[str]) -> str | None:
    """The known name a person most likely meant (case and separators ignored), if any is close."""
    names = list(known)
    folded = {_fold(name): name for name in names}
    match = difflib.get_close_matches(_fold(given), list(folded), n=1, cutoff=0.7)
    return folded[match[0]] if match else None


def _fold(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def unknown_message(kind: str, given: str, known: Iterable[str]) -> str:
    """``unknown KIND 'GIVEN' (did you mean 'X'?); known: A, B, C`` as plain text."""
    names = sorted(dict.fromkeys(known))
    guess = closest(given, names)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return f"unknown {kind} {given!r}{hint}; known: {', '.join(names) or 'none'}"


def unknown(kind: str, given: str, known: Iterable[str]) -> typer.Exit:
    """Print the one-line error on stderr and return the exit (status 2) for the caller to raise."""
    fail(unknown_message(kind, given, known))
    return typer.Exit(code=NOT_DONE)


def require(kind: str, given: str | None, known: Iterable[str]) -> None:
    """Raise :func:`unknown`'s exit when ``given`` is set and not one of ``known``."""
    names = list(known)
    if given is not None and given not in names:
        raise unknown(kind, given, names)


def fail(message: str) -> None:
    """``error: MESSAGE`` on stderr as one logical line (never hard-wrapped, never markup)."""
    Console(stderr=True, soft_wrap=True, highlight=False).print(f"[bold red]error:[/] {escape(message)}")
