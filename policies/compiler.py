"""Compile one agreement's rules for one (event type, partner) pair into a :class:`Plan`.

Everything that can be decided without seeing a record is decided here, once: which rule governs
each field, which guard rails apply to it, its output type, the operations that copy or transform
it, the collectors that gather withheld strings for rule 11, and the partner's projection schema
(registered in the catalogue). The builders that assemble a record are generated as plain Python
source per record path (``Plan.generated_source`` shows it) from names the Avro schema already
validated, so applying a plan runs straight-line code and never re-reads a rule.

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
from datetime import date, timedelta
from typing import Any

from policies import collect, conditions, guardrails, scrub
from policies.agreements import Agreement, Case, EventRule, Unit, resolve_units
from policies.crypto import FieldEncryptor
from policies.exceptions import GuardRailViolation, PlanError, Problem
from policies.facts import EventFacts, facts_reader
from policies.operations import (
    WITHHELD,
    Builder,
    CompiledCase,
    Ctx,
    LeafOp,
    as_text,
    branch,
    general_op,
    keep,
    may_withhold,
    value_fn,
)
from policies.paths import is_under, name_of, scope_of
from policies.projection import Branch, OutChild, OutLeaf, OutRecord, derive_schema
from policies.pseudonyms import Tokeniser
from policies.registry import Partner, PartnerKind, Regime
from policies.results import Delivery, Denial
from policies.schemainfo import leaf_type
from policies.transforms import Exposure, Transform, TransformKind, transformed_output
from schemas.catalogue import Catalogue
from schemas.entry import SchemaEntry
from schemas.marks import ValueKind
from schemas.naming import non_null_branches, resolve, type_of

NAMESPACE_ROOT = "org.pentameter.partner"
_COPIES = frozenset({TransformKind.KEEP.value, TransformKind.SCRUB.value})
_CASE_KEY_CACHE = 4096
"""Case keys remembered per plan (a case's events arrive close together)."""


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
        self._unit_plans: dict[str, tuple[Unit, list[CompiledCase], OutLeaf]] = {}
        released, withheld = self._plan_units(units)
        self.released: tuple[str, ...] = tuple(released)
        self.withheld: tuple[tuple[str, str], ...] = tuple(withheld)
        self._released_set = frozenset(self.released)
        self._tree = self._build_tree(entry.schema, "")
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
        self._dangling = self._dangling_references()
        self._targets = self._scrub_targets()
        self._finders = scrub.finders(self._targets)
        self._scrub = bool(self._targets)
        self._collect_static = (
            collect.collector(entry.schema, entry.names, skip=self._is_released_unit) if self._scrub else None
        )
        self.scrubbed_paths = tuple(t.path for t in self._targets)
        """Paths of the strings this plan scrubs of withheld values (rule 11), for explain."""
        self.scrub_kinds = self._withheld_kinds()
        """Kinds of value this plan may withhold, so removes from those strings (for explain)."""
        self._when = conditions.compile_condition(rule.when, partner) if rule.when is not None else None
        self._purposes = sorted(rule.purposes)
        self._restricted_purposes = frozenset(rule.purposes)
        self._providers = agreement.providers
        self._denials = self._static_denials()
        self._valid_from, self._valid_to = agreement.valid_from, agreement.valid_to
        self._pid, self._topic, self._is_ngo = partner.id, partner.topic, partner.is_ngo
        self._agreement_id, self._agreement_version = agreement.id, agreement.version
        self._released_cache: dict[frozenset[str], tuple[str, ...]] = {}
        cap = agreement.retention_max_days
        self._review_cap = timedelta(days=cap) if cap is not None else None
        self._case_token = tokeniser.function("reference")
        self._case_keys: dict[str, bytes] = {}
        self._not_recipient: dict[tuple[str, str], Denial] = {}

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

    def _withheld_kinds(self) -> tuple[str, ...]:
        """The kinds of every leaf this plan may not release as it is (for explain)."""
        kinds: set[str] = set()
        for info in self.entry.leaf_fields:
            if info.value_kind in (None, ValueKind.CODE):
                continue
            decision = next((d for d in self.decisions if is_under(info.path, d.path)), None)
            always_copied = (
                decision is not None
                and decision.released
                and not decision.conditional
                and not info.conditional
                and all(t in _COPIES for t in decision.transforms)
            )
            if not always_copied:
                kinds.add(info.value_kind)
        return tuple(sorted(kinds))

    def _dangling_references(self) -> Callable[[dict[str, Any], Ctx], None] | None:
        """Items that refer to entities by id (an intelligence report's links) go only with the
        entities they name: a link to a person, phone or premises the partner does not receive
        would tell it they exist and how they relate. None when the plan releases no reference."""
        refs: dict[str, list[str]] = {}
        for path, (unit, _, _) in self._unit_plans.items():
            if unit.info.value_kind == ValueKind.ENTITY_REF and not unit.record_unit:
                scope, _, name = path.rpartition(".")
                if not scope.endswith("[]") or "." in scope or "[]" in scope[:-2]:
                    raise PlanError(
                        f"{self.entry.label}: {path} refers to an entity outside a top-level list"
                    )
                refs.setdefault(scope[:-2], []).append(name)
        if not refs:
            return None
        ids = [
            scrub.Target(path, True, None)
            for path, (unit, _, _) in self._unit_plans.items()
            if unit.info.value_kind == ValueKind.ENTITY_ID
        ]
        return _dangling_dropper(scrub.values_finder(ids), refs)

    def _scrub_targets(self) -> list[scrub.Target]:
        """Every string the partner may receive in clear, free text or not (codes and the
        structural fields aside): rule 11 scrubs them all of withheld values."""
        found: list[scrub.Target] = []
        for path, (unit, _, _) in self._unit_plans.items():
            info = unit.info
            if unit.record_unit or path in guardrails.STRUCTURAL_FIELDS:
                continue
            if info.value_kind in (None, ValueKind.CODE) or not leaf_type(self.entry, path).carries_text:
                continue
            transforms = tuple(c.transform for c in unit.rule.cases) if unit.rule is not None else ()
            produced = None if all(t.copies for t in transforms) else transformed_output(transforms)
            found.append(scrub.Target(path, "free_text" not in info.marks, produced, info.value_kind))
        return found

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
            cases: list[CompiledCase] = []
            branches: list[Branch] = []
            conditional = False
            for case in cases_src:
                fn = value_fn(
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
                collects = not case.transform.copies
                encrypts = case.transform.kind is TransformKind.ENCRYPT
                cases.append(CompiledCase(fn, cond, guard, collects, encrypts))
                if fn is not None:
                    branches.append(branch(case.transform, ltype, unit.info.schema))
            if len({repr(b) for b in branches}) > 1:
                # cases disagree on the output type (e.g. a date kept, or generalised to a year): the
                # field becomes a string, kept values written in their ISO/text form
                branches = [("string", ltype.kind == "array")]
                for compiled in cases:
                    if compiled.fn is not None and not compiled.collect:
                        compiled.fn = as_text(compiled.fn)
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
            withholds = self._instance_targets(unit.path) or may_withhold(cases_src, cases)
            is_array = ltype.kind == "array"
            leaf = OutLeaf(
                name=name_of(unit.path),
                path=unit.path,
                source_field=self._source_field(unit.path),
                branches=branches,
                nullable=(ltype.nullable or withholds) and not is_array,
                is_array=is_array,
                how=how,
                free_text="free_text" in unit.info.marks
                and all(c.transform.copies for c in cases_src if c.transform.releases),
                keep_default=all(c.transform.copies for c in cases_src if c.transform.releases),
            )
            self._unit_plans[unit.path] = (unit, cases, leaf)
            kinds = tuple(c.transform.kind.value for c in cases_src if c.transform.releases)
            decisions.append(
                FieldDecision(unit.path, True, how, None, rule.line if rule else None, withholds, kinds)
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

    def _build_tree(self, record: Any, base: str) -> OutRecord:
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
                child = self._build_tree(inner, fpath)
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
                child = self._build_tree(items, fpath + suffix)
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
        return only is not None and only.fn is keep and only.cond is None and only.guard is None

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

    def _compile(self, node_path: str, lines: list[str], namespace: dict[str, Any]) -> Builder:
        """Compile generated source (see :meth:`_builder`) into a builder function."""
        label = f"<plan {self.partner.id} {self.event_type} {node_path or 'root'}>"
        source = "\n".join(lines)
        exec(compile(source + "\n", label, "exec"), namespace)  # generated from schema names: see _literal
        self.generated_source[node_path] = source
        builder: Builder = namespace["build"]
        return builder

    def _guarded_keep(self, item: OutLeaf) -> str | None:
        """The guard kind of a leaf whose first case is an unconditional identity keep gated only by
        a guard rail (the common shape ``[keep, fallback...]``), else None."""
        first = self._unit_plans[item.path][1][0]
        if first.fn is keep and first.cond is None and first.guard is not None:
            return first.guard
        return None

    def _builder(self, node: OutRecord) -> Builder:
        """The function that builds one output instance of ``node`` from one input instance.

        Generated once per plan and record path, as straight-line Python: plain fields copied in
        one dict display, nested plain records inline, guarded identity fields copied in one
        block when their guard rail lets them through (else each falls back to its own cases),
        other fields through their compiled operations. Value-dependent marks are checked first;
        when one fires, the instance goes to the general (slower, fully checked) path.
        """
        plain_items: list[OutLeaf | OutChild] = []
        ops: list[tuple[str, LeafOp]] = []
        guarded: dict[str, list[tuple[str, LeafOp]]] = {}
        children: list[tuple[OutChild, Builder, bool]] = []
        for item in node.fields:
            if isinstance(item, OutLeaf):
                if self._is_plain_leaf(item):
                    plain_items.append(item)
                    continue
                op = self._leaf_op(item, self._unit_plans[item.path][1])
                guard = self._guarded_keep(item)
                if guard is not None:
                    guarded.setdefault(guard, []).append((item.name, op))
                else:
                    ops.append((item.name, op))
            elif self._is_plain_node(item.record):
                plain_items.append(item)
            elif self._needs_index(item) or item.container == "map":
                ops.append((item.name, self._child_op(item)))
            else:
                may_go = self._whole_instance_rules(item.record.source)
                children.append((item, self._builder(item.record), may_go))
        literal = self._literal(plain_items, "inst", [0])
        rules = self._instance_rules(node.source)
        is_pole = node.path in self._scopes and self._uses_pole_guard(node)
        namespace: dict[str, Any] = {"_W": WITHHELD}
        lines = ["def build(inst, ctx, block, scope):"]
        if is_pole:
            namespace["_pole"] = self._pole_block
            lines.append("    block = _pole(inst, ctx)")
        if rules:
            namespace["_slow"] = self._slow_builder(node, plain_items, ops, guarded, children, is_pole)
            for i, (decider, values, _, _) in enumerate(rules):
                namespace[f"_vals{i}"] = values
                lines.append(f"    if inst[{decider!r}] in _vals{i}:")
                lines.append("        return _slow(inst, ctx, block, scope)")
        lines.append(f"    out = {literal}")
        for i, (child, sub, may_go) in enumerate(children):
            namespace[f"_sub{i}"] = sub
            key = repr(child.name)
            if child.container == "array":
                call = f"_sub{i}(_x, ctx, block, _x)"
                expr = (
                    f"[_b for _x in inst[{key}] if (_b := {call}) is not _W]"
                    if may_go
                    else f"[{call} for _x in inst[{key}]]"
                )
            else:
                call = f"_sub{i}(_r, ctx, block, scope)"
                value = f"(None if (_b := {call}) is _W else _b)" if may_go else call
                expr = f"({value} if (_r := inst[{key}]) is not None else None)"
            lines.append(f"    out[{key}] = {expr}")
        guard_test = {
            "pole": "block is None",
            "victim": "ctx.victim_block is None",
            "event": "ctx.event_block is None",
        }
        n = 0
        for guard, members in guarded.items():
            lines.append(f"    if {guard_test[guard]}:")
            lines.extend(f"        out[{name!r}] = inst[{name!r}]" for name, _ in members)
            lines.append("    else:")
            for _, op in members:
                namespace[f"_g{n}"] = op
                lines.append(f"        _g{n}(inst, out, ctx, block, scope)")
                n += 1
        for i, (_, op) in enumerate(ops):
            namespace[f"_op{i}"] = op
            lines.append(f"    _op{i}(inst, out, ctx, block, scope)")
        lines.append("    return out")
        return self._compile(node.path, lines, namespace)

    def _needs_index(self, child: OutChild) -> bool:
        """True if an encrypted field lies under an array child (its AAD names the index)."""
        return (
            child.container == "array"
            and self._has_encrypt
            and any(
                is_under(p, child.path) and any(c.encrypts for c in cases)
                for p, (_, cases, _) in self._unit_plans.items()
            )
        )

    def _slow_builder(
        self,
        node: OutRecord,
        plain_items: list[OutLeaf | OutChild],
        ops: list[tuple[str, LeafOp]],
        guarded: dict[str, list[tuple[str, LeafOp]]],
        children: list[tuple[OutChild, Builder, bool]],
        is_pole: bool,
    ) -> Builder:
        """The fully checked builder for an instance whose value-dependent marks fire: withholds
        the whole instance, or builds it and withholds the marked fields (recording why and
        collecting their strings for rule 11)."""
        names = self.entry.names
        rules = self._instance_rules(node.source)
        record_def = node.source
        collectors: dict[str | None, collect.Collector | None] = {None: collect.collector(record_def, names)}
        for _, _, targets, _ in rules:
            for target in targets or ():
                field = next(f for f in record_def["fields"] if f["name"] == target)
                collectors[target] = collect.field_collector(field, names)
        empties: dict[str, Any] = {item.name: _empty(item) for item in node.fields}
        output_names = {item.name for item in node.fields}
        plain_part = self._compile(
            node.path + "#plain",
            ["def build(inst, ctx, block, scope):", f"    return {self._literal(plain_items, 'inst', [0])}"],
            {},
        )
        all_ops: list[tuple[str, LeafOp]] = [
            (name, op) for members in guarded.values() for name, op in members
        ]
        all_ops.extend((child.name, self._child_op(child)) for child, _, _ in children)
        all_ops.extend(ops)
        path = node.path
        pole_block = self._pole_block

        def build(inst: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]) -> Any:
            if is_pole:
                block = pole_block(inst, ctx)
            blocked: dict[str, str] = {}
            for decider, values, targets, rule_id in rules:
                if inst[decider] in values:
                    if targets is None:
                        ctx.withheld.append((path, rule_id))
                        whole = collectors[None]
                        if ctx.removed is not None and whole is not None:
                            whole(inst, ctx.removed)
                        return WITHHELD
                    for t in targets:
                        blocked.setdefault(t, rule_id)
            out = plain_part(inst, ctx, block, scope)
            for name, op in all_ops:
                if name not in blocked:
                    op(inst, out, ctx, block, scope)
            for name, rule_id in blocked.items():
                value = inst.get(name)
                if name in output_names:
                    out[name] = empties[name]
                    ctx.withheld.append((f"{path}.{name}" if path else name, rule_id))
                found = collectors.get(name)
                if value is not None and found is not None and ctx.removed is not None:
                    found(value, ctx.removed)
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

    def _pole_block(self, inst: dict[str, Any], ctx: Ctx) -> str | None:
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

    def _leaf_op(self, leaf: OutLeaf, cases: list[CompiledCase]) -> LeafOp:
        name, path = leaf.name, leaf.path
        empty: Any = [] if leaf.is_array else None
        unit = self._unit_plans[leaf.path][0]
        found = (
            collect.collector(unit.info.schema, self.entry.names, unit.info.value_kind)
            if unit.record_unit
            else collect.leaf_collector(unit.info.value_kind)
        )

        def gather(value: Any, ctx: Ctx) -> None:
            if ctx.removed is not None and found is not None:
                found(value, ctx.removed)

        only = cases[0] if len(cases) == 1 else None
        if only is not None and only.cond is None and only.guard is None and only.fn is not None:
            fn = only.fn
            collects = only.collect

            def transform_only(
                inst: dict[str, Any], out: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]
            ) -> None:
                value = inst[name]
                if value is None:
                    out[name] = None
                    return
                out[name] = fn(value, ctx)
                if collects:
                    gather(value, ctx)

            return transform_only

        first = cases[0]
        if first.fn is not None and first.cond is None and first.guard is not None and not first.collect:
            keep_fn = first.fn
            guard = first.guard
            rest = general_op(name, path, empty, cases, gather)

            def guarded(
                inst: dict[str, Any], out: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]
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
        return general_op(name, path, empty, cases, gather)

    def _child_op(self, child: OutChild) -> LeafOp:
        name = child.name
        sub = self._builder(child.record)
        if child.container == "record":

            def record_op(
                inst: dict[str, Any], out: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]
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
                inst: dict[str, Any], out: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]
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
                inst: dict[str, Any], out: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]
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
            inst: dict[str, Any], out: dict[str, Any], ctx: Ctx, block: str | None, scope: dict[str, Any]
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
        record_scrub = scrub.RecordScrub()
        decision = self.decide(record, self._facts(record), day or date.today(), record_scrub)
        record_scrub.run()
        return decision

    def decide(
        self, record: dict[str, Any], facts: EventFacts, day: date, record_scrub: scrub.RecordScrub
    ) -> Delivery | Denial:
        """:meth:`apply` for the engine, which reads the facts once per record and has every
        partner's delivery scrubbed together: a delivery's strings are scrubbed (rule 11) only
        when the caller runs ``record_scrub``."""
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
        envelope = record["envelope"]
        review = self._review_date(envelope)
        if review <= day:
            return self._denial(
                guardrails.R12_REVIEW_PASSED,
                f"the record's review date {review.isoformat()} under {self.agreement.label} is not after "
                f"{day.isoformat()}: {pid} must delete it by then, so it is not sent",
            )
        ctx = Ctx(record, facts, [] if self._scrub else None)
        if self._needs_victim:
            ctx.victim_block = self._victim_block(facts)
        if self._needs_event and facts.child and not self._child_ok:
            ctx.event_block = guardrails.R7_CHILD_IDENTITY
        out = self._root_build(record, ctx, None, record)
        if out is WITHHELD:  # cannot happen for a top-level record; kept as a hard stop
            raise PlanError(f"{self.event_type} root record withheld for {pid}")
        if self._dangling is not None:
            self._dangling(out, ctx)
        scrubbed: scrub.Counts = {}
        removed = ctx.removed
        if removed is not None:
            if self._collect_static is not None:
                self._collect_static(record, removed)
            if removed or self._has_encrypt:  # sealed values wait for the scrub: always deferred
                scrubbed = record_scrub.defer(
                    out, removed, self._finders, self._targets, seals=self._has_encrypt
                )
        out["sharing"] = {
            "agreement_id": self._agreement_id,
            "agreement_version": self._agreement_version,
            "partner": pid,
            "purposes": list(self._purposes),
            "onward_sharing_permitted": facts.onward_ok,
            "restrictions": list(facts.restrictions),
        }
        released, withheld = self.released, self.withheld
        if ctx.withheld:  # values withheld by this record's own facts, on top of the plan's
            dynamic = tuple(dict.fromkeys(ctx.withheld))
            released, withheld = self._released_without(dynamic), withheld + dynamic
        return Delivery(
            pid,
            self._topic,
            self._agreement_id,
            self._agreement_version,
            out,
            self.schema_name,
            self.fingerprint,
            released,
            withheld,
            self.record_key(envelope, facts.event_id),
            scrubbed,
        )

    def _review_date(self, envelope: Mapping[str, Any]) -> date:
        """The review (delete) date the partner is given: the event's, capped by the agreement's
        retention (rule 12)."""
        review: date = envelope["review_date"]
        if self._review_cap is not None:
            limit: date = envelope["recorded_at"].date() + self._review_cap
            if limit < review:
                return limit
        return review

    def record_key(self, envelope: Mapping[str, Any], event_id: str | None = None) -> bytes:
        """The Kafka key of this partner's record: its own pseudonym of the case id (so a case's
        records stay in order on one partition and no partner sees another's key or the case id
        it may not receive), or the event id (``event_id``, its text when the caller has it),
        which every partner receives, when there is no case."""
        case = envelope.get("case_id")
        if not case:
            return (event_id or str(envelope["event_id"])).encode()
        key = self._case_keys.get(case)
        if key is None:
            if len(self._case_keys) >= _CASE_KEY_CACHE:
                self._case_keys.clear()
            key = self._case_keys[case] = self._case_token(case).encode()
        return key

    def _restricted(self, facts: EventFacts) -> Denial | None:
        """Rule 3: a restrictive handling code lets the record go only to its named recipients,
        for the purposes named in its conditions."""
        assert facts.restricted is not None
        rule_id, text = facts.restricted
        if self._pid not in facts.recipients:
            denial = self._not_recipient.get(facts.restricted)
            if denial is None:
                denial = self._denial(rule_id, f"{text}; {self._pid} is not a named recipient")
                self._not_recipient[facts.restricted] = denial
            return denial
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


