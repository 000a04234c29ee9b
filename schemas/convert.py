"""Turn JSON-friendly values into the Avro-ready record, and back.

Agencies submit records as JSON (ISO 8601 strings for dates and times, strings for UUIDs and
enum symbols) or as already-typed Python values. :func:`to_avro` walks the schema and produces
exactly the values fastavro writes and reads back: ``uuid.UUID`` for uuid strings, timezone-aware
UTC ``datetime`` truncated to milliseconds for timestamp-millis, ``date`` for date, lists for
arrays, defaults filled in for absent fields. So ``decode(encode(to_avro(x))) == to_avro(x)``.

Everything Avro can check is checked here, and every problem is collected with its concrete path
(``people[2].name``) instead of stopping at the first. Blank strings are refused everywhere: an
absent value is null, never "" (an empty name would defeat redaction checks).

:func:`to_json` is the inverse, for audit logs and UIs.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from schemas.naming import Schema, resolve, short_name, type_of

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Problems:
    """Collects (path, reason) pairs during one conversion."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, reason: str) -> None:
        self.items.append((path, reason))


def _show(value: object) -> str:
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # nested past the recursion limit, an int past 4,300 digits
        return f"a {type(value).__name__} too deep or too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _timestamp(value: object, path: str, problems: Problems) -> datetime | None:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            problems.add(path, f"{_show(value)} is not an ISO 8601 date-time")
            return None
        value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            problems.add(path, f"{_show(str(value))} has no UTC offset (add Z or +00:00)")
            return None
        utc = value.astimezone(UTC)
        return utc.replace(microsecond=utc.microsecond // 1000 * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return _EPOCH + timedelta(milliseconds=value)
        except OverflowError:
            problems.add(path, f"{value} milliseconds is out of the date-time range")
            return None
    problems.add(path, f"{_show(value)} is not a date-time")
    return None


def _date(value: object, path: str, problems: Problems) -> date | None:
    if isinstance(value, datetime):
        problems.add(path, f"{_show(str(value))} is a date-time; a date (YYYY-MM-DD) is expected")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            problems.add(path, f"{_show(value)} is not an ISO 8601 date (YYYY-MM-DD)")
            return None
    problems.add(path, f"{_show(value)} is not a date")
    return None


def _integer(value: object, kind: str, path: str, problems: Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(path, f"{_show(value)} is not an integer")
        return None
    low, high = INT_RANGE if kind == "int" else LONG_RANGE
    if not low <= value <= high:
        problems.add(path, f"{value} is out of range for Avro {kind}")
        return None
    return value


def _string(node: Schema, value: object, path: str, problems: Problems) -> object:
    logical = node.get("logicalType") if isinstance(node, dict) else None
    if logical == "uuid":
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                problems.add(path, f"{_show(value)} is not a UUID")
                return None
        problems.add(path, f"{_show(value)} is not a UUID")
        return None
    if not isinstance(value, str):
        problems.add(path, f"{_show(value)} is not a string")
        return None
    if not value.strip():
        problems.add(path, "is blank: use null for an absent value")
        return None
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, e.g. JSON "\ud800": no UTF-8 form to send
            problems.add(path, "is not valid Unicode text (it holds a lone surrogate)")
            return None
    return value


def _convert(node: Schema, value: object, path: str, names: Mapping[str, Any], problems: Problems) -> object:
    node = resolve(node, names)
    kind = type_of(node)
    if kind == "union":
        return _union(node, value, path, names, problems)
    if kind == "null":
        if value is not None:
            problems.add(path, f"{_show(value)} must be null")
        return None
    if value is None:
        problems.add(path, "is null but the field is required")
        return None
    logical = node.get("logicalType") if isinstance(node, dict) else None
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.add(path, f"{_show(value)} is not true or false")
        return value
    if kind in ("int", "long"):
        if logical == "date" and kind == "int":
            return _date(value, path, problems)
        if logical == "timestamp-millis" and kind == "long":
            return _timestamp(value, path, problems)
        return _integer(value, kind, path, problems)
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(path, f"{_show(value)} is not a number")
            return None
        return float(value)
    if kind == "string":
        return _string(node, value, path, problems)
    if kind == "bytes":
        if not isinstance(value, bytes):
            problems.add(path, f"{_show(value)} is not bytes")
        return value
    if kind == "fixed":
        if not isinstance(value, bytes) or len(value) != node["size"]:
            problems.add(path, f"{_show(value)} is not {node['size']} bytes")
        return value
    if kind == "enum":
        return _enum(node, value, path, problems)
    if kind == "array":
        if not isinstance(value, (list, tuple)):
            problems.add(path, f"{_show(value)} is not a list")
            return []
        return [
            _convert(node["items"], item, f"{path}[{i}]", names, problems) for i, item in enumerate(value)
        ]
    if kind == "map":
        if not isinstance(value, Mapping):
            problems.add(path, f"{_show(value)} is not an object")
            return {}
        return {
            str(k): _convert(node["values"], v, f"{path}{{{k}}}", names, problems) for k, v in value.items()
        }
    return _record(node, value, path, names, problems)


def _enum(node: Mapping[str, Any], value: object, path: str, problems: Problems) -> object:
    symbols = node["symbols"]
    if isinstance(value, str) and value in symbols:
        return value
    listed = ", ".join(symbols[:12]) + (", ..." if len(symbols) > 12 else "")
    problems.add(path, f"{_show(value)} is not a {short_name(node['name'])} (expected one of {listed})")
    return None


def _union(
    node: list[Schema], value: object, path: str, names: Mapping[str, Any], problems: Problems
) -> object:
    if value is None:
        if "null" in node:
            return None
        problems.add(path, "is null but the field is required")
        return None
    branches = [b for b in node if b != "null"]
    attempts: list[list[tuple[str, str]]] = []
    for branch in branches:
        trial = Problems()
        converted = _convert(branch, value, path, names, trial)
        if not trial.items:
            return converted
        attempts.append(trial.items)
    if len(branches) == 1:
        problems.items.extend(attempts[0])
    else:
        problems.add(path, f"{_show(value)} fits no branch of the union")
    return None


def _record(
    node: Mapping[str, Any], value: object, path: str, names: Mapping[str, Any], problems: Problems
) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        problems.add(path, f"{_show(value)} is not an object (record {short_name(node['name'])})")
        return None
    out: dict[str, Any] = {}
    known = set()
    for field in node["fields"]:
        name = str(field["name"])
        known.add(name)
        fpath = f"{path}.{name}" if path else name
        if name in value:
            out[name] = _convert(field["type"], value[name], fpath, names, problems)
        elif "default" in field:
            out[name] = _convert(
                field["type"],
                _default(field["type"], field["default"], names),
                fpath,
                names,
                problems,
            )
        else:
            problems.add(fpath, "is missing and has no default")
    for extra in sorted(str(k) for k in value if k not in known):
        problems.add(f"{path}.{extra}" if path else extra, "is not a field of the schema")
    return out


def _default(node: Schema, default: object, names: Mapping[str, Any]) -> object:
    """A field default in Python form (for a union, the default is of its first branch)."""
    node = resolve(node, names)
    if isinstance(node, list):
        node = resolve(node[0], names)
    if type_of(node) in ("bytes", "fixed") and isinstance(default, str):
        return default.encode("latin-1")
    return copy.deepcopy(default)


def to_avro(
    schema: Mapping[str, Any], names: Mapping[str, Any], value: object
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Convert ``value`` for the expanded record ``schema``: (record or None, problems)."""
    problems = Problems()
    record = _record(schema, value, "", names, problems)
    return (None if problems.items else record), problems.items


def to_json(value: object) -> Any:
    """Make a decoded or Avro-ready record JSON-serialisable (ISO strings, str UUIDs).

    bytes become base64 text; everything else keeps its JSON type.
    """
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
