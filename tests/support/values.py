"""Comparing decoded values strictly: what the native codec reads against what fastavro reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def same_values(a: Any, b: Any) -> bool:
    """Equal, of the same types all the way down (dict keys in the same order), with the same
    time zone objects."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and a.tzinfo is b.tzinfo
    return bool(a == b)
