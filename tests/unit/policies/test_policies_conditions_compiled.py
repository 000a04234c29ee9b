"""Compiled conditions agree with the plain reading of conditions, on every shape and value.

:func:`policies.conditions.compile_condition` generates one function per condition; this checks
it against :func:`policies.conditions.holds` on random conditions (every node kind, nested, with
reads at every depth, in and out of an array's instance) and random records, nulls, lists,
missing fields and unhashable values included: the same answer, or the same exception.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.conditions import (
    AllOf,
    AnyOf,
    Condition,
    FieldIn,
    Not,
    PartnerCovers,
    PartnerIn,
    compile_condition,
    holds,
)
from policies.registry import Partner, PartnerKind, Regime

PARTNER = Partner(
    "police.kent",
    "Kent Police",
    PartnerKind.POLICE_FORCE,
    "pentameter.partner.police.kent",
    Regime.DPA2018_PART3,
    frozenset({"KENT", "SUSSEX"}),
    frozenset(),
)
ROOT_PATHS = ["a", "b", "env.area", "env.meta.tag"]
INSTANCE_PATHS = ["people[].role", "people[].contact.agency"]
SCALARS = st.sampled_from([None, "x", "y", "police.kent", "police.other", "KENT", "ESSEX", 1, True, 0])
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.just({"nested": "dict"}))


def conditions(paths: list[str]) -> st.SearchStrategy[Condition]:
    path = st.sampled_from(paths)
    leaves = st.one_of(
        st.builds(FieldIn, path, st.frozensets(SCALARS, max_size=3), st.booleans(), st.just(1)),
        st.builds(PartnerIn, st.lists(path, min_size=1, max_size=3).map(tuple), st.just(1)),
        st.builds(PartnerCovers, path, st.just(1)),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(AllOf, st.lists(inner, max_size=3).map(tuple), st.just(1)),
            st.builds(AnyOf, st.lists(inner, max_size=3).map(tuple), st.just(1)),
            st.builds(Not, inner, st.just(1)),
        ),
        max_leaves=8,
    )


def maybe_missing(record: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    if record and draw(st.integers(0, 9)) == 0:
        del record[draw(st.sampled_from(sorted(record)))]
    return record


@st.composite
def records(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    meta = draw(st.one_of(st.none(), st.builds(lambda v: {"tag": v}, VALUES)))
    env = draw(st.one_of(st.none(), st.builds(lambda v: {"area": v, "meta": meta}, VALUES)))
    root = maybe_missing({"a": draw(VALUES), "b": draw(VALUES), "env": env}, draw)
    contact = draw(st.one_of(st.none(), st.builds(lambda v: {"agency": v}, VALUES)))
    inst = maybe_missing({"role": draw(VALUES), "contact": contact}, draw)
    return root, inst


def outcome(evaluate: Any) -> Any:
    try:
        return bool(evaluate())
    except Exception as exc:  # the same failure is as good an answer as the same value
        return type(exc)


@settings(max_examples=600, deadline=None)
@given(conditions(ROOT_PATHS), records())
def test_event_level_conditions_agree(cond: Condition, record: tuple[dict[str, Any], dict[str, Any]]) -> None:
    root, _ = record
    compiled = compile_condition(cond, PARTNER)
    assert outcome(lambda: compiled(root, root)) == outcome(lambda: holds(cond, PARTNER, root, root))


@settings(max_examples=600, deadline=None)
@given(conditions(ROOT_PATHS + INSTANCE_PATHS), records())
def test_conditions_inside_an_array_instance_agree(
    cond: Condition, record: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    root, inst = record
    compiled = compile_condition(cond, PARTNER, "people[]")
    assert outcome(lambda: compiled(root, inst)) == outcome(
        lambda: holds(cond, PARTNER, root, inst, "people[]")
    )


def test_the_compiled_form_answers_with_booleans_and_short_circuits() -> None:
    cond = AllOf(
        (FieldIn("a", frozenset({"x"}), False, 1), PartnerIn(("b",), 1)),
        1,
    )
    compiled = compile_condition(cond, PARTNER)
    assert compiled({"a": "x", "b": ["police.kent"]}, None) is True
    assert compiled({"a": "y", "b": "police.kent"}, None) is False
    assert compiled({"a": "y"}, None) is False  # "b" is never read once "a" failed
    assert compile_condition(Not(AnyOf((), 1), 1), PARTNER)({}, None) is True
    assert compile_condition(AllOf((), 1), PARTNER)({}, None) is True


def test_a_value_or_id_is_never_written_into_the_generated_source() -> None:
    hostile = "x') or __import__('os').system('false') or ('"
    cond = AnyOf((FieldIn("a", frozenset({hostile}), False, 1), PartnerIn(("b",), 1)), 1)
    sneaky = Partner(hostile, "n", PartnerKind.POLICE_FORCE, "t", Regime.UK_GDPR, frozenset(), frozenset())
    compiled = compile_condition(cond, sneaky)
    assert compiled({"a": hostile, "b": None}, None) is True
    assert compiled({"a": "x", "b": [hostile]}, None) is True
    assert compiled({"a": "x", "b": "x"}, None) is False
