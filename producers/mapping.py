"""CSV column mappings: how an agency's spreadsheet export becomes event records.

Agencies export CSV from their own systems with their own column names and formats. A mapping
file (YAML) says, per column, which field of the event it fills and how to convert the text, so
no code is written per agency. See ``producers/mappings/gloucestershire_intelligence.yaml``::

    format: 1
    event_type: IntelligenceReport
    constants:                      # the same on every row
      envelope.origin_agency: police.gloucestershire
    columns:
      Intelligence: narrative       # shorthand: a plain string copy
      Reported:                     # full form
        field: envelope.occurred_at
        convert: datetime
        format: "%d/%m/%Y %H:%M"
        timezone: Europe/London
      Subject phone:
        field: phones[0].number
        with: {phones[0].entity_id: t1, phones[0].role: SUSPECT}   # set only when the cell has a value

Field paths use the schema's paths with concrete indexes (``people[0].name``); every path is
checked against the event schema when the mapping loads, so a typo fails at once, naming the file
and the key. A blank cell leaves its field out (so a schema default or a "missing" issue applies)
unless the column gives a ``default``.

Conversions: ``string`` (default), ``upper``, ``lower``, ``int``, ``pence`` (pounds such as
"£1,234.50" to 123450), ``bool`` (yes/no, true/false, y/n, 1/0), ``date`` and ``datetime`` (with
``format`` in strptime syntax and, for datetimes, the ``timezone`` the export is in, converted to
UTC), ``enum`` (``values`` maps labels to symbols, case-insensitively, and is closed: a label it
does not list is an error naming the ones it does; without ``values`` the text is upper-cased
with spaces as underscores), ``list`` (split on ``separator``, each item converted by ``item``),
and ``uuid5`` (a stable event id from a local reference, so re-ingesting a file keeps its ids).
The symbols a ``values`` map gives are checked against the schema's enum when the mapping loads.

Every key, with an example mapping per event type, is in ``docs/mapping.md``.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from clikit.choices import closest
from producers.exceptions import MappingError
from schemas.catalogue import Catalogue, default_catalogue
from schemas.entry import SchemaEntry
from schemas.exceptions import UnknownSchema
from schemas.naming import Schema, named_types, non_null_branches, resolve

Problem = tuple[str, str]
"""(field path, reason)"""

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?")
_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}
_OPTIONS = {
    "field",
    "convert",
    "format",
    "timezone",
    "values",
    "separator",
    "item",
    "default",
    "with",
    "namespace",
}


class ConversionFailed(ValueError):
    """A cell's text cannot be converted as the mapping says."""


@dataclass(frozen=True)
class Conversion:
    """How to turn one cell's text into a value."""

    kind: str = "string"
    format: str | None = None
    timezone: str = "UTC"
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)
    separator: str = ";"
    item: Conversion | None = None
    namespace: str = "pentameter"

    def __call__(self, text: str) -> object:
        return _CONVERTERS[self.kind](self, text.strip())


def _string(c: Conversion, text: str) -> object:
    return text


def _upper(c: Conversion, text: str) -> object:
    return text.upper()


def _lower(c: Conversion, text: str) -> object:
    return text.lower()


def _int(c: Conversion, text: str) -> object:
    try:
        return int(text.replace(",", ""))
    except ValueError:
        raise ConversionFailed(f"{text!r} is not a whole number") from None


def _pence(c: Conversion, text: str) -> object:
    cleaned = text.replace("£", "").replace(",", "").strip()
    try:
        amount = Decimal(cleaned) * 100
    except InvalidOperation:
        raise ConversionFailed(f"{text!r} is not an amount in pounds") from None
    if amount != amount.to_integral_value():
        raise ConversionFailed(f"{text!r} has fractions of a penny")
    return int(amount)


def _bool(c: Conversion, text: str) -> object:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConversionFailed(f"{text!r} is not yes/no, true/false, y/n or 1/0")


def _date(c: Conversion, text: str) -> object:
    try:
        parsed = datetime.strptime(text, c.format) if c.format else datetime.fromisoformat(text)
    except ValueError:
        raise ConversionFailed(f"{text!r} is not a date in the form {c.format or 'YYYY-MM-DD'}") from None
    return parsed.date().isoformat()


