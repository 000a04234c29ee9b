"""The compiled schema walk against the interpreted one: the same record, the same problems.

:mod:`schemas.convert_compiled` may only ever be a faster way to the answer of
:func:`schemas.convert.to_avro`. Valid records of every event type (typed and as JSON) must go
through the fast path, not around it; every value put anywhere into a record (wrong types, blanks,
look-alike types, extra and missing fields, nested nonsense) must give exactly the interpreted
walk's result, and the fast path must never accept a record the interpreted walk refuses.
"""

from __future__ import annotations

import copy
import uuid
from collections import UserDict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import convert, convert_compiled, default_catalogue, sample, to_json
from schemas.exceptions import ConversionUnsure
from schemas.samples import SAMPLES
from tests.support.records import records

CATALOGUE = default_catalogue()
EVENT_TYPES = CATALOGUE.event_types()


class _Text(str):
    """A str subclass: the interpreted walk takes it, the fast path must leave it to it."""


class _Flag(int):
    """An int subclass."""


ODD_VALUES: list[Any] = [
    None,
    "",
    "   ",
    "x",
    "caf\u00e9",
    "\ud800",
    _Text("x"),
    0,
    -(2**31) - 1,
    2**31,
    2**63,
    True,
    False,
    _Flag(3),
    1.5,
    float("nan"),
    b"x",
    [],
    ["x"],
    ("x",),
    {},
    {"x": 1},
    UserDict({"a": 1}),
    uuid.UUID(int=9),
    "8c7f5a0e-6f3e-4b8e-9a4e-1f2b3c4d5e6f",
    "not-a-uuid",
    date(1999, 11, 17),
    "1999-11-17",
    datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
    datetime(2026, 6, 1, 12, 0),
    "2026-06-01T12:00:00Z",
    "2026-06-01T12:00:00",
    10**20,
    "SUSPECT",
    "POTENTIAL_VICTIM",
]


def _both(event_type: str, value: object) -> tuple[Any, Any]:
    entry = CATALOGUE.get(event_type)
    return convert.to_avro(entry.schema, entry.names, value), convert_compiled.to_avro(
        entry.schema, entry.names, value
    )


def _fast(event_type: str, value: object) -> object:
    entry = CATALOGUE.get(event_type)
    return convert_compiled.compiled(entry.schema, entry.names)(value)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a nested record a value can be put: dict keys and list positions."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*path, key))
            found.extend(_places(item, (*path, key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.append((*path, i))
            found.extend(_places(item, (*path, i)))
    return found


def _put(record: Any, place: tuple[Any, ...], value: object) -> Any:
    changed = copy.deepcopy(record)
    holder = changed
    for step in place[:-1]:
        holder = holder[step]
    holder[place[-1]] = value
    return changed


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_records_take_the_fast_path_to_the_same_record(event_type: str, data: st.DataObject) -> None:
    record = data.draw(records(event_type))
    for form in (record, to_json(record)):
        reference, compiled = _both(event_type, form)
        assert reference == compiled
        assert reference[1] == []
        assert _fast(event_type, form) == reference[0]  # went through the fast path, not around it


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_any_value_anywhere_gives_the_interpreted_result(event_type: str) -> None:
    """Every odd value at every place of the sample, as JSON and typed: the same outcome."""
    for form in (sample(event_type), to_json(sample(event_type))):
        for place in _places(form):
            for value in ODD_VALUES:
                changed = _put(form, place, value)
                reference, compiled = _both(event_type, changed)
                assert reference == compiled, (place, value)
                try:
                    accepted = _fast(event_type, changed)
                except (ConversionUnsure, RecursionError):
                    continue
                assert reference[1] == [], f"fast path accepted what the walk refuses: {place} = {value!r}"
                assert accepted == reference[0]


@pytest.mark.parametrize("event_type", sorted(SAMPLES))
def test_missing_and_extra_fields_give_the_interpreted_result(event_type: str) -> None:
    record = to_json(sample(event_type))
    for place in _places(record):
        if isinstance(place[-1], str):
            missing = copy.deepcopy(record)
            holder = missing
            for step in place[:-1]:
                holder = holder[step]
            del holder[place[-1]]
            reference, compiled = _both(event_type, missing)
            assert reference == compiled, place
    for place in [(), *(p for p in _places(record) if isinstance(p[-1], str))]:
        extra = copy.deepcopy(record)
        holder = extra
        for step in place:
            holder = holder[step]
        if isinstance(holder, dict):
            holder["not_a_field"] = "x"
            reference, compiled = _both(event_type, extra)
            assert reference == compiled, place


def test_not_a_record_at_all_gives_the_interpreted_result() -> None:
    for value in ODD_VALUES:
        reference, compiled = _both("IntelligenceReport", value)
        assert reference == compiled
        assert reference[0] is None
