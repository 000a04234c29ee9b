"""Per-field operations of a compiled plan: the value functions behind each transform, and the
loop that tries a field's cases in order.

A plan (see :mod:`policies.compiler`) turns every case of every released field into a
:class:`CompiledCase` here, once; the generated builders call the resulting functions for each
record. Keeping them apart from the compiler keeps both readable: this module knows what one
field becomes, the compiler knows how fields are assembled into a record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from policies import conditions, guardrails
from policies.crypto import FieldEncryptor, Unsealed
from policies.facts import EventFacts
from policies.paths import concrete
from policies.projection import Branch
from policies.pseudonyms import Tokeniser
from policies.registry import Partner
from policies.schemainfo import LeafType
from policies.transforms import GENERALISERS, Transform, TransformKind, mask_function

WITHHELD: Any = object()
"""Returned by a scope builder when a whole instance is withheld."""


class Ctx:
    """Per-record state while one plan builds one delivery: the input record and its facts, the
    values withheld so far with their kinds (``removed``, for rule 11; None when the plan releases
    no string to scrub), the (path, rule) pairs withheld by value (for the audit), the list indexes
    on the way to the current field (for encryption's associated data), and the consent/child
    guard verdicts."""

    __slots__ = ("event_block", "facts", "indexes", "removed", "root", "victim_block", "withheld")

    def __init__(
        self, root: dict[str, Any], facts: EventFacts, removed: list[tuple[Any, str]] | None
    ) -> None:
        self.root = root
        self.facts = facts
        self.removed = removed
        self.withheld: list[tuple[str, str]] = []
        self.indexes: list[int] = []
        self.victim_block: str | None = None
        self.event_block: str | None = None


ValueFn = Callable[[Any, Ctx], Any]
"""Transforms one input value into the value released."""
LeafOp = Callable[[dict[str, Any], dict[str, Any], Ctx, str | None, dict[str, Any]], None]
"""Writes one output field: (input instance, output instance, ctx, POLE guard verdict, scope)."""
Builder = Callable[[dict[str, Any], Ctx, str | None, dict[str, Any]], Any]
"""Builds one output instance (or returns WITHHELD): (input instance, ctx, guard verdict, scope)."""


@dataclass
class CompiledCase:
    """One case of a field rule, ready to run: ``fn`` is None for drop; ``cond`` the agreement's
    condition; ``guard`` the identity guard rail that may stop it (``pole``, ``victim``,
    ``event``); ``collect`` whether the input value is withheld from view (so rule 11 must scrub
    it); ``encrypts`` whether it seals the value for the partner."""

    fn: ValueFn | None
    cond: conditions.Evaluator | None
    guard: str | None
    collect: bool
    encrypts: bool = False


# -- value functions ----------------------------------------------------------------------------


def value_fn(
    transform: Transform,
    ltype: LeafType,
    path: str,
    partner: Partner,
    tokeniser: Tokeniser,
    encryptor: FieldEncryptor,
    review_cap: int | None,
) -> ValueFn | None:
    """The function applying ``transform`` to values of type ``ltype`` at ``path`` for ``partner``
    (None for drop). Keep is the named function :func:`keep`, which builders recognise and inline;
    keeping ``envelope.review_date`` caps it at ``review_cap`` days after recording (rule 12)."""
    kind = transform.kind
    if kind is TransformKind.DROP:
        return None
    if transform.copies:
        if path == "envelope.review_date" and review_cap is not None:
            cap = timedelta(days=review_cap)

            def review(value: Any, ctx: Ctx) -> Any:
                limit = ctx.root["envelope"]["recorded_at"].date() + cap
                return value if value <= limit else limit

            return review
        return keep
    if kind is TransformKind.MASK:
        mask = mask_function(int(transform.params.get("keep_last", 4)))
        if ltype.is_string_list:
            return lambda value, ctx: [mask(v) for v in value]
        return lambda value, ctx: mask(value)
    if kind is TransformKind.GENERALISE:
        general = GENERALISERS[str(transform.params["to"])]
        return lambda value, ctx: general(value)
    if kind is TransformKind.PSEUDONYMISE:
        token = tokeniser.function(str(transform.params.get("normalise", "text")))
        if ltype.is_string_list:
            return lambda value, ctx: [token(v) for v in value]
        return lambda value, ctx: token(value)
    pid = partner.id
    encrypt = encryptor.encrypt
    if ltype.is_string_list:

        def seal_all(value: Any, ctx: Ctx) -> Any:
            at = concrete(path, ctx.indexes)
            event_id = ctx.facts.event_id
            return [Unsealed(v, partial(encrypt, pid, event_id, f"{at}[{i}]")) for i, v in enumerate(value)]

        return seal_all

    def seal(value: Any, ctx: Ctx) -> Any:
        return Unsealed(value, partial(encrypt, pid, ctx.facts.event_id, concrete(path, ctx.indexes)))

    return seal


def keep(value: Any, ctx: Ctx) -> Any:
    """Keep: the value as it is (a named function, so the compiler can recognise it)."""
    return value


def general_op(
    name: str, path: str, empty: Any, cases: list[CompiledCase], collect: Callable[[Any, Ctx], None]
) -> LeafOp:
    """The general leaf operation: try each case in order; the first whose condition holds and
    whose guard rail (if any) lets it through decides; a drop case, or no case, withholds the
    value and records why (the guard rail that stopped a clear case, else the agreement)."""

    def general(
        inst: dict[str, Any], out: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]
    ) -> None:
        value = inst[name]
        if value is None:
            out[name] = None
            return
        blocked_rule: str | None = None
        for case in cases:
            if case.cond is not None and not case.cond(ctx.root, scope):
                continue
            if case.guard is not None:
                rule = (
                    block
                    if case.guard == "pole"
                    else ctx.victim_block
                    if case.guard == "victim"
                    else ctx.event_block
                )
                if rule is not None:
                    blocked_rule = blocked_rule or rule
                    continue
            if case.fn is None:
                break
            out[name] = case.fn(value, ctx)
            if case.collect:
                collect(value, ctx)
            return
        else:
            out[name] = empty
            ctx.withheld.append((path, blocked_rule or guardrails.AGREEMENT_CONDITION))
            collect(value, ctx)
            return
        out[name] = empty
        ctx.withheld.append((path, blocked_rule or guardrails.AGREEMENT_DROP))
        collect(value, ctx)

    return general


def as_text(fn: ValueFn) -> ValueFn:
    """Wrap a keep so it releases text: used when a field's cases disagree on the output type
    (a date kept, or generalised to a year), so the field's published type is a string."""

    def text(value: Any, ctx: Ctx) -> Any:
        kept = fn(value, ctx)
        if isinstance(kept, (date, datetime)):
            return kept.isoformat()
        if isinstance(kept, bool):
            return "true" if kept else "false"
        return str(kept)

    return text


def may_withhold(source: tuple[Any, ...], cases: list[CompiledCase]) -> bool:
    """False only if some case is certain to release a value once reached, and every case before
    it that could stop the search releases too."""
    for src, case in zip(source, cases, strict=True):
        certain = case.cond is None and case.guard is None
        if case.fn is None:
            if certain:
                return True
            continue
        if certain and src.transform.kind is not TransformKind.GENERALISE:
            return False
    return True


def branch(transform: Transform, ltype: LeafType, source_type: Any) -> Branch:
    """The output type one case gives a field (see :data:`policies.projection.Branch`)."""
    if transform.copies:
        if ltype.is_string or ltype.is_string_list:
            return ("string", ltype.is_string_list)
        return ("keep", source_type)
    if transform.kind is TransformKind.ENCRYPT:
        return ("bytes", ltype.kind == "array")
    return ("string", ltype.kind == "array")


# -- the plan -----------------------------------------------------------------------------------
