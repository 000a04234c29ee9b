"""Conditions in agreements: when an event, or a field, is released.

The vocabulary is closed and small, so every condition can be checked against the schema at
load and compiled once, into one generated function (:func:`compile_condition`)::

    when:                                  # a list means: all of these hold
      - field: grading.intelligence_assessment
        not_in: [E]                        # or in: [...]; on an array: any / no element
      - partner_in: [first_responder.agency_id, support_provider]   # the partner is named there
      - partner_covers: envelope.force_area                        # the partner serves that area
      - any: [ ... ]                       # at least one of
      - not: { ... }                       # the opposite

A condition on a field inside an array (``people[].role``) is evaluated per element when it is
attached to a field of that same array; event-level conditions may only read fields outside
arrays. ``null`` is a value like any other (``in: [null]`` matches a missing value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Union

from policies.paths import getter, relative_keys, scope_of
from policies.registry import Partner
from policies.schemainfo import find, leaf_type
from policies.yamlsource import LineDict, LineList, line_of
from schemas.entry import SchemaEntry

Evaluator = Callable[[Any, Any], bool]
"""A compiled condition: (root record, current instance) -> holds."""


@dataclass(frozen=True)
class FieldIn:
    """``field`` has (``negate``: has not) one of ``values``; for arrays, any element."""

    path: str
    values: frozenset[Any]
    negate: bool
    line: int


@dataclass(frozen=True)
class PartnerIn:
    """The partner's id is the value of, or an element of, one of ``paths``."""

    paths: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class PartnerCovers:
    """The force area at ``path`` is one the partner serves (registry ``areas``)."""

    path: str
    line: int


@dataclass(frozen=True)
class AllOf:
    """Every item holds."""

    items: tuple[Condition, ...]
    line: int


@dataclass(frozen=True)
class AnyOf:
    """At least one item holds."""

    items: tuple[Condition, ...]
    line: int


@dataclass(frozen=True)
class Not:
    """The item does not hold."""

    item: Condition
    line: int


Condition = Union[FieldIn, PartnerIn, PartnerCovers, AllOf, AnyOf, Not]  # noqa: UP007 - recursive alias

ErrorSink = Callable[[int, str], None]
"""Where parse and check problems go: (line, message)."""


# -- parsing ------------------------------------------------------------------------------------


def parse(value: Any, line: int, error: ErrorSink) -> Condition | None:
    """Parse a ``when`` value; reports problems to ``error`` and returns None when invalid."""
    line = line_of(value, line)
    if isinstance(value, list):
        items = _parse_items(value, line, error)
        return None if items is None else AllOf(items, line)
    if not isinstance(value, LineDict):
        error(line, f"a condition must be a mapping or a list of conditions, got {value!r}")
        return None
    keys = set(value)
    if "field" in keys:
        return _parse_field(value, error)
    if len(keys) != 1:
        error(
            line,
            f"a condition has exactly one of field, partner_in, partner_covers, any, all, not; "
            f"got {sorted(keys)}",
        )
        return None
    (key,) = keys
    at = value.line_of(key)
    body = value[key]
    if key == "partner_in":
        paths = [body] if isinstance(body, str) else body
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            error(at, "partner_in takes a field path or a list of field paths")
            return None
        return PartnerIn(tuple(paths), at)
    if key == "partner_covers":
        if not isinstance(body, str):
            error(at, "partner_covers takes one field path (a force area)")
            return None
        return PartnerCovers(body, at)
    if key in ("any", "all"):
        if not isinstance(body, list) or not body:
            error(at, f"{key} takes a non-empty list of conditions")
            return None
        items = _parse_items(body, at, error)
        if items is None:
            return None
        return AnyOf(items, at) if key == "any" else AllOf(items, at)
    if key == "not":
        inner = parse(body, at, error)
        return None if inner is None else Not(inner, at)
    error(at, f"unknown condition {key!r} (known: field, partner_in, partner_covers, any, all, not)")
    return None


def _parse_items(values: list[Any], line: int, error: ErrorSink) -> tuple[Condition, ...] | None:
    items = []
    ok = True
    for i, item in enumerate(values):
        at = values.line_of(i) if isinstance(values, LineList) else line
        parsed = parse(item, at, error)
        ok = ok and parsed is not None
        if parsed is not None:
            items.append(parsed)
    return tuple(items) if ok else None


