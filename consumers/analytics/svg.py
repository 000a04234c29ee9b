"""A few helpers for the inline SVG of the dashboard: escaped elements and round axis ticks."""

from __future__ import annotations

import math
from html import escape


def tag(name: str, content: str = "", **attributes: object) -> str:
    """``<name a="1">content</name>`` with escaped attribute values (``data_week`` -> ``data-week``,
    ``class_`` -> ``class``); an empty element closes itself."""
    attrs = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for key, value in attributes.items()
        if value is not None
    )
    return f"<{name}{attrs}>{content}</{name}>" if content else f"<{name}{attrs}/>"


def title(text: str) -> str:
    """A tooltip (``<title>``) for the element it is placed in."""
    return f"<title>{escape(text)}</title>"


def text(content: str, **attributes: object) -> str:
    return tag("text", escape(content), **attributes)


def ticks(top: float, count: int = 4) -> list[int]:
    """Round axis values from 0 covering ``top``: 1, 2 or 5 times a power of ten apart."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(int(step), 1)
    return list(range(0, math.ceil(top / step) * step + 1, step))