def _datetime(c: Conversion, text: str) -> object:
    try:
        parsed = datetime.strptime(text, c.format) if c.format else datetime.fromisoformat(text)
    except ValueError:
        raise ConversionFailed(
            f"{text!r} is not a date and time in the form {c.format or 'ISO 8601'}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(c.timezone))
    text = parsed.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _enum(c: Conversion, text: str) -> object:
    for label, symbol in c.values.items():
        if label.lower() == text.lower():
            return symbol
    if c.values:  # a closed list: a label it does not name is an error, never a guess
        guess = closest(text, c.values)
        hint = f" (did you mean {guess!r}?)" if guess else ""
        labels = ", ".join(repr(label) for label in c.values)
        raise ConversionFailed(f"{text!r} is not one of the labels the mapping lists{hint}: {labels}")
    return re.sub(r"[\s\-]+", "_", text).upper()


def _list(c: Conversion, text: str) -> object:
    convert = c.item or Conversion()
    return [convert(part) for part in text.split(c.separator) if part.strip()]


def _uuid5(c: Conversion, text: str) -> object:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:pentameter:{c.namespace}:{text}"))


_CONVERTERS: dict[str, Callable[[Conversion, str], object]] = {
    "string": _string,
    "upper": _upper,
    "lower": _lower,
    "int": _int,
    "pence": _pence,
    "bool": _bool,
    "date": _date,
    "datetime": _datetime,
    "enum": _enum,
    "list": _list,
    "uuid5": _uuid5,
}


@dataclass(frozen=True)
class ColumnRule:
    """One CSV column: the field it fills, its conversion, its default and companion values."""

    column: str
    field: str
    convert: Conversion
    default: str | None = None
    also: Mapping[str, object] = dataclasses.field(default_factory=dict)
    """Further fields set when the cell has a value (the ``with`` key)."""


@dataclass(frozen=True)
class HeaderCheck:
    """How a CSV file's header fits a mapping: mapped columns it lacks (an error: every row would
    fail the same way) and columns the mapping ignores (a warning: often a typo in one of them)."""

    missing: tuple[str, ...]
    unmapped: tuple[str, ...]


@dataclass(frozen=True)
class CsvMapping:
    """A loaded, checked mapping file."""

    source: Path
    event_type: str | None
    constants: Mapping[str, object]
    columns: tuple[ColumnRule, ...]

    def apply(self, row: Mapping[str, str | None]) -> tuple[dict[str, Any], list[Problem]]:
        """Build one record from a CSV row: the record and every cell that did not convert (field,
        "column 'X': why"). The record holds what did convert, so validation can report the rest
        of the row's problems at the same time."""
        record: dict[str, Any] = {}
        problems: list[Problem] = []
        for path, value in self.constants.items():
            set_path(record, path, value)
        for rule in self.columns:
            text = row.get(rule.column)
            if text is None or not text.strip():
                text = rule.default
            if text is None or not text.strip():
                continue
            try:
                value = rule.convert(text)
            except ConversionFailed as exc:
                problems.append((rule.field, f"column {rule.column!r}: {exc}"))
                continue
            set_path(record, rule.field, value)
            for path, extra in rule.also.items():
                set_path(record, path, extra)
        return record, problems

    def check_header(self, header: list[str]) -> HeaderCheck:
        """Mapped columns absent from ``header`` (unless they have a default) and columns of the
        header the mapping does not use."""
        present, mapped = set(header), {r.column for r in self.columns}
        missing = tuple(r.column for r in self.columns if r.column not in present and r.default is None)
        return HeaderCheck(missing, tuple(c for c in header if c not in mapped))

    def column_for(self, path: str) -> str | None:
        """The CSV column that fills the field at ``path`` (concrete indexes, as validation names
        fields), or a field inside it or around it; ``None`` for a constant or an unmapped field."""
        for rule in self.columns:
            if path in (rule.field, *rule.also):
                return rule.column
        inside = [r for r in self.columns if _within(r.field, path) or any(_within(a, path) for a in r.also)]
        around = [r for r in self.columns if _within(path, r.field)]
        found = inside or around
        return found[0].column if found else None


def _within(path: str, container: str) -> bool:
    """True when ``path`` lies inside the record or list at ``container``."""
    return path.startswith((container + ".", container + "["))


def parse_path(path: str) -> list[tuple[str, int | None]]:
    """``people[0].name`` -> [("people", 0), ("name", None)]; ValueError when malformed."""
    segments = []
    for part in path.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise ValueError(f"{path!r} is not a field path (e.g. people[0].name)")
        segments.append((match.group(1), int(match.group(2)) if match.group(2) is not None else None))
    return segments


def set_path(target: dict[str, Any], path: str, value: object) -> None:
    """Set ``value`` at ``path``, creating records and list slots on the way."""
    segments = parse_path(path)
    node: Any = target
    for position, (name, index) in enumerate(segments):
        last = position == len(segments) - 1
        if index is None:
            if last:
                node[name] = value
            else:
                node = node.setdefault(name, {})
            continue
        items = node.setdefault(name, [])
        while len(items) <= index:
            items.append(None if last else {})
        if last:
            items[index] = value
        else:
            if items[index] is None:
                items[index] = {}
            node = items[index]


def _schema_path(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _check_path(path: str, known: set[str], where: str) -> None:
    try:
        parse_path(path)
    except ValueError as exc:
        raise MappingError(f"{where}: {exc}") from None
    generic = _schema_path(path)
    if generic in known or (generic.endswith("[]") and generic[:-2] in known):
        return
    guess = closest(generic, known)
    hint = f" (did you mean {_with_indexes(guess, path)!r}?)" if guess else ""
    raise MappingError(f"{where}: {path!r} is not a field of the event schema{hint}")


def _with_indexes(generic: str, given: str) -> str:
    """``people[].name`` written with the indexes of ``given`` (``[0]`` where it has none)."""
    indexes = re.findall(r"\[\d+\]", given)
    return re.sub(r"\[\]", lambda _: indexes.pop(0) if indexes else "[0]", generic)


def _enum_symbols(entry: SchemaEntry, path: str) -> tuple[str, ...] | None:
    """The symbols of the enum at ``path`` (or of the items of a list of enums), None otherwise."""
    names = named_types(entry.schema)
    info = next((f for f in entry.all_fields if f.path == _schema_path(path)), None)
    if info is None:
        return None
    node: Schema = resolve(info.schema, names)
    branches = non_null_branches(node)
    node = resolve(branches[0], names) if len(branches) == 1 else node
    if isinstance(node, dict) and node.get("type") == "array":
        node = resolve(node["items"], names)
    if isinstance(node, dict) and node.get("type") == "enum":
        return tuple(str(s) for s in node["symbols"])
    return None


def _check_symbols(conversion: Conversion, entry: SchemaEntry, field: str, where: str) -> None:
    """The symbols a ``values`` map gives (its own, or its list items') must be the field's."""
    allowed = _enum_symbols(entry, field)
    for spec, values in (
        (where, conversion.values),
        (f"{where}.item", (conversion.item or Conversion()).values),
    ):
        for label, symbol in values.items():
            if allowed is not None and symbol not in allowed:
                guess = closest(symbol, allowed)
                hint = f" (did you mean {guess!r}?)" if guess else ""
                raise MappingError(
                    f"{spec}.values: {label!r} maps to {symbol!r}, which is not a value of {field}{hint}; "
                    f"allowed: {', '.join(allowed)}"
                )


def _conversion(spec: Mapping[str, Any], where: str) -> Conversion:
    kind = str(spec.get("convert", "string"))
    if kind not in _CONVERTERS:
        raise MappingError(
            f"{where}.convert: {kind!r} is not a conversion (one of {', '.join(sorted(_CONVERTERS))})"
        )
    values = spec.get("values", {})
    if not isinstance(values, Mapping):
        raise MappingError(f"{where}.values: must map labels to symbols")
    timezone = str(spec.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"{where}.timezone: {timezone!r} is not a time zone (e.g. Europe/London)"
        ) from None
    item = spec.get("item")
    if item is not None and not isinstance(item, Mapping):
        raise MappingError(f"{where}.item: must be a conversion such as {{convert: enum}}")
    return Conversion(
        kind=kind,
        format=str(spec["format"]) if "format" in spec else None,
        timezone=timezone,
        values={str(k): str(v) for k, v in values.items()},
        separator=str(spec.get("separator", ";")),
        item=_conversion(item, f"{where}.item") if item is not None else None,
        namespace=str(spec.get("namespace", "pentameter")),
    )


def load_mapping(path: Path, catalogue: Catalogue | None = None) -> CsvMapping:
    """Read and check a mapping file; MappingError names the file and the offending key."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(document, Mapping) or document.get("format") != 1:
        raise MappingError(f"{path}: not a mapping file (expected 'format: 1' at the top)")
    unknown = sorted(set(document) - {"format", "event_type", "constants", "columns"})
    if unknown:
        raise MappingError(f"{path}: unknown key(s) {', '.join(unknown)}")
    cat = catalogue if catalogue is not None else default_catalogue()
    event_type = document.get("event_type")
    try:
        entry = cat.get(str(event_type))
    except UnknownSchema as exc:
        raise MappingError(f"{path}: event_type: {exc}") from None
    known = {f.path for f in entry.all_fields}
    constants = document.get("constants") or {}
    if not isinstance(constants, Mapping):
        raise MappingError(f"{path}: constants: must map field paths to values")
    for key in constants:
        _check_path(str(key), known, f"{path}: constants.{key}")
    columns = document.get("columns")
    if not isinstance(columns, Mapping) or not columns:
        raise MappingError(f"{path}: columns: must map CSV column names to fields")
    rules = []
    for column, spec in columns.items():
        where = f"{path}: columns.{column}"
        if isinstance(spec, str):
            spec = {"field": spec}
        if not isinstance(spec, Mapping) or "field" not in spec:
            raise MappingError(f"{where}: give a field path, or a mapping with 'field'")
        extra = sorted(set(spec) - _OPTIONS)
        if extra:
            raise MappingError(
                f"{where}: unknown option(s) {', '.join(extra)} (allowed: {', '.join(sorted(_OPTIONS))})"
            )
        _check_path(str(spec["field"]), known, where + ".field")
        also = spec.get("with") or {}
        if not isinstance(also, Mapping):
            raise MappingError(f"{where}.with: must map field paths to values")
        for key in also:
            _check_path(str(key), known, f"{where}.with.{key}")
        default = spec.get("default")
        conversion = _conversion(spec, where)
        _check_symbols(conversion, entry, str(spec["field"]), where)
        rules.append(
            ColumnRule(
                column=str(column),
                field=str(spec["field"]),
                convert=conversion,
                default=None if default is None else str(default),
                also={str(k): v for k, v in also.items()},
            )
        )
    return CsvMapping(path, entry.name, {str(k): v for k, v in constants.items()}, tuple(rules))