def _parse_field(value: LineDict, error: ErrorSink) -> Condition | None:
    path = value["field"]
    extra = sorted(set(value) - {"field", "in", "not_in"})
    ops = [k for k in ("in", "not_in") if k in value]
    if not isinstance(path, str):
        error(value.line_of("field"), "field takes a field path")
        return None
    if extra or len(ops) != 1:
        error(
            value.line,
            f"a field condition has 'field' and exactly one of 'in', 'not_in' (got {sorted(value)})",
        )
        return None
    op = ops[0]
    values = value[op]
    if not isinstance(values, list) or not values:
        error(value.line_of(op), f"{op} takes a non-empty list of values")
        return None
    try:
        frozen = frozenset(values)
    except TypeError:
        error(value.line_of(op), f"{op} values must be plain scalars")
        return None
    return FieldIn(path, frozen, op == "not_in", value.line_of("field"))


# -- checking against a schema ------------------------------------------------------------------


def check(cond: Condition, entry: SchemaEntry, context_scope: str, error: ErrorSink) -> None:
    """Report every problem of ``cond`` against ``entry``, for use at ``context_scope`` ("" for an
    event-level condition, e.g. ``people[]`` for a condition on ``people[].name``)."""
    for node in walk(cond):
        if isinstance(node, FieldIn):
            _check_path(node.path, node.line, entry, context_scope, error)
            if _known_leaf(entry, node.path):
                _check_values(node, entry, error)
        elif isinstance(node, PartnerIn):
            for path in node.paths:
                if _check_path(path, node.line, entry, context_scope, error):
                    ltype = leaf_type(entry, path)
                    if not (ltype.is_string or ltype.is_string_list):
                        error(
                            node.line,
                            f"partner_in needs a string or list of strings; {path} is {ltype.describe()}",
                        )
        elif isinstance(node, PartnerCovers) and _check_path(
            node.path, node.line, entry, context_scope, error
        ):
            ltype = leaf_type(entry, node.path)
            if ltype.kind != "enum" or not (ltype.named or "").endswith(".ForceArea"):
                error(node.line, f"partner_covers needs a ForceArea field; {node.path} is {ltype.describe()}")


def _known_leaf(entry: SchemaEntry, path: str) -> bool:
    info = find(entry, path)
    return info is not None and info.is_leaf


def _check_path(path: str, line: int, entry: SchemaEntry, context_scope: str, error: ErrorSink) -> bool:
    if not _known_leaf(entry, path):
        what = "is a record, not a leaf field" if find(entry, path) is not None else "is not a field"
        error(line, f"condition field {path!r} {what} of {entry.label}")
        return False
    scope = scope_of(path)
    if scope and not context_scope.startswith(scope):
        where = f"fields of {context_scope}" if context_scope else "the whole event"
        error(
            line,
            f"condition field {path!r} is inside {scope}: it can only decide {scope} fields, not {where}",
        )
        return False
    return True


def _check_values(node: FieldIn, entry: SchemaEntry, error: ErrorSink) -> None:
    ltype = leaf_type(entry, node.path)
    kind, symbols, nullable = ltype.describe(), ltype.symbols, ltype.nullable
    base = ltype.item if ltype.kind == "array" and ltype.item else ltype.kind
    for value in node.values:
        if value is None:
            if not nullable:
                error(node.line, f"{node.path} is never null")
            continue
        if base == "enum":
            ok = isinstance(value, str) and symbols is not None and value in symbols
            expected = f"one of {', '.join(symbols or ())}"
        elif base == "boolean":
            ok, expected = isinstance(value, bool), "true or false"
        elif base in ("int", "long"):
            ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
        elif base == "string":
            ok, expected = isinstance(value, str), "a string"
        else:
            ok, expected = False, f"(conditions cannot test {kind} fields)"
        if not ok:
            error(node.line, f"{value!r} is not a value of {node.path}: expected {expected}")


def walk(cond: Condition) -> Iterable[Condition]:
    """Every node of a condition tree, depth first."""
    yield cond
    if isinstance(cond, (AllOf, AnyOf)):
        for item in cond.items:
            yield from walk(item)
    elif isinstance(cond, Not):
        yield from walk(cond.item)


def paths(cond: Condition) -> set[str]:
    """Field paths a condition reads."""
    found: set[str] = set()
    for node in walk(cond):
        if isinstance(node, FieldIn | PartnerCovers):
            found.add(node.path)
        elif isinstance(node, PartnerIn):
            found.update(node.paths)
    return found


# -- compiling ----------------------------------------------------------------------------------