def _dangling_dropper(
    released_ids: Callable[[dict[str, Any]], list[Any]], refs: dict[str, list[str]]
) -> Callable[[dict[str, Any], Ctx], None]:
    """Generate the function dropping, from each top-level list of ``refs``, the items whose
    reference fields name an entity id the output does not hold (see
    :meth:`Plan._dangling_references`); it returns at once when every such list is empty."""
    lines = ["def drop(out, ctx):"]
    lines.append("    if " + " and ".join(f"not out.get({items!r})" for items in refs) + ":")
    lines.append("        return")
    lines.append("    released = set(_ids(out))")
    for items, names in refs.items():
        test = " and ".join(f"_x.get({name!r}) in released" for name in names)
        lines += [
            f"    listed = out.get({items!r}) or []",
            f"    kept = [_x for _x in listed if {test}]",
            "    if len(kept) < len(listed):",
            f"        out[{items!r}] = kept",
            f"        ctx.withheld.append(({items + '[]'!r}, _RULE))",
        ]
    namespace: dict[str, Any] = {"_ids": released_ids, "_RULE": guardrails.R1_DEFAULT_DENY}
    exec(compile("\n".join(lines) + "\n", "<dangling references>", "exec"), namespace)  # schema names
    dropper: Callable[[dict[str, Any], Ctx], None] = namespace["drop"]
    return dropper


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
