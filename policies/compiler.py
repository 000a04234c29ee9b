"""Compile one agreement's rules for one (event type, partner) pair into a :class:`Plan`.

Everything that can be decided without seeing a record is decided here, once: which rule governs
each field, which guard rails apply to it, its output type, the closures that copy or transform
it, the collectors that gather withheld strings for rule 11, and the partner's projection schema
(registered in the catalogue). Applying a plan to a record then only runs those closures.

Per record, a plan:

1. checks the agreement is in force and covers the originator (rule 1), and the record-level
   guard rails: handling codes (3), NGO support role (4), a Duty to Notify that may be a child (7);
2. checks the agreement's event condition;
3. builds the output record scope by scope: value-dependent marks first (a suspect entity for an
   NGO, a safe house's address: the instance or field is withheld), then each field's cases in
   order, each gated by its condition and, for identity in clear, by the consent and child rails
   (5, 7); the first case that passes decides;
4. scrubs every withheld string from the released free text (11), and attaches the ``sharing``
   record and the review date (10, 12).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from policies import conditions, guardrails, scrub
from policies.agreements import Agreement, Case, EventRule, Unit, resolve_units
from policies.crypto import FieldEncryptor
from policies.exceptions import GuardRailViolation, PlanError, Problem
from policies.facts import EventFacts, facts_reader
from policies.paths import concrete, is_under, name_of, scope_of
from policies.projection import Branch, OutChild, OutLeaf, OutRecord, derive_schema
from policies.pseudonyms import Tokeniser
from policies.registry import Partner, PartnerKind, Regime
from policies.results import Delivery, Denial
from policies.schemainfo import LeafType, leaf_type
from policies.transforms import GENERALISERS, Exposure, Transform, TransformKind, mask_function
from schemas.catalogue import Catalogue
from schemas.entry import SchemaEntry
from schemas.naming import non_null_branches, resolve, type_of

WITHHELD: Any = object()
"""Returned by a scope builder when a whole instance is withheld."""

NAMESPACE_ROOT = "org.pentameter.partner"


class _Ctx:
    """Per-record state while one plan builds one delivery."""

    __slots__ = ("event_block", "facts", "indexes", "removed", "root", "victim_block", "withheld")

    def __init__(self, root: dict[str, Any], facts: EventFacts, removed: list[str] | None) -> None:
        self.root = root
        self.facts = facts
        self.removed = removed
        self.withheld: list[tuple[str, str]] = []
        self.indexes: list[int] = []
        self.victim_block: str | None = None
        self.event_block: str | None = None


ValueFn = Callable[[Any, _Ctx], Any]
LeafOp = Callable[[dict[str, Any], dict[str, Any], _Ctx, str | None, dict[str, Any]], None]
Builder = Callable[[dict[str, Any], _Ctx, str | None, dict[str, Any]], Any]
Collector = Callable[[Any, list[str]], None]


@dataclass(frozen=True)
class FieldDecision:
    """How a plan treats one field path, for explain, matrix and diff."""

    path: str
    released: bool
    how: str
    rule_id: str | None
    line: int | None
    conditional: bool
    transforms: tuple[str, ...] = ()
    """Transforms of the releasing cases, in order (``keep``, ``pseudonymise``...)."""


@dataclass
class _Case:
    fn: ValueFn | None
    cond: conditions.Evaluator | None
    guard: str | None
    collect: bool


# -- collectors (rule 11) -----------------------------------------------------------------------


def text_collector(
    node: Any, names: Mapping[str, Any], skip: Callable[[str], bool] | None = None, path: str = ""
) -> Collector | None:
    """A function appending every plain-string value found in a value of schema ``node`` to a
    list (enum symbols are not collected). ``skip(path)`` prunes fields. None when the type holds
    no plain strings."""
    node = resolve(node, names)
    kind = type_of(node)
    if kind == "union":
        parts = [(b, text_collector(b, names, skip, path)) for b in node]
        string_fn = next((fn for b, fn in parts if fn is not None and _is_plain_string(b, names)), None)
        record_fn = next(
            (fn for b, fn in parts if fn is not None and type_of(resolve(b, names)) == "record"), None
        )
        list_fn = next(
            (fn for b, fn in parts if fn is not None and type_of(resolve(b, names)) == "array"), None
        )
        if string_fn is None and record_fn is None and list_fn is None:
            return None

        def union(value: Any, out: list[str]) -> None:
            if isinstance(value, str):
                if string_fn is not None:
                    string_fn(value, out)
            elif isinstance(value, dict):
                if record_fn is not None:
                    record_fn(value, out)
            elif isinstance(value, list) and list_fn is not None:
                list_fn(value, out)

        return union
    if _is_plain_string(node, names):
        return lambda value, out: out.append(value)
    if kind == "array":
        items_fn = text_collector(node["items"], names, skip, path + "[]")
        if items_fn is None:
            return None

        def array(value: Any, out: list[str]) -> None:
            for item in value:
                items_fn(item, out)

        return array
    if kind == "map":
        inner = text_collector(node["values"], names, skip, path + "{}")
        if inner is None:
            return None

        def mapping(value: Any, out: list[str]) -> None:
            for item in value.values():
                inner(item, out)

        return mapping
    if kind in ("record", "error"):
        parts_r: list[tuple[str, Collector]] = []
        for f in node["fields"]:
            fpath = f"{path}.{f['name']}" if path else str(f["name"])
            if skip is not None and skip(fpath):
                continue
            fn = text_collector(f["type"], names, skip, fpath)
            if fn is not None:
                parts_r.append((str(f["name"]), fn))
        if not parts_r:
            return None

        def record(value: Any, out: list[str]) -> None:
            for key, fn in parts_r:
                item = value.get(key)
                if item is not None:
                    fn(item, out)

        return record
    return None


def _is_plain_string(node: Any, names: Mapping[str, Any]) -> bool:
    node = resolve(node, names)
    if node == "string":
        return True
    return isinstance(node, dict) and node.get("type") == "string" and "logicalType" not in node


def _collect_value(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list):
        out.extend(v for v in value if isinstance(v, str))


# -- value functions ----------------------------------------------------------------------------


def _value_fn(
    transform: Transform,
    ltype: LeafType,
    path: str,
    partner: Partner,
    tokeniser: Tokeniser,
    encryptor: FieldEncryptor,
    review_cap: int | None,
) -> ValueFn | None:
    kind = transform.kind
    if kind is TransformKind.DROP:
        return None
    if kind is TransformKind.KEEP:
        if path == "envelope.review_date" and review_cap is not None:
            cap = timedelta(days=review_cap)

            def review(value: Any, ctx: _Ctx) -> Any:
                limit = ctx.root["envelope"]["recorded_at"].date() + cap
                return value if value <= limit else limit

            return review
        return lambda value, ctx: value
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

        def seal_all(value: Any, ctx: _Ctx) -> Any:
            at = concrete(path, ctx.indexes)
            return [encrypt(pid, ctx.facts.event_id, f"{at}[{i}]", v.encode()) for i, v in enumerate(value)]

        return seal_all

    def seal(value: Any, ctx: _Ctx) -> Any:
        return encrypt(pid, ctx.facts.event_id, concrete(path, ctx.indexes), value.encode())

    return seal


def _general_op(
    name: str, path: str, empty: Any, cases: list[_Case], collect: Callable[[Any, _Ctx], None]
) -> LeafOp:
    """The general leaf operation: try each case in order; the first whose condition holds and
    whose guard rail (if any) lets it through decides; a drop case, or no case, withholds the
    value and records why (the guard rail that stopped a clear case, else the agreement)."""

    def general(
        inst: dict[str, Any], out: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]
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


def _as_text(fn: ValueFn) -> ValueFn:
    def text(value: Any, ctx: _Ctx) -> Any:
        kept = fn(value, ctx)
        if isinstance(kept, (date, datetime)):
            return kept.isoformat()
        if isinstance(kept, bool):
            return "true" if kept else "false"
        return str(kept)

    return text


def _may_withhold(source: tuple[Any, ...], cases: list[_Case]) -> bool:
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


def _branch(transform: Transform, ltype: LeafType, source_type: Any) -> Branch:
    if transform.kind is TransformKind.KEEP:
        if ltype.is_string or ltype.is_string_list:
            return ("string", ltype.is_string_list)
        return ("keep", source_type)
    if transform.kind is TransformKind.ENCRYPT:
        return ("bytes", ltype.kind == "array")
    return ("string", ltype.kind == "array")


# -- the plan -----------------------------------------------------------------------------------


class Plan:
    """The compiled rules of one agreement for one (event type, partner) pair.

    ``apply(record)`` returns a :class:`Delivery` or a :class:`Denial`; ``projection_schema`` is
    the Avro schema of delivered records (registered in the catalogue as ``schema_name``, with
    ``fingerprint``); ``released`` and ``withheld`` are the static field sets; ``decisions``
    explain each field.
    """

    def __init__(
        self,
        agreement: Agreement,
        rule: EventRule,
        entry: SchemaEntry,
        partner: Partner,
        *,
        tokeniser: Tokeniser,
        encryptor: FieldEncryptor,
        catalogue: Catalogue,
    ) -> None:
        self.agreement = agreement
        self.rule = rule
        self.entry = entry
        self.partner = partner
        self.event_type = entry.name
        self._tokeniser = tokeniser
        self._encryptor = encryptor
        self._facts = facts_reader(entry)
        self._scopes = guardrails.pole_scopes(entry)
        self._victim_event = guardrails.is_victim_event(entry)
        self._child_ok = partner.kind in guardrails.CHILD_IDENTITY_KINDS
        self._needs_victim = False
        self._needs_event = False
        self._has_encrypt = False
        basis = agreement.lawful_basis
        self._special_ok = basis.special_category_condition is not None
        self._forbidden = guardrails.forbidden_marks(partner, self._special_ok)
        units = resolve_units(rule, entry)
        self._check_static(units)
        self.decisions: tuple[FieldDecision, ...] = ()
        self._unit_plans: dict[str, tuple[Unit, list[_Case], OutLeaf]] = {}
        released, withheld = self._plan_units(units)
        self.released: tuple[str, ...] = tuple(released)
        self.withheld: tuple[tuple[str, str], ...] = tuple(withheld)
        self._released_set = frozenset(self.released)
        self._free_text_paths = tuple(u.path for u, _, leaf in self._unit_plans.values() if leaf.free_text)
        self._tree = self._build_tree(entry.schema, "", entry.schema)
        self.namespace = f"{NAMESPACE_ROOT}.{partner.id}.{entry.name}"
        self.projection_schema = derive_schema(
            self._tree,
            dict(entry.names),
            namespace=self.namespace,
            name=entry.name,
            doc=(
                f"What {partner.name} ({partner.id}) receives of {entry.label} under agreement "
                f"{agreement.label} ({agreement.title}). Fields not listed are not shared. Delete each "
                "record on its envelope.review_date unless retention is justified."
            ),
            attributes={
                "projected_from": {
                    "name": entry.name,
                    "version": entry.version,
                    "fingerprint": entry.fingerprint_hex,
                },
                "agreement": {"id": agreement.id, "version": agreement.version},
                "partner": partner.id,
            },
        )
        try:
            self.projection = catalogue.register(self.projection_schema, kind="projection")
        except Exception as exc:  # a catalogue refusal here is an engine bug, not a user error
            raise PlanError(
                f"cannot register the projection of {entry.label} for {partner.id}: {exc}"
            ) from exc
        self.schema_name = self.projection.name
        self.fingerprint = self.projection.fingerprint
        self.generated_source: dict[str, str] = {}
        """Source of the generated builders, by record path (for review and debugging)."""
        self._root_build = self._builder(self._tree)
        self._scrub = bool(self._free_text_paths)
        self._collect_static = (
            text_collector(entry.schema, entry.names, skip=self._is_released_unit) if self._scrub else None
        )
        self._scrubbers = [_scrubber(p) for p in self._free_text_paths]
        self._when = conditions.compile_condition(rule.when, partner) if rule.when is not None else None
        self._purposes = sorted(rule.purposes)
        self._restricted_purposes = frozenset(rule.purposes)
        self._providers = agreement.providers
        self._denials = self._static_denials()
        self._valid_from, self._valid_to = agreement.valid_from, agreement.valid_to
        self._pid, self._topic, self._is_ngo = partner.id, partner.topic, partner.is_ngo
        self._agreement_id, self._agreement_version = agreement.id, agreement.version
        self._released_cache: dict[frozenset[str], tuple[str, ...]] = {}

    # -- compile: static checks and unit plans ------------------------------------------------

    def _check_static(self, units: list[Unit]) -> None:
        """Defence in depth: refuse to compile an operation a static guard rail forbids, whatever
        path the agreement took to get here."""
        violation = guardrails.event_violation(self.partner, self.entry)
        problems: list[Problem] = []
        if violation is not None:
            problems.append(
                Problem(self.agreement.file, self.rule.line, self.agreement.label, violation[1], violation[0])
            )
        basis = self.agreement.lawful_basis
        for unit in units:
            if unit.rule is None:
                continue
            if unit.path in guardrails.STRUCTURAL_FIELDS and any(
                c.transform.kind is not TransformKind.KEEP for c in unit.rule.cases
            ):
                problems.append(
                    Problem(
                        self.agreement.file,
                        unit.rule.line,
                        self.agreement.label,
                        f"{unit.path} may only be kept",
                        guardrails.STRUCTURAL_FIELDS[unit.path],
                    )
                )
            infos = (
                [unit.info]
                if not unit.record_unit
                else [f for f in self.entry.leaf_fields if is_under(f.path, unit.path)]
            )
            for case in unit.rule.cases:
                for info in infos:
                    for rule_id, reason in guardrails.field_violations(
                        self.partner,
                        self.entry,
                        info,
                        case.transform.exposure,
                        special_condition=self._special_ok,
                        article_10=basis.article_10 is not None,
                        uk_gdpr=self.agreement.regime is Regime.UK_GDPR,
                        scopes=self._scopes,
                    ):
                        problems.append(
                            Problem(self.agreement.file, case.line, self.agreement.label, reason, rule_id)
                        )
        if problems:
            raise GuardRailViolation(problems)

    def _is_released_unit(self, path: str) -> bool:
        return path in self._released_set

    def _guard_for(self, unit: Unit, exposure: Exposure) -> str | None:
        if exposure is not Exposure.CLEAR:
            return None
        marks = guardrails.all_marks(unit.info)
        if unit.record_unit:
            for f in self.entry.leaf_fields:
                if is_under(f.path, unit.path):
                    marks = marks | guardrails.all_marks(f)
        if not marks & guardrails.IDENTITY_MARKS:
            return None
        subject = guardrails.subject_of(self.entry, unit.path, self._scopes)
        if subject is None:
            return None
        if subject.startswith("pole:"):
            return "pole"
        if subject == "victim":
            self._needs_victim = True
        else:
            self._needs_event = True
        return subject

    def _plan_units(self, units: list[Unit]) -> tuple[list[str], list[tuple[str, str]]]:
        released: list[str] = []
        withheld: list[tuple[str, str]] = []
        decisions: list[FieldDecision] = []
        review_cap = self.agreement.retention_max_days
        for unit in units:
            rule = unit.rule
            structural = unit.path in guardrails.STRUCTURAL_FIELDS
            if rule is None and not structural:
                withheld.append((unit.path, guardrails.R1_DEFAULT_DENY))
                decisions.append(
                    FieldDecision(unit.path, False, "not named", guardrails.R1_DEFAULT_DENY, None, False)
                )
                continue
            cases_src = rule.cases if rule is not None else ()
            if structural and (
                rule is None or all(c.transform.kind is TransformKind.KEEP for c in cases_src)
            ):
                cases_src = (Case(Transform(TransformKind.KEEP), None, rule.line if rule else 0),)
            ltype = leaf_type(self.entry, unit.path)
            cases: list[_Case] = []
            branches: list[Branch] = []
            conditional = False
            for case in cases_src:
                fn = _value_fn(
                    case.transform,
                    ltype,
                    unit.path,
                    self.partner,
                    self._tokeniser,
                    self._encryptor,
                    review_cap if unit.path == "envelope.review_date" else None,
                )
                if case.transform.kind is TransformKind.ENCRYPT:
                    self._has_encrypt = True
                cond = None
                if case.when is not None:
                    context = scope_of(unit.path if not unit.record_unit else unit.path + ".x")
                    cond = conditions.compile_condition(case.when, self.partner, context)
                    conditional = True
                guard = self._guard_for(unit, case.transform.exposure) if fn is not None else None
                conditional = conditional or guard is not None
                collect = case.transform.kind is not TransformKind.KEEP
                cases.append(_Case(fn, cond, guard, collect))
                if fn is not None:
                    branches.append(_branch(case.transform, ltype, unit.info.schema))
            if len({repr(b) for b in branches}) > 1:
                # cases disagree on the output type (e.g. a date kept, or generalised to a year): the
                # field becomes a string, kept values written in their ISO/text form
                branches = [("string", ltype.kind == "array")]
                for compiled in cases:
                    if compiled.fn is not None and not compiled.collect:
                        compiled.fn = _as_text(compiled.fn)
            if not branches:
                withheld.append((unit.path, guardrails.AGREEMENT_DROP))
                decisions.append(
                    FieldDecision(
                        unit.path,
                        False,
                        "drop",
                        guardrails.AGREEMENT_DROP,
                        rule.line if rule else None,
                        False,
                    )
                )
                continue
            released.append(unit.path)
            how = rule.describe() if rule is not None else "keep (always carried)"
            if review_cap is not None and unit.path == "envelope.review_date":
                how += f" (at most {review_cap} days after recording)"
            may_withhold = self._instance_targets(unit.path) or _may_withhold(cases_src, cases)
            is_array = ltype.kind == "array"
            leaf = OutLeaf(
                name=name_of(unit.path),
                path=unit.path,
                source_field=self._source_field(unit.path),
                branches=branches,
                nullable=(ltype.nullable or may_withhold) and not is_array,
                is_array=is_array,
                how=how,
                free_text="free_text" in unit.info.marks
                and all(c.transform.kind is TransformKind.KEEP for c in cases_src if c.transform.releases),
                keep_default=all(
                    c.transform.kind is TransformKind.KEEP for c in cases_src if c.transform.releases
                ),
            )
            self._unit_plans[unit.path] = (unit, cases, leaf)
            kinds = tuple(c.transform.kind.value for c in cases_src if c.transform.releases)
            decisions.append(
                FieldDecision(unit.path, True, how, None, rule.line if rule else None, may_withhold, kinds)
            )
        self.decisions = tuple(decisions)
        return released, withheld

    def _instance_targets(self, path: str) -> bool:
        """True if a value-dependent mark forbidden for this partner can withhold ``path``."""
        info = self.entry.field(path)
        return any(c.marks & set(self._forbidden) for c in info.conditional)

    def _source_field(self, path: str) -> dict[str, Any]:
        parent_path = path.rsplit(".", 1)[0] if "." in path else ""
        record = self.entry.schema if not parent_path else _record_at(self.entry, parent_path)
        name = name_of(path)
        for f in record["fields"]:
            if f["name"] == name:
                return dict(f)
        raise PlanError(f"{self.entry.label}: no field {path}")

    # -- compile: output tree ------------------------------------------------------------------

    def _build_tree(self, record: Any, base: str, _root: Any) -> OutRecord:
        node = OutRecord(path=base, source=record)
        targeted = {t for _, _, targets, _ in self._instance_rules(record) for t in targets or ()}
        for f in record["fields"]:
            fpath = f"{base}.{f['name']}" if base else str(f["name"])
            if fpath in self._unit_plans:
                node.fields.append(self._unit_plans[fpath][2])
                continue
            if not any(is_under(p, fpath) and p != fpath for p in self._unit_plans):
                continue
            ftype = resolve(f["type"], self.entry.names)
            nullable = isinstance(ftype, list) and "null" in ftype
            inner = resolve(non_null_branches(ftype)[0], self.entry.names)
            kind = type_of(inner)
            if kind in ("record", "error"):
                child = self._build_tree(inner, fpath, _root)
                whole = self._whole_instance_rules(child.source)
                node.fields.append(
                    OutChild(
                        str(f["name"]),
                        fpath,
                        dict(f),
                        "record",
                        nullable or whole or f["name"] in targeted,
                        child,
                    )
                )
            elif kind in ("array", "map"):
                items = resolve(inner["items" if kind == "array" else "values"], self.entry.names)
                items = resolve(non_null_branches(items)[0], self.entry.names)
                suffix = "[]" if kind == "array" else "{}"
                child = self._build_tree(items, fpath + suffix, _root)
                node.fields.append(
                    OutChild(
                        str(f["name"]), fpath, dict(f), "array" if kind == "array" else "map", False, child
                    )
                )
            else:
                raise PlanError(f"{self.entry.label}: cannot descend into {fpath}")
        return node

    def _instance_rules(
        self, record: Mapping[str, Any]
    ) -> list[tuple[str, frozenset[Any], frozenset[str] | None, str]]:
        """(decider, values, target field names or None for the whole instance, rule id) for each
        value-dependent mark of this record type that forbids release to the partner."""
        found = []
        for rule in record.get("conditional_sensitivity", []):
            hits = [self._forbidden[m] for m in rule["marks"] if m in self._forbidden]
            if not hits:
                continue
            targets = frozenset(rule["fields"]) if "fields" in rule else None
            found.append((str(rule["when"]["field"]), frozenset(rule["when"]["in"]), targets, hits[0]))
        return found

    def _whole_instance_rules(self, record: Mapping[str, Any]) -> bool:
        return any(t is None for _, _, t, _ in self._instance_rules(record))

    # -- compile: closures ---------------------------------------------------------------------

    def _is_plain_leaf(self, item: OutLeaf) -> bool:
        """A leaf copied as it is, whatever the record: one unconditional, unguarded keep."""
        cases = self._unit_plans[item.path][1]
        only = cases[0] if len(cases) == 1 else None
        return (
            only is not None
            and only.fn is not None
            and only.cond is None
            and only.guard is None
            and not only.collect
            and (item.path != "envelope.review_date" or self.agreement.retention_max_days is None)
        )

    def _is_plain_node(self, node: OutRecord) -> bool:
        """A record whose every released field is copied as it is, with no per-instance rule."""
        if self._instance_rules(node.source):
            return False
        if node.path in self._scopes and self._uses_pole_guard(node):
            return False
        return all(
            self._is_plain_leaf(item) if isinstance(item, OutLeaf) else self._is_plain_node(item.record)
            for item in node.fields
        )

    def _literal(self, items: list[OutLeaf | OutChild], var: str, counter: list[int]) -> str:
        """Python source of a dict display copying ``items`` (all plain) from ``var``.

        Generated once per plan: a nested record becomes a nested display, an array of them a
        list comprehension, so a plain subtree is copied without one function call per record.
        Names come from the Avro schema, which only allows [A-Za-z_][A-Za-z0-9_]*; they are
        written with repr() all the same.
        """
        parts = []
        for item in items:
            key = repr(item.name)
            if isinstance(item, OutLeaf):
                parts.append(f"{key}: {var}[{key}]")
                continue
            counter[0] += 1
            sub = f"_v{counter[0]}"
            inner = self._literal(list(item.record.fields), sub, counter)
            if item.container == "array":
                parts.append(f"{key}: [{inner} for {sub} in {var}[{key}]]")
            elif item.container == "map":
                parts.append(f"{key}: {{_k: {inner} for _k, {sub} in {var}[{key}].items()}}")
            else:
                parts.append(f"{key}: ({inner} if ({sub} := {var}[{key}]) is not None else None)")
        return "{" + ", ".join(parts) + "}"

    def _generate(self, node: OutRecord, literal: str, ops: list[LeafOp]) -> Builder:
        """Compile the builder of a record without per-instance rules from generated source."""
        lines = ["def build(inst, ctx, block, scope):"]
        if ops:
            lines.append(f"    out = {literal}")
            lines.extend(f"    _op{i}(inst, out, ctx, block, scope)" for i in range(len(ops)))
            lines.append("    return out")
        else:
            lines.append(f"    return {literal}")
        namespace: dict[str, Any] = {f"_op{i}": op for i, op in enumerate(ops)}
        label = f"<plan {self.partner.id} {self.event_type} {node.path or 'root'}>"
        exec(compile("\n".join(lines) + "\n", label, "exec"), namespace)
        self.generated_source[node.path] = "\n".join(lines)
        builder: Builder = namespace["build"]
        return builder

    def _builder(self, node: OutRecord) -> Builder:
        plain_items: list[OutLeaf | OutChild] = []
        ops: list[tuple[str, LeafOp]] = []
        names = self.entry.names
        for item in node.fields:
            if isinstance(item, OutLeaf):
                if self._is_plain_leaf(item):
                    plain_items.append(item)
                else:
                    ops.append((item.name, self._leaf_op(item, self._unit_plans[item.path][1])))
            elif self._is_plain_node(item.record):
                plain_items.append(item)
            else:
                ops.append((item.name, self._child_op(item)))
        literal = self._literal(plain_items, "inst", [0])
        rules = self._instance_rules(node.source)
        is_pole = node.path in self._scopes and self._uses_pole_guard(node)
        if not rules and not is_pole:
            return self._generate(node, literal, [op for _, op in ops])
        plain_part = self._generate(OutRecord(node.path + "#plain", node.source), literal, [])
        record_def = node.source
        collectors: dict[str | None, Collector | None] = {None: text_collector(record_def, names)}
        for _, _, targets, _ in rules:
            for target in targets or ():
                ftype = next(f["type"] for f in record_def["fields"] if f["name"] == target)
                collectors[target] = text_collector(ftype, names)
        empties: dict[str, Any] = {item.name: _empty(item) for item in node.fields}
        output_names = {item.name for item in node.fields}
        pole_block = self._pole_block
        path = node.path
        ops_fns = tuple(op for _, op in ops)

        def build(inst: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]) -> Any:
            if is_pole:
                block = pole_block(inst, ctx)
            blocked: dict[str, str] | None = None
            for decider, values, targets, rule_id in rules:
                if inst[decider] in values:
                    if targets is None:
                        ctx.withheld.append((path, rule_id))
                        whole = collectors[None]
                        if ctx.removed is not None and whole is not None:
                            whole(inst, ctx.removed)
                        return WITHHELD
                    blocked = blocked or {}
                    for t in targets:
                        blocked.setdefault(t, rule_id)
            out = plain_part(inst, ctx, block, scope)
            if blocked is None:
                for op in ops_fns:
                    op(inst, out, ctx, block, scope)
                return out
            for name, op in ops:
                if name not in blocked:
                    op(inst, out, ctx, block, scope)
            for name, rule_id in blocked.items():
                value = inst.get(name)
                if name in output_names:
                    out[name] = empties[name]
                    ctx.withheld.append((f"{path}.{name}" if path else name, rule_id))
                collect = collectors.get(name)
                if value is not None and collect is not None and ctx.removed is not None:
                    collect(value, ctx.removed)
            return out

        return build

    def _uses_pole_guard(self, node: OutRecord) -> bool:
        """True if a field at or under ``node`` has a case guarded by its POLE entity."""
        for item in node.fields:
            if isinstance(item, OutLeaf):
                if any(c.guard == "pole" for c in self._unit_plans[item.path][1]):
                    return True
            elif item.container == "record" and self._uses_pole_guard(item.record):
                return True
        return False

    def _pole_block(self, inst: dict[str, Any], ctx: _Ctx) -> str | None:
        if inst.get("is_child") is True:
            return None if self._child_ok else guardrails.R7_CHILD_IDENTITY
        if inst.get("role") == "POTENTIAL_VICTIM":
            return self._victim_block(ctx.facts) if self._victim_event else guardrails.R5_ADULT_CONSENT
        return None

    def _victim_block(self, facts: EventFacts) -> str | None:
        if facts.child:
            return None if self._child_ok else guardrails.R7_CHILD_IDENTITY
        partner = self.partner
        if facts.consent_ok and (
            partner.kind is PartnerKind.SINGLE_COMPETENT_AUTHORITY
            or partner.id == facts.first_responder
            or partner.id == facts.support_provider
        ):
            return None
        return guardrails.R5_ADULT_CONSENT

    def _leaf_op(self, leaf: OutLeaf, cases: list[_Case]) -> LeafOp:
        name, path = leaf.name, leaf.path
        empty: Any = [] if leaf.is_array else None
        record_unit = self._unit_plans[leaf.path][0].record_unit
        unit_collector = (
            text_collector(self._unit_plans[leaf.path][0].info.schema, self.entry.names)
            if record_unit
            else None
        )

        def collect(value: Any, ctx: _Ctx) -> None:
            if ctx.removed is None:
                return
            if unit_collector is not None:
                unit_collector(value, ctx.removed)
            else:
                _collect_value(value, ctx.removed)

        only = cases[0] if len(cases) == 1 else None
        if only is not None and only.cond is None and only.guard is None and only.fn is not None:
            fn = only.fn
            collects = only.collect

            def transform_only(
                inst: dict[str, Any], out: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]
            ) -> None:
                value = inst[name]
                if value is None:
                    out[name] = None
                    return
                out[name] = fn(value, ctx)
                if collects:
                    collect(value, ctx)

            return transform_only

        first = cases[0]
        if first.fn is not None and first.cond is None and first.guard is not None and not first.collect:
            keep_fn = first.fn
            guard = first.guard
            rest = _general_op(name, path, empty, cases, collect)

            def guarded(
                inst: dict[str, Any], out: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]
            ) -> None:
                # fast path: the guard rail lets the first (clear) case through
                blocked = (
                    block if guard == "pole" else ctx.victim_block if guard == "victim" else ctx.event_block
                )
                if blocked is None:
                    value = inst[name]
                    out[name] = None if value is None else keep_fn(value, ctx)
                    return
                rest(inst, out, ctx, block, scope)

            return guarded
        return _general_op(name, path, empty, cases, collect)

    def _child_op(self, child: OutChild) -> LeafOp:
        name = child.name
        sub = self._builder(child.record)
        if child.container == "record":

            def record_op(
                inst: dict[str, Any], out: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]
            ) -> None:
                value = inst[name]
                if value is None:
                    out[name] = None
                    return
                built = sub(value, ctx, block, scope)
                out[name] = None if built is WITHHELD else built

            return record_op
        if child.container == "map":

            def map_op(
                inst: dict[str, Any], out: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]
            ) -> None:
                result = {}
                for key, item in inst[name].items():
                    built = sub(item, ctx, block, item)
                    if built is not WITHHELD:
                        result[key] = built
                out[name] = result

            return map_op
        if self._has_encrypt and any(is_under(p, child.path) for p in self._unit_plans):

            def indexed_array_op(
                inst: dict[str, Any], out: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]
            ) -> None:
                result: list[Any] = []
                indexes = ctx.indexes
                for item in inst[name]:
                    indexes.append(len(result))
                    built = sub(item, ctx, block, item)
                    indexes.pop()
                    if built is not WITHHELD:
                        result.append(built)
                out[name] = result

            return indexed_array_op

        def array_op(
            inst: dict[str, Any], out: dict[str, Any], ctx: _Ctx, block: str | None, scope: dict[str, Any]
        ) -> None:
            result = []
            for item in inst[name]:
                built = sub(item, ctx, block, item)
                if built is not WITHHELD:
                    result.append(built)
            out[name] = result

        return array_op

    # -- denials -------------------------------------------------------------------------------

    def _denial(self, rule_id: str, reason: str) -> Denial:
        return Denial(self.partner.id, rule_id, reason, self.agreement.id, self.agreement.version)

    def _static_denials(self) -> dict[str, Denial]:
        a = self.agreement
        return {
            "not_in_force": self._denial(
                guardrails.R1_NOT_IN_FORCE,
                f"agreement {a.label} is in force from {a.valid_from} to {a.valid_to}",
            ),
            "dtn_child": self._denial(
                guardrails.R7_CHILD_NO_DTN, "a Duty to Notify whose age band may be a child's is never shared"
            ),
            "ngo": self._denial(
                guardrails.R4_NGO_NOT_SUPPORTING,
                f"{self.partner.id} is neither the named support provider nor the first "
                "responder for this person",
            ),
            "condition": self._denial(
                guardrails.AGREEMENT_CONDITION,
                f"{a.label} shares {self.event_type} only when "
                f"{conditions.describe(self.rule.when) if self.rule.when else '-'}",
            ),
        }

    # -- apply ---------------------------------------------------------------------------------

    def apply(self, record: dict[str, Any], day: date | None = None) -> Delivery | Denial:
        """Project one decoded record (Avro-ready dict of this plan's event schema) for the plan's
        partner, as of ``day`` (today by default)."""
        return self._apply(record, self._facts(record), day or date.today())

    def _apply(self, record: dict[str, Any], facts: EventFacts, day: date) -> Delivery | Denial:
        if not (self._valid_from <= day <= self._valid_to):
            return self._denials["not_in_force"]
        pid = self._pid
        if self._providers is not None and facts.origin not in self._providers:
            return self._denial(
                guardrails.R1_PROVIDER, f"{self.agreement.label} does not cover events from {facts.origin!r}"
            )
        if facts.dtn_child:
            return self._denials["dtn_child"]
        if facts.restricted is not None:
            denial = self._restricted(facts)
            if denial is not None:
                return denial
        if self._is_ngo and pid != facts.first_responder and pid != facts.support_provider:
            return self._denials["ngo"]
        if self._when is not None and not self._when(record, record):
            return self._denials["condition"]
        ctx = _Ctx(record, facts, [] if self._scrub else None)
        if self._needs_victim:
            ctx.victim_block = self._victim_block(facts)
        if self._needs_event and facts.child and not self._child_ok:
            ctx.event_block = guardrails.R7_CHILD_IDENTITY
        out = self._root_build(record, ctx, None, record)
        if out is WITHHELD:  # cannot happen for a top-level record; kept as a hard stop
            raise PlanError(f"{self.event_type} root record withheld for {pid}")
        removed = ctx.removed
        if removed is not None:
            if self._collect_static is not None:
                self._collect_static(record, removed)
            if removed:
                values = scrub.candidates(removed)
                if values:
                    for scrubber in self._scrubbers:
                        scrubber(out, values)
        out["sharing"] = {
            "agreement_id": self._agreement_id,
            "agreement_version": self._agreement_version,
            "partner": pid,
            "purposes": list(self._purposes),
            "onward_sharing_permitted": facts.onward_ok,
            "restrictions": list(facts.restrictions),
        }
        if not ctx.withheld:
            return Delivery(
                pid,
                self._topic,
                self._agreement_id,
                self._agreement_version,
                out,
                self.schema_name,
                self.fingerprint,
                self.released,
                self.withheld,
            )
        dynamic = tuple(dict.fromkeys(ctx.withheld))
        return Delivery(
            pid,
            self._topic,
            self._agreement_id,
            self._agreement_version,
            out,
            self.schema_name,
            self.fingerprint,
            self._released_without(dynamic),
            self.withheld + dynamic,
        )

    def _restricted(self, facts: EventFacts) -> Denial | None:
        """Rule 3: a restrictive handling code lets the record go only to its named recipients,
        for the purposes named in its conditions."""
        assert facts.restricted is not None
        rule_id, text = facts.restricted
        if self._pid not in facts.recipients:
            return self._denial(rule_id, f"{text}; {self._pid} is not a named recipient")
        if facts.cond_purposes is not None and not facts.cond_purposes & self._restricted_purposes:
            named = ", ".join(sorted(facts.cond_purposes)) or "none"
            return self._denial(
                rule_id,
                f"{text}; none of the purposes named in the conditions ({named}) is a purpose of "
                f"{self.agreement.label}",
            )
        return None

    def _released_without(self, dynamic: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
        """The released paths less those this record withheld outright (paths inside arrays stay:
        other instances may have been released). Cached per combination."""
        gone = frozenset(p for p, _ in dynamic if "[]" not in p and "{}" not in p)
        if not gone:
            return self.released
        cached = self._released_cache.get(gone)
        if cached is None:
            cached = tuple(p for p in self.released if not any(is_under(p, g) for g in gone))
            if len(self._released_cache) < 1024:
                self._released_cache[gone] = cached
        return cached


def _empty(item: OutLeaf | OutChild) -> Any:
    """The value a withheld field takes: [] for lists, {} for maps, else None."""
    if isinstance(item, OutLeaf):
        return [] if item.is_array else None
    return {"array": [], "map": {}}.get(item.container)


def _record_at(entry: SchemaEntry, path: str) -> dict[str, Any]:
    """The record definition at ``path`` (``people[]`` or ``people``: the element record)."""
    field_path = path[:-2] if path.endswith(("[]", "{}")) else path
    node = resolve(entry.field(field_path).schema, entry.names)
    node = resolve(non_null_branches(node)[0], entry.names)
    if isinstance(node, dict) and node.get("type") in ("array", "map"):
        node = resolve(node["items" if node["type"] == "array" else "values"], entry.names)
        node = resolve(non_null_branches(node)[0], entry.names)
    if not isinstance(node, dict) or "fields" not in node:
        raise PlanError(f"{entry.label}: {path} is not a record")
    return node


def _scrubber(path: str) -> Callable[[dict[str, Any], list[str]], None]:
    """A function scrubbing the free-text leaf at ``path`` of an output record in place."""
    parts = path.split(".")

    def visit(node: Any, i: int, values: list[str]) -> None:
        if node is None:
            return
        part = parts[i]
        repeated = part.endswith(("[]", "{}"))
        key = part[:-2] if repeated else part
        value = node.get(key)
        if value is None:
            return
        if i == len(parts) - 1:
            if isinstance(value, str):
                node[key] = scrub.scrub(value, values)
            elif isinstance(value, list):
                node[key] = [scrub.scrub(v, values) if isinstance(v, str) else v for v in value]
            return
        if repeated:
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                visit(item, i + 1, values)
        else:
            visit(value, i + 1, values)

    return lambda out, values: visit(out, 0, values)