def compile_condition(cond: Condition, partner: Partner, context_scope: str = "") -> Evaluator:
    """Compile a checked condition for one partner into ``(root, instance) -> bool``.

    One generated function per condition: every read inlined, ``and``/``or``/``not`` kept, so it
    short-circuits exactly as :func:`holds` (the reference it is tested against) does, without a
    call per node. Names are the schema's ([A-Za-z_][A-Za-z0-9_]*, written with repr() all the
    same); values and the partner's id are bound as constants, never written into the source."""
    emitter = _Emitter(partner, context_scope)
    source = f"def condition(root, inst):\n    return {emitter.expression(cond)}\n"
    namespace = dict(emitter.constants)
    exec(compile(source, f"<condition at line {cond.line}>", "exec"), namespace)  # see the docstring
    evaluator: Evaluator = namespace["condition"]
    return evaluator


class _Emitter:
    """The Python expression of a condition, with the constants it names."""

    def __init__(self, partner: Partner, context_scope: str) -> None:
        self.partner = partner
        self.context_scope = context_scope
        self.constants: dict[str, Any] = {}
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"_{prefix}{self._count}"

    def _constant(self, value: Any) -> str:
        name = self._name("c")
        self.constants[name] = value
        return name

    def _read(self, path: str) -> str:
        scope = scope_of(path)
        expr = "inst" if scope and scope == self.context_scope else "root"
        for i, key in enumerate(relative_keys(path, scope)):
            if i == 0:
                expr = f"{expr}[{key!r}]"
            else:  # a null record on the way reads as null
                held = self._name("r")
                expr = f"(None if ({held} := {expr}) is None else {held}[{key!r}])"
        return expr

    def expression(self, cond: Condition) -> str:
        if isinstance(cond, FieldIn):
            value, values = self._name("v"), self._constant(cond.values)
            read = self._read(cond.path)
            hit = (
                f"(any(_x in {values} for _x in {value}) if isinstance({value} := {read}, list) "
                f"else {value} in {values})"
            )
            return f"(not {hit})" if cond.negate else hit
        if isinstance(cond, PartnerIn):
            me = self._constant(self.partner.id)
            tests = []
            for path in cond.paths:
                value = self._name("p")
                read = self._read(path)
                tests.append(
                    f"({value} := {read}) == {me} or (isinstance({value}, list) and {me} in {value})"
                )
            return "(" + " or ".join(tests) + ")" if tests else "False"
        if isinstance(cond, PartnerCovers):
            return f"({self._read(cond.path)} in {self._constant(self.partner.areas)})"
        if isinstance(cond, AllOf):
            return "(" + " and ".join(self.expression(c) for c in cond.items) + ")" if cond.items else "True"
        if isinstance(cond, AnyOf):
            return "(" + " or ".join(self.expression(c) for c in cond.items) + ")" if cond.items else "False"
        return f"(not {self.expression(cond.item)})"


def holds(cond: Condition, partner: Partner, root: Any, inst: Any, context_scope: str = "") -> bool:
    """Whether ``cond`` holds for ``partner`` on ``root`` and its current instance ``inst``: the
    plain reading of a condition, which :func:`compile_condition` must agree with."""
    if isinstance(cond, FieldIn):
        value = _value(cond.path, context_scope, root, inst)
        hit = any(v in cond.values for v in value) if isinstance(value, list) else value in cond.values
        return hit is not cond.negate
    if isinstance(cond, PartnerIn):
        me = partner.id
        for path in cond.paths:
            value = _value(path, context_scope, root, inst)
            if value == me or (isinstance(value, list) and me in value):
                return True
        return False
    if isinstance(cond, PartnerCovers):
        return _value(cond.path, context_scope, root, inst) in partner.areas
    if isinstance(cond, AllOf):
        return all(holds(c, partner, root, inst, context_scope) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(holds(c, partner, root, inst, context_scope) for c in cond.items)
    return not holds(cond.item, partner, root, inst, context_scope)


def _value(path: str, context_scope: str, root: Any, inst: Any) -> Any:
    scope = scope_of(path)
    return getter(relative_keys(path, scope))(inst if scope and scope == context_scope else root)


def describe(cond: Condition) -> str:
    """Readable one-line form, for explain, diff and matrix."""
    if isinstance(cond, FieldIn):
        values = ", ".join(_show(v) for v in sorted(cond.values, key=repr))
        return f"{cond.path} {'not in' if cond.negate else 'in'} [{values}]"
    if isinstance(cond, PartnerIn):
        return "partner is " + " or ".join(cond.paths)
    if isinstance(cond, PartnerCovers):
        return f"partner covers {cond.path}"
    if isinstance(cond, AllOf):
        return " and ".join(_wrap(c) for c in cond.items)
    if isinstance(cond, AnyOf):
        return " or ".join(_wrap(c) for c in cond.items)
    return f"not ({describe(cond.item)})"


def _wrap(cond: Condition) -> str:
    text = describe(cond)
    return f"({text})" if isinstance(cond, AllOf | AnyOf) and len(cond.items) > 1 else text


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
