"""Help paragraphs that wrap to the terminal instead of keeping the docstring's line breaks.

Typer 0.29 keeps every single line break of a docstring after its first paragraph (and in the
command list), so a docstring wrapped at 110 columns prints as ragged lines on an 80-column
terminal. :func:`reflow` joins the lines of each paragraph; lists (lines starting with ``-``,
``*`` or ``1.``), indented blocks and paragraphs starting with ``\\b`` keep their lines.
"""

from __future__ import annotations

import re

_KEEPS_LINES = re.compile(r"^\s*(?:[-*•]\s|\d+[.)]\s|\s)")


def reflow(text: str | None) -> str | None:
    """``text`` with the single line breaks inside each plain paragraph replaced by spaces."""
    if not text:
        return text
    paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
    return "\n\n".join(_paragraph(p) for p in paragraphs)


def _paragraph(paragraph: str) -> str:
    lines = paragraph.split("\n")
    if paragraph.startswith("\b") or any(_KEEPS_LINES.match(line) for line in lines[1:]):
        return paragraph
    return " ".join(line.strip() for line in lines)
