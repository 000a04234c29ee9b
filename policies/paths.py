"""Field paths (the convention of :mod:`schemas.fields`) taken apart for compiled plans.

``people[].address.postcode`` is read as: the array ``people``; in each element the record
``address``; in it the leaf ``postcode``. Its *scope* is ``people[]``, the innermost repeated
record instance, which is where per-instance decisions (a suspect's entity, a safe house's
address, a child's name) are taken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def scope_of(path: str) -> str:
    """The innermost repeated instance a path lies in ("" when none): ``people[].name`` ->
    ``people[]``, ``handling_conditions.recipients`` -> ""."""
    cut = max(path.rfind("[]"), path.rfind("{}"))
    return path[: cut + 2] if cut >= 0 else ""


def name_of(path: str) -> str:
    """Last field name of a path."""
    return path.rsplit(".", 1)[-1]


def is_under(path: str, ancestor: str) -> bool:
    """True if ``path`` is ``ancestor`` or lies inside it (record, array or map)."""
    if not ancestor:
        return True
    return path == ancestor or path.startswith((ancestor + ".", ancestor + "[].", ancestor + "{}."))


def relative_keys(path: str, scope: str) -> list[str]:
    """Keys that lead from an instance of ``scope`` to ``path`` (no repetition on the way)."""
    rest = path[len(scope) :].lstrip(".") if scope else path
    keys = rest.split(".") if rest else []
    if any(k.endswith(("[]", "{}")) for k in keys):
        raise ValueError(f"{path} is not reachable from {scope or 'the record'} without repetition")
    return keys


def getter(keys: Sequence[str]) -> Callable[[Any], Any]:
    """A function reading ``keys`` from a nested dict, None when a record on the way is null."""
    if not keys:
        return lambda value: value
    if len(keys) == 1:
        (k,) = keys

        def get1(value: Any) -> Any:
            return value[k]

        return get1
    if len(keys) == 2:
        a, b = keys

        def get2(value: Any) -> Any:
            inner = value[a]
            return None if inner is None else inner[b]

        return get2
    tail = tuple(keys)

    def get(value: Any) -> Any:
        for k in tail:
            if value is None:
                return None
            value = value[k]
        return value

    return get


def concrete(path: str, indexes: Sequence[int]) -> str:
    """Replace each ``[]`` / ``{}`` of a schema path by the instance's index or key in turn:
    ``people[].name`` with ``[2]`` -> ``people[2].name`` (how validation and encryption name an
    instance)."""
    if not indexes:
        return path
    out, i = [], 0
    for part in path.split("."):
        if part.endswith(("[]", "{}")) and i < len(indexes):
            out.append(f"{part[:-2]}[{indexes[i]}]")
            i += 1
        else:
            out.append(part)
    return ".".join(out)
