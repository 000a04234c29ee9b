"""Data-sharing agreements: the model, the file format, and loading with full validation.

One YAML file per partner relationship under ``policies/agreements/``. The format, with every
key (unknown keys are errors, so a typo never silently becomes a default)::

    id: isa.nca.ukhtc                      # unique across files
    version: 3                             # integer; bump on every change (the audit records it)
    title: Operation Pentameter to NCA UKHTC
    partner: nca.ukhtc                     # a partner in the registry
    parties:
      providers: all                       # or a list of agency ids whose events it covers
      recipient: nca.ukhtc                 # must equal partner
    purposes: [PREVENTION_AND_DETECTION_OF_CRIME, ...]   # SharingPurpose symbols
    regime: DPA2018_PART3                  # or UK_GDPR; must match the partner's regime
    lawful_basis:
      law_enforcement: DPA 2018 s.35 ...   # required under Part 3
      sensitive_processing: Sch 8 para 4   # Part 3 condition for special category fields
      article_6: 6(1)(e) public task       # required under UK GDPR
      article_9: 9(2)(g) + Sch 1 para 18   # UK GDPR condition for special category fields
      article_10: Sch 1 para 10            # UK GDPR condition for criminal offence data
    valid_from: 2025-04-01
    valid_to: 2027-03-31
    retention:
      review: MoPI group 2, review at 10 years
      max_days: 3650                       # optional: review date at most this long after recording
    onward_sharing: none without the originator's written consent
    security: ...                          # optional free text (also subject_access, breach, notes)
    events:
      IntelligenceReport:
        purposes: [...]                    # optional subset of the agreement's purposes
        when: <condition>                  # optional, see policies.conditions
        fields:
          envelope: keep                   # a record path: every field under it
          envelope.occurred_at: {transform: generalise, to: month}   # the longest path wins
          people[].name:                   # cases: the first whose condition holds applies
            - {transform: keep, when: {field: people[].role, in: [SUSPECT, ASSOCIATE]}}
            - {transform: pseudonymise, normalise: name}

Anything not named is not shared (rule 1). See :mod:`policies.transforms` for transforms and
:mod:`policies.guardrails` for what no agreement can release.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from policies import conditions, guardrails
from policies.conditions import Condition
from policies.exceptions import AgreementError, GuardRailViolation, Problem
from policies.paths import is_under, scope_of
from policies.pseudonyms import RECORD_NORMALISERS
from policies.registry import Partner, Regime, Registry
from policies.schemainfo import LeafType, find, leaf_type
from policies.transforms import (
    AGE_LEVELS,
    DATE_LEVELS,
    POSTCODE_LEVELS,
    Exposure,
    Transform,
    TransformKind,
    check_params,
)
from policies.yamlsource import LineDict, LineList, YamlSourceError, line_of, load
from schemas.catalogue import Catalogue
from schemas.entry import SchemaEntry
from schemas.fields import FieldInfo

DEFAULT_AGREEMENTS = Path(str(resources.files("policies") / "agreements"))
"""The baseline agreements shipped with the package."""

SHARING_PURPOSES = (
    "PREVENTION_AND_DETECTION_OF_CRIME",
    "SAFEGUARDING",
    "VICTIM_IDENTIFICATION_AND_SUPPORT",
    "NRM_DECISION_MAKING",
    "PROSECUTION",
    "INTELLIGENCE_DEVELOPMENT",
    "ASSET_RECOVERY",
    "STATISTICS",
)
"""Fallback list of SharingPurpose symbols (the catalogue's enum is used when present)."""

_REQUIRED = (
    "id",
    "version",
    "title",
    "partner",
    "parties",
    "purposes",
    "regime",
    "lawful_basis",
    "valid_from",
    "valid_to",
    "retention",
    "onward_sharing",
    "events",
)
_TOP_KEYS = {*_REQUIRED, "security", "subject_access", "breach", "notes"}
_BASIS_KEYS = {"law_enforcement", "sensitive_processing", "article_6", "article_9", "article_10"}
_EVENT_KEYS = {"purposes", "when", "fields", "notes"}
_CASE_KEYS = {"transform", "when", "keep_last", "to", "normalise", "notes"}


@dataclass(frozen=True)
class Case:
    """One way a field may be released, tried in order: ``transform`` when ``when`` holds."""

    transform: Transform
    when: Condition | None
    line: int

    def describe(self) -> str:
        """``pseudonymise(phone)`` or ``keep when consent in [GIVEN]``."""
        text = self.transform.describe()
        return f"{text} when {conditions.describe(self.when)}" if self.when is not None else text


@dataclass(frozen=True)
class FieldRule:
    """What an agreement says about one field path (a leaf, or a record and all under it)."""

    path: str
    cases: tuple[Case, ...]
    line: int

    def describe(self) -> str:
        """All cases, ``; otherwise`` between them."""
        text = "; otherwise ".join(c.describe() for c in self.cases)
        if self.cases and self.cases[-1].when is not None:
            text += "; otherwise withheld"
        return text


@dataclass(frozen=True)
class EventRule:
    """What an agreement releases of one event type."""

    event_type: str
    purposes: frozenset[str]
    when: Condition | None
    fields: Mapping[str, FieldRule]
    line: int


@dataclass(frozen=True)
class LawfulBasis:
    """The lawful basis as recorded in the agreement (free text citing the provisions)."""

    law_enforcement: str | None = None
    sensitive_processing: str | None = None
    article_6: str | None = None
    article_9: str | None = None
    article_10: str | None = None

    @property
    def special_category_condition(self) -> str | None:
        """The recorded condition for special category data, under either regime."""
        return self.sensitive_processing or self.article_9


@dataclass(frozen=True)
class Agreement:
    """One validated agreement (see the module doc for the file format)."""

    id: str
    version: int
    title: str
    partner: str
    providers: frozenset[str] | None
    purposes: frozenset[str]
    regime: Regime
    lawful_basis: LawfulBasis
    valid_from: date
    valid_to: date
    retention: str
    retention_max_days: int | None
    onward_sharing: str
    events: Mapping[str, EventRule]
    file: str
    line: int
    notes: Mapping[str, str] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    """Line of each top-level key in the file (for error messages)."""

    def line_of(self, key: str) -> int:
        """Line where top-level ``key`` was written (the agreement's first line otherwise)."""
        return self.lines.get(key, self.line)

    @property
    def label(self) -> str:
        """``isa.nca.ukhtc v3``."""
        return f"{self.id} v{self.version}"

    def in_force(self, day: date) -> bool:
        """True on the days from valid_from to valid_to inclusive."""
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class Unit:
    """One output decision of a plan: a leaf field, or a record released as one value (a
    pseudonymised address). ``rule`` is None for a field the agreement does not name."""

    path: str
    info: FieldInfo
    rule: FieldRule | None
    record_unit: bool


def record_units(rule: EventRule) -> frozenset[str]:
    """Paths released as one value (a record pseudonymised whole)."""
    return frozenset(
        r.path
        for r in rule.fields.values()
        if any(c.transform.params.get("normalise") in RECORD_NORMALISERS for c in r.cases)
    )


def resolve_units(rule: EventRule | None, entry: SchemaEntry) -> list[Unit]:
    """Every output decision for ``entry`` in schema order: each leaf with the rule that governs
    it (the longest named path it lies under; for free text only a rule naming it), record units
    instead of their leaves."""
    fields = dict(rule.fields) if rule is not None else {}
    whole = record_units(rule) if rule is not None else frozenset()
    units: list[Unit] = []
    for info in entry.all_fields:
        if info.path in whole:
            units.append(Unit(info.path, info, fields[info.path], True))
            continue
        if not info.is_leaf or any(is_under(info.path, w) for w in whole):
            continue
        governing = None
        if "free_text" in info.marks:  # free text is released only where it is named itself
            governing = fields.get(info.path)
        else:
            for path, field_rule in fields.items():
                if is_under(info.path, path) and (governing is None or len(path) > len(governing.path)):
                    governing = field_rule
        units.append(Unit(info.path, info, governing, False))
    return units


# -- parsing one file ---------------------------------------------------------------------------


class _Reporter:
    """Collects problems for one agreement file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.agreement = "?"
        self.problems: list[Problem] = []

    def error(self, line: int, message: str, rule_id: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, self.agreement, message, rule_id))


def _text(doc: LineDict, key: str, rep: _Reporter, required: bool = True) -> str | None:
    value = doc.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        rep.error(doc.line_of(key), f"{key!r} must be a non-empty string")
        return None
    return value


def _purposes(value: Any, line: int, known: frozenset[str], rep: _Reporter) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        rep.error(line, "purposes must be a non-empty list of SharingPurpose symbols")
        return frozenset()
    bad = [v for v in value if v not in known]
    if bad:
        rep.error(line, f"unknown purpose(s) {bad} (known: {', '.join(sorted(known))})")
    return frozenset(v for v in value if v in known)


def _parse_case(value: Any, line: int, rep: _Reporter) -> Case | None:
    if isinstance(value, str):
        value_map: dict[str, Any] = {"transform": value}
        at = line
        lines: Callable[[str], int] = lambda key: line  # noqa: E731
    elif isinstance(value, LineDict):
        value_map = dict(value)
        at = value.line
        lines = value.line_of
    else:
        rep.error(line, f"a field rule is a transform name, a mapping or a list of cases, got {value!r}")
        return None
    extra = sorted(set(value_map) - _CASE_KEYS)
    if extra:
        rep.error(
            lines(extra[0]), f"unrecognised key(s) {extra} in a field rule (known: {sorted(_CASE_KEYS)})"
        )
        return None
    name = value_map.get("transform")
    try:
        kind = TransformKind(str(name))
    except ValueError:
        known = ", ".join(k.value for k in TransformKind)
        rep.error(lines("transform"), f"unknown transform {name!r} (known: {known})")
        return None
    params = {k: v for k, v in value_map.items() if k in ("keep_last", "to", "normalise")}
    problems = check_params(kind, params)
    if kind is TransformKind.GENERALISE and "to" not in params and not problems:
        problems.append("generalise needs 'to'")
    for problem in problems:
        rep.error(at, problem)
    if problems:
        return None
    when = None
    if "when" in value_map:
        when = conditions.parse(value_map["when"], lines("when"), rep.error)
        if when is None:
            return None
    return Case(Transform(kind, MappingProxyType(params)), when, at)


def _parse_field_rule(path: str, value: Any, line: int, rep: _Reporter) -> FieldRule | None:
    items: list[Any] = value if isinstance(value, list) else [value]
    if not items:
        rep.error(line, f"{path}: an empty list of cases (use 'drop' to withhold on purpose)")
        return None
    cases = []
    for i, item in enumerate(items):
        at = items.line_of(i) if isinstance(items, LineList) else line
        case = _parse_case(item, at, rep)
        if case is None:
            return None
        cases.append(case)
    for i, case in enumerate(cases[:-1]):
        if case.when is None and case.transform.exposure is not Exposure.CLEAR:
            rep.error(
                cases[i + 1].line,
                f"{path}: this case is never reached: the case before it has no "
                "condition (only a release in clear can be stopped by a guard rail "
                "and fall through to the next case)",
            )
            return None
    return FieldRule(path, tuple(cases), line)


def _parse_event(
    name: str, value: Any, line: int, purposes: frozenset[str], rep: _Reporter
) -> EventRule | None:
    if not isinstance(value, LineDict):
        rep.error(line, f"events.{name} must be a mapping with 'fields'")
        return None
    extra = sorted(set(value) - _EVENT_KEYS)
    if extra:
        rep.error(
            value.line_of(extra[0]),
            f"unrecognised key(s) {extra} in events.{name} (known: {sorted(_EVENT_KEYS)})",
        )
    event_purposes = purposes
    if "purposes" in value:
        event_purposes = _purposes(value["purposes"], value.line_of("purposes"), purposes, rep)
    when = None
    if "when" in value:
        when = conditions.parse(value["when"], value.line_of("when"), rep.error)
    fields_value = value.get("fields")
    if not isinstance(fields_value, LineDict) or not fields_value:
        rep.error(
            value.line_of("fields"), f"events.{name}.fields must be a non-empty mapping of field path -> rule"
        )
        return None
    rules: dict[str, FieldRule] = {}
    for path, rule_value in fields_value.items():
        rule = _parse_field_rule(path, rule_value, fields_value.line_of(path), rep)
        if rule is not None:
            rules[path] = rule
    return EventRule(name, event_purposes, when, MappingProxyType(rules), line)


def parse_agreement(
    doc: Any, file: str, known_purposes: Iterable[str] = SHARING_PURPOSES
) -> tuple[Agreement | None, list[Problem]]:
    """Parse one loaded agreement document (structure only; see :func:`validate_agreement`)."""
    rep = _Reporter(file)
    if not isinstance(doc, LineDict):
        rep.error(line_of(doc, 1), "an agreement file must be a mapping (see policies/agreements.py)")
        return None, rep.problems
    ident = doc.get("id")
    if isinstance(ident, str) and ident.strip():
        rep.agreement = ident
    version = doc.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        rep.agreement = f"{rep.agreement} v{version}"
    extra = sorted(set(doc) - _TOP_KEYS)
    for key in extra:
        rep.error(doc.line_of(key), f"unrecognised key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    for key in _REQUIRED:
        if key not in doc:
            rep.error(doc.line, f"missing required key {key!r}")
    if rep.problems:
        return None, rep.problems
    _text(doc, "id", rep)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        rep.error(doc.line_of("version"), f"version must be a positive integer, got {version!r}")
    title = _text(doc, "title", rep)
    partner = _text(doc, "partner", rep)
    purposes = _purposes(doc["purposes"], doc.line_of("purposes"), frozenset(known_purposes), rep)
    regime_text = doc.get("regime")
    regime = Regime.DPA2018_PART3
    try:
        regime = Regime(str(regime_text))
    except ValueError:
        rep.error(
            doc.line_of("regime"),
            f"unknown regime {regime_text!r} (known: {', '.join(r.value for r in Regime)})",
        )
    basis = _parse_basis(doc, regime, rep)
    providers, recipient = _parse_parties(doc, rep)
    if partner is not None and recipient is not None and recipient != partner:
        rep.error(
            doc["parties"].line_of("recipient"),
            f"parties.recipient {recipient!r} must be the partner {partner!r}",
        )
    valid_from, valid_to = doc.get("valid_from"), doc.get("valid_to")
    for key, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        if not isinstance(value, date) or isinstance(value, datetime):  # a time cannot compare to a date
            rep.error(doc.line_of(key), f"{key} must be a date written YYYY-MM-DD, got {value!r}")
    if type(valid_from) is date and type(valid_to) is date and valid_from > valid_to:
        rep.error(doc.line_of("valid_to"), f"valid_to {valid_to} is before valid_from {valid_from}")
    retention, max_days = _parse_retention(doc, rep)
    onward = _text(doc, "onward_sharing", rep)
    events_value = doc["events"]
    events: dict[str, EventRule] = {}
    if not isinstance(events_value, LineDict) or not events_value:
        rep.error(doc.line_of("events"), "events must be a mapping of event type -> what is released")
    else:
        for name, value in events_value.items():
            rule = _parse_event(name, value, events_value.line_of(name), purposes, rep)
            if rule is not None:
                events[name] = rule
    notes = {k: str(doc[k]) for k in ("security", "subject_access", "breach", "notes") if k in doc}
    if rep.problems:
        return None, rep.problems
    assert title is not None and partner is not None and onward is not None
    assert isinstance(valid_from, date) and isinstance(valid_to, date) and isinstance(version, int)
    agreement = Agreement(
        id=str(ident),
        version=version,
        title=title,
        partner=partner,
        providers=providers,
        purposes=purposes,
        regime=regime,
        lawful_basis=basis,
        valid_from=valid_from,
        valid_to=valid_to,
        retention=retention or "",
        retention_max_days=max_days,
        onward_sharing=onward,
        events=MappingProxyType(events),
        file=file,
        line=doc.line,
        notes=MappingProxyType(notes),
        lines=MappingProxyType(dict(doc.key_lines)),
    )
    return agreement, []


def _parse_basis(doc: LineDict, regime: Regime, rep: _Reporter) -> LawfulBasis:
    value = doc["lawful_basis"]
    if not isinstance(value, LineDict):
        rep.error(doc.line_of("lawful_basis"), "lawful_basis must be a mapping")
        return LawfulBasis()
    extra = sorted(set(value) - _BASIS_KEYS)
    if extra:
        rep.error(
            value.line_of(extra[0]),
            f"unrecognised lawful_basis key(s) {extra} (known: {sorted(_BASIS_KEYS)})",
        )
    texts = {k: _text(value, k, rep, required=False) for k in _BASIS_KEYS}
    if regime is Regime.DPA2018_PART3:
        if not texts["law_enforcement"]:
            rep.error(
                doc.line_of("lawful_basis"), "a DPA 2018 Part 3 agreement needs lawful_basis.law_enforcement"
            )
        for key in ("article_6", "article_9", "article_10"):
            if texts[key]:
                rep.error(
                    value.line_of(key), f"{key} is a UK GDPR basis; this agreement is under DPA 2018 Part 3"
                )
    else:
        if not texts["article_6"]:
            rep.error(doc.line_of("lawful_basis"), "a UK GDPR agreement needs lawful_basis.article_6")
        for key in ("law_enforcement", "sensitive_processing"):
            if texts[key]:
                rep.error(
                    value.line_of(key), f"{key} is a DPA 2018 Part 3 basis; this agreement is under UK GDPR"
                )
    return LawfulBasis(**texts)


def _parse_parties(doc: LineDict, rep: _Reporter) -> tuple[frozenset[str] | None, str | None]:
    value = doc["parties"]
    if not isinstance(value, LineDict):
        rep.error(doc.line_of("parties"), "parties must be a mapping with providers and recipient")
        return None, None
    extra = sorted(set(value) - {"providers", "recipient"})
    if extra:
        rep.error(
            value.line_of(extra[0]), f"unrecognised parties key(s) {extra} (known: providers, recipient)"
        )
    providers = value.get("providers")
    result: frozenset[str] | None = None
    if providers != "all":
        if not isinstance(providers, list) or not providers or not all(isinstance(p, str) for p in providers):
            rep.error(value.line_of("providers"), "parties.providers must be 'all' or a list of agency ids")
        else:
            result = frozenset(providers)
    recipient = _text(value, "recipient", rep)
    return result, recipient


def _parse_retention(doc: LineDict, rep: _Reporter) -> tuple[str | None, int | None]:
    value = doc["retention"]
    if not isinstance(value, LineDict):
        rep.error(
            doc.line_of("retention"), "retention must be a mapping with 'review' (and optional 'max_days')"
        )
        return None, None
    extra = sorted(set(value) - {"review", "max_days"})
    if extra:
        rep.error(value.line_of(extra[0]), f"unrecognised retention key(s) {extra} (known: review, max_days)")
    review = _text(value, "review", rep)
    max_days = value.get("max_days")
    if max_days is not None and (not isinstance(max_days, int) or isinstance(max_days, bool) or max_days < 1):
        rep.error(
            value.line_of("max_days"), f"retention.max_days must be a positive integer, got {max_days!r}"
        )
        max_days = None
    return review, max_days


# -- validating against the catalogue, the registry and the guard rails ------------------------


def _applicable(transform: Transform, ltype: LeafType, record_name: str | None) -> str | None:
    """Why ``transform`` cannot apply to a field of this type (None when it can)."""
    kind = transform.kind
    if kind is TransformKind.SCRUB and record_name is not None:
        return "scrub applies to a free-text field, not a whole record"
    if kind in (TransformKind.KEEP, TransformKind.SCRUB, TransformKind.DROP):
        return None
    if record_name is not None:
        norm = transform.params.get("normalise")
        if kind is TransformKind.PSEUDONYMISE and norm in RECORD_NORMALISERS:
            expected = "." + str(norm).capitalize()
            if record_name.endswith(expected):
                return None
            return f"normaliser {norm!r} applies to {expected[1:]} records, not {record_name}"
        return (
            "only keep and drop apply to a whole record (or pseudonymise with a record normaliser); "
            "name its fields"
        )
    if kind is TransformKind.PSEUDONYMISE and transform.params.get("normalise") in RECORD_NORMALISERS:
        norm = transform.params["normalise"]
        return f"normaliser {norm!r} applies to a whole record, not a {ltype.describe()}"
    if kind in (TransformKind.MASK, TransformKind.PSEUDONYMISE, TransformKind.ENCRYPT):
        return None if ltype.carries_text else f"{kind.value} applies to strings, not {ltype.describe()}"
    level = transform.params["to"]
    if level in DATE_LEVELS:
        return (
            None if ltype.is_datelike else f"generalise to {level} applies to dates, not {ltype.describe()}"
        )
    if level in AGE_LEVELS:
        ok = ltype.kind == "int" and ltype.logical is None
        return None if ok else f"generalise to {level} applies to an age in years, not {ltype.describe()}"
    if level in POSTCODE_LEVELS:
        return (
            None
            if ltype.is_string
            else f"generalise to {level} applies to a postcode string, not {ltype.describe()}"
        )
    return f"unknown generalisation {level!r}"


def _output_kind(transform: Transform, ltype: LeafType) -> str:
    base = {"keep": ltype.describe(), "scrub": ltype.describe(), "encrypt": "bytes"}.get(
        transform.kind.value, "string"
    )
    if ltype.kind == "array" and not transform.copies:
        return f"array<{base}>"
    return base


def validate_agreement(
    agreement: Agreement, catalogue: Catalogue, registry: Registry, known_events: Iterable[str]
) -> list[Problem]:
    """Every problem of a parsed agreement against the catalogue, the registry and the guard
    rails (guard-rail problems carry their rule id)."""
    problems: list[Problem] = []

    def error(line: int, message: str, rule_id: str | None = None) -> None:
        problems.append(Problem(agreement.file, line, agreement.label, message, rule_id))

    partner = registry.partners.get(agreement.partner)
    if partner is None:
        error(
            agreement.line_of("partner"),
            f"unknown partner {agreement.partner!r} (registry lists: {', '.join(registry.partners)})",
        )
        return problems
    if agreement.regime is not partner.regime:
        error(
            agreement.line_of("regime"),
            f"regime {agreement.regime.value} does not match {partner.id}'s registry regime "
            f"{partner.regime.value}",
        )
    for provider in sorted(agreement.providers or ()):
        if provider not in registry.agencies:
            error(agreement.line_of("parties"), f"provider {provider!r} is not an agency in the registry")
    events = set(known_events)
    for name, rule in agreement.events.items():
        if name not in events:
            error(rule.line, f"unknown event type {name!r} (known: {', '.join(sorted(events))})")
            continue
        problems.extend(_validate_event(agreement, partner, rule, catalogue.latest(name)))
    return problems


def _validate_event(
    agreement: Agreement, partner: Partner, rule: EventRule, entry: SchemaEntry
) -> list[Problem]:
    problems: list[Problem] = []

    def error(line: int, message: str, rule_id: str | None = None) -> None:
        problems.append(Problem(agreement.file, line, agreement.label, message, rule_id))

    violation = guardrails.event_violation(partner, entry)
    if violation is not None:
        error(rule.line, violation[1], violation[0])
        return problems
    if rule.when is not None:
        conditions.check(rule.when, entry, "", lambda line, msg: error(line, f"{entry.name}: {msg}"))
    whole = record_units(rule)
    for path, field_rule in rule.fields.items():
        info = find(entry, path)
        if info is None:
            error(field_rule.line, f"{entry.name} has no field {path!r}")
            continue
        for other in whole:
            if other != path and is_under(path, other):
                error(
                    field_rule.line,
                    f"{path} lies inside {other}, which is released as one pseudonymised value",
                )
        context = scope_of(path if info.is_leaf else path + ".x")
        for case in field_rule.cases:
            if case.when is not None:
                conditions.check(case.when, entry, context, _prefixed(error, path))
    if problems:
        return problems
    scopes = guardrails.pole_scopes(entry)
    basis = agreement.lawful_basis
    for unit in resolve_units(rule, entry):
        if unit.rule is None:
            continue
        outputs = {
            _output_kind(c.transform, leaf_type(entry, unit.path))
            for c in unit.rule.cases
            if c.transform.releases
        }
        if len(outputs) > 1 and any(o.startswith("array") for o in outputs):
            error(
                unit.rule.line,
                f"{unit.path}: its cases give different list types ({', '.join(sorted(outputs))}); "
                "a list field must have one output type",
            )
        record_name = None
        if unit.record_unit:
            record_name = leaf_type(entry, unit.path).named
        for case in unit.rule.cases:
            why = _applicable(case.transform, leaf_type(entry, unit.path), record_name) or _free_text_rule(
                unit.info, case.transform.kind
            )
            if why is not None:
                error(case.line, f"{unit.path}: {why}")
                continue
            if not guardrails.structural_ok(unit.path, case.transform.kind is TransformKind.KEEP) and (
                case.transform.releases
            ):
                error(
                    case.line,
                    f"{unit.path} is carried unchanged by every delivery: only 'keep' may name it",
                    guardrails.STRUCTURAL_FIELDS[unit.path],
                )
            if unit.path in guardrails.STRUCTURAL_FIELDS and case.transform.kind is TransformKind.DROP:
                error(
                    case.line,
                    f"{unit.path} is carried by every delivery and cannot be dropped",
                    guardrails.STRUCTURAL_FIELDS[unit.path],
                )
            leaf_infos = (
                [unit.info]
                if not unit.record_unit
                else [f for f in entry.leaf_fields if is_under(f.path, unit.path)]
            )
            for info in leaf_infos:
                for rule_id, reason in guardrails.field_violations(
                    partner,
                    entry,
                    info,
                    case.transform.exposure,
                    special_condition=basis.special_category_condition is not None,
                    article_10=basis.article_10 is not None,
                    uk_gdpr=agreement.regime is Regime.UK_GDPR,
                    scopes=scopes,
                ):
                    error(case.line, f"{entry.name}: {reason}", rule_id)
    return _dedupe(problems)


def _free_text_rule(info: FieldInfo, kind: TransformKind) -> str | None:
    """Free text goes out only as ``scrub`` (named by its own path: a record kept whole does not
    release the free text inside it), and ``scrub`` only names free text."""
    free = "free_text" in info.marks
    if free and kind not in (TransformKind.SCRUB, TransformKind.DROP):
        return (
            "free text is released only with 'scrub' (every value the partner does not receive in "
            "clear is removed from it, rule 11) or dropped"
        )
    if not free and kind is TransformKind.SCRUB:
        return "scrub names free text only (every other string a partner receives is scrubbed anyway)"
    return None


def _prefixed(error: Callable[..., None], prefix: str) -> Callable[[int, str], None]:
    return lambda line, message: error(line, f"{prefix}: {message}")


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _purposes_of(catalogue: Catalogue) -> frozenset[str]:
    for entry in catalogue:
        for name, node in entry.names.items():
            if name.endswith(".SharingPurpose") and node.get("type") == "enum":
                return frozenset(node["symbols"])
    return frozenset(SHARING_PURPOSES)


def _overlaps(a: Agreement, b: Agreement) -> bool:
    return a.valid_from <= b.valid_to and b.valid_from <= a.valid_to


def load_agreements(
    catalogue: Catalogue, registry: Registry, directory: Path | None = None
) -> tuple[Agreement, ...]:
    """Load, parse and validate every ``*.yaml`` agreement in ``directory`` (default: the
    baseline). Raises AgreementError (GuardRailViolation when every problem is a guard rail's)
    listing every problem of every file."""
    root = directory or DEFAULT_AGREEMENTS
    if not root.is_dir():
        raise AgreementError([Problem(str(root), 1, "-", "agreements directory does not exist")])
    files = sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
    problems: list[Problem] = []
    agreements: list[Agreement] = []
    purposes = _purposes_of(catalogue)
    events = catalogue.event_types()
    for path in files:
        try:
            doc = load(path)
        except YamlSourceError as exc:
            problems.append(Problem(exc.file, exc.line, "?", exc.message))
            continue
        agreement, found = parse_agreement(doc, str(path), purposes)
        problems.extend(found)
        if agreement is None:
            continue
        found = validate_agreement(agreement, catalogue, registry, events)
        problems.extend(found)
        if not found:
            agreements.append(agreement)
    problems.extend(_check_set(agreements))
    if problems:
        if all(p.rule_id for p in problems):
            raise GuardRailViolation(problems)
        raise AgreementError(problems)
    return tuple(agreements)


def _check_set(agreements: list[Agreement]) -> list[Problem]:
    """Problems between agreements: duplicate ids, two agreements for one partner and event type
    in force on the same day."""
    problems: list[Problem] = []
    by_id: dict[str, Agreement] = {}
    for a in agreements:
        if a.id in by_id:
            first = by_id[a.id]
            problems.append(
                Problem(a.file, a.line, a.label, f"id {a.id!r} is also used by {first.file}:{first.line}")
            )
        else:
            by_id[a.id] = a
    for i, a in enumerate(agreements):
        for b in agreements[i + 1 :]:
            if a.partner != b.partner or not _overlaps(a, b):
                continue
            for name in sorted(set(a.events) & set(b.events)):
                problems.append(
                    Problem(
                        b.file,
                        b.events[name].line,
                        b.label,
                        f"{name} for {b.partner} is also covered by {a.label} "
                        f"({a.file}:{a.events[name].line}) over overlapping dates: exactly one agreement "
                        "may decide each partner and event type",
                    )
                )
    return problems
