"""The policy engine: the one object the router holds.

::

    engine = PolicyEngine.load(catalogue, secrets=PseudonymSecrets.from_env(),
                               encryptor=X25519FieldEncryptor(keystore.partner_public_key))
    routing = engine.route("NRMReferral", record)    # a delivery or a denial for every partner

Loading validates the registry and every agreement against the catalogue and the guard rails
(any problem stops the load, naming file, line and agreement), compiles one :class:`Plan` per
(event type, partner, agreement), registers each plan's projection schema in the catalogue, and
probes the child routes (rule 7). Routing reads the event's facts once and asks each partner's
plan for a decision; partners with no plan get a ``R1-default-deny`` denial, so the audit trail
can record a decision for every partner (rule 10). Revoked partners (``revoked=``, given by the
runtime from its revocation store) are denied everything with ``R1-revoked``, whatever their
agreement says; with ``revoked_source`` (a cheap callable the runtime backs with its store)
routing notices a revocation made while it runs and denies from then on.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from policies import guardrails
from policies.agreements import Agreement, load_agreements
from policies.compiler import Plan
from policies.crypto import FieldEncryptor
from policies.exceptions import AgreementError, Problem
from policies.facts import EventFacts, facts_reader
from policies.pseudonyms import PseudonymSecrets
from policies.registry import Partner, PartnerKind, Registry, load_registry
from policies.results import Delivery, Denial, Routing
from policies.scrub import RecordScrub
from schemas.catalogue import Catalogue
from schemas.codes import FORCE_REGION
from schemas.entry import SchemaEntry
from schemas.samples import sample

log = logging.getLogger("pentameter.policies")

_Slot = tuple[Plan, ...] | Denial
R1_REVOKED = "R1-revoked"
"""Rule id of the denial every event gets for a partner whose access was revoked."""


class PolicyEngine:
    """Agreements compiled into plans, and routing of decoded events to every partner."""

    def __init__(
        self,
        catalogue: Catalogue,
        registry: Registry,
        agreements: Sequence[Agreement],
        *,
        secrets: PseudonymSecrets,
        encryptor: FieldEncryptor,
        today: date | None = None,
        probe_child_routes: bool = True,
        revoked: Iterable[str] = (),
        revoked_source: Callable[[], frozenset[str]] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.registry = registry
        self.revoked: frozenset[str] = frozenset(revoked_source() if revoked_source else revoked)
        self._revoked_source = revoked_source
        self.agreements: tuple[Agreement, ...] = tuple(agreements)
        self._today = today
        self._plans: dict[tuple[str, str], tuple[Plan, ...]] = {}
        self._routes: dict[str, list[tuple[str, _Slot]]] = {}
        self._facts: dict[str, Any] = {}
        self._child_required: dict[str, dict[str, frozenset[str]]] = {}
        for agreement in sorted(self.agreements, key=lambda a: (a.partner, a.valid_from)):
            partner = registry.partner(agreement.partner)
            tokeniser = secrets.tokeniser(partner.id)
            for event_type, rule in agreement.events.items():
                entry = catalogue.latest(event_type)
                plan = Plan(
                    agreement,
                    rule,
                    entry,
                    partner,
                    tokeniser=tokeniser,
                    encryptor=encryptor,
                    catalogue=catalogue,
                )
                key = (event_type, partner.id)
                self._plans[key] = (*self._plans.get(key, ()), plan)
        for event_type in catalogue.event_types():
            self._routes[event_type] = [(p.id, self._slot(event_type, p)) for p in registry.partners.values()]
            self._facts[event_type] = facts_reader(catalogue.latest(event_type))
            self._child_required[event_type] = self._required_for_children(event_type)
        if probe_child_routes:
            problems = self._probe_child_routes()
            if problems:
                raise AgreementError(problems)

    @classmethod
    def load(
        cls,
        catalogue: Catalogue,
        agreements_dir: Path | None = None,
        registry_path: Path | None = None,
        *,
        secrets: PseudonymSecrets,
        encryptor: FieldEncryptor,
        today: date | None = None,
        revoked: Iterable[str] = (),
        revoked_source: Callable[[], frozenset[str]] | None = None,
    ) -> PolicyEngine:
        """Load the registry and agreements (the package's own by default), validate, compile.

        Raises RegistryError or AgreementError (GuardRailViolation for guard-rail breaches)
        listing every problem with its file and line.
        """
        registry = load_registry(registry_path)
        agreements = load_agreements(catalogue, registry, agreements_dir)
        return cls(
            catalogue,
            registry,
            agreements,
            secrets=secrets,
            encryptor=encryptor,
            today=today,
            revoked=revoked,
            revoked_source=revoked_source,
        )

    # -- lookups -------------------------------------------------------------------------------

    def plan(self, event_type: str, partner: str, day: date | None = None) -> Plan | None:
        """The plan deciding ``event_type`` for ``partner`` on ``day`` (today by default): the
        agreement in force then, else the most recent one; None when no agreement names the pair."""
        plans = self._plans.get((event_type, partner))
        if not plans:
            return None
        when = day or self._today or date.today()
        for plan in plans:
            if plan.agreement.in_force(when):
                return plan
        return plans[-1]

    def plans(self) -> Iterator[Plan]:
        """Every compiled plan (one per agreement, event type and partner)."""
        for plans in self._plans.values():
            yield from plans

    def projection(self, event_type: str, partner: str) -> SchemaEntry | None:
        """The registered projection schema ``partner`` receives ``event_type`` with, if any."""
        plan = self.plan(event_type, partner)
        return plan.projection if plan is not None else None

    def facts(self, event_type: str, record: dict[str, Any]) -> EventFacts:
        """The guard-rail facts of one record (what routing reads once per event)."""
        return self._facts[event_type](record)  # type: ignore[no-any-return]

    @property
    def today(self) -> date:
        """The date agreements are judged in force on (fixed in tests, else today)."""
        return self._today or date.today()

    # -- routing -------------------------------------------------------------------------------

    def _slot(self, event_type: str, partner: Partner) -> _Slot:
        if partner.id in self.revoked:
            return Denial(
                partner.id, R1_REVOKED, f"{partner.id}'s access was revoked (pentameter partner revoke)"
            )
        plans = self._plans.get((event_type, partner.id))
        if plans:
            return plans
        mine = [a for a in self.agreements if a.partner == partner.id]
        if mine:
            latest = max(mine, key=lambda a: (a.valid_from, a.version))
            return Denial(
                partner.id,
                guardrails.R1_DEFAULT_DENY,
                f"agreement {latest.label} does not name {event_type}",
                latest.id,
                latest.version,
            )
        return Denial(partner.id, guardrails.R1_DEFAULT_DENY, f"no agreement with {partner.id}")

    def revoke(self, partners: Iterable[str]) -> None:
        """Deny ``partners`` (and only them) from now on: the revoked set becomes exactly this."""
        self.revoked = frozenset(partners)
        for event_type in self._routes:
            self._routes[event_type] = [
                (p.id, self._slot(event_type, p)) for p in self.registry.partners.values()
            ]

    def route(self, event_type: str, record: dict[str, Any]) -> Routing:
        """Decide ``record`` (a decoded, Avro-ready event of the latest ``event_type`` schema) for
        every partner in the registry: each gets exactly one Delivery or Denial."""
        if self._revoked_source is not None:
            revoked = self._revoked_source()
            if revoked != self.revoked:
                self.revoke(revoked)
        table = self._routes.get(event_type)
        if table is None:
            routing = Routing(event_type, str(record.get("envelope", {}).get("event_id", "")))
            routing.denials = [
                Denial(p, guardrails.R1_DEFAULT_DENY, f"unknown event type {event_type!r}")
                for p in self.registry.partners
            ]
            return routing
        facts = self._facts[event_type](record)
        routing = Routing(event_type, facts.event_id)
        day = self._today or date.today()
        record_scrub = RecordScrub()
        deliveries, denials = routing.deliveries, routing.denials
        for _partner, slot in table:
            if isinstance(slot, Denial):
                denials.append(slot)
                continue
            plan = slot[0]
            if len(slot) > 1:
                plan = next((p for p in slot if p.agreement.in_force(day)), slot[-1])
            result = plan.decide(record, facts, day, record_scrub)
            if isinstance(result, Delivery):
                deliveries.append(result)
            else:
                denials.append(result)
        record_scrub.run()  # rule 11, for every delivery at once
        if facts.child:
            required = self._child_required[event_type]
            if required:
                self._check_child_route(routing, facts, required)
        return routing

    def _required_for_children(self, event_type: str) -> dict[str, frozenset[str]]:
        """Force area ("" for everywhere) -> partners a child victim event there must reach."""
        kinds = guardrails.CHILD_ROUTES.get(event_type)
        if not kinds:
            return {}
        everywhere = frozenset(
            p.id
            for p in self.registry
            if p.kind in kinds and p.kind is PartnerKind.SINGLE_COMPETENT_AUTHORITY
        )
        required: dict[str, frozenset[str]] = {"": everywhere}
        for p in self.registry:
            if p.kind in kinds and p.kind is not PartnerKind.SINGLE_COMPETENT_AUTHORITY:
                for area in p.areas:
                    required[area] = required.get(area, everywhere) | {p.id}
        return required

    def _check_child_route(
        self, routing: Routing, facts: EventFacts, required: Mapping[str, frozenset[str]]
    ) -> None:
        must = required.get(facts.force_area, required[""])
        delivered = set(routing.delivered_to())
        for partner in sorted(must - delivered):
            denial = routing.decision(partner)
            if isinstance(denial, Denial) and denial.rule_id == guardrails.R12_REVIEW_PASSED:
                continue  # past its review date, the record is shared with no one: not a failed route
            why = f"{denial.rule_id}: {denial.reason}" if isinstance(denial, Denial) else "no decision"
            message = (
                f"{guardrails.R7_CHILD_ROUTING}: child {routing.event_type} {routing.event_id} did not "
                f"reach {partner} ({why})"
            )
            routing.alerts.append(message)
            log.error(message)

    def _probe_child_routes(self) -> list[Problem]:
        """Rule 7 at load: a child victim event in each served force area must reach every
        required partner. Returns a problem per missing route, naming the partner's agreement."""
        problems: list[Problem] = []
        for event_type, required in self._child_required.items():
            if not required:
                continue
            for area, partners in sorted(required.items()):
                record = child_probe(event_type, area or "BRITISH_TRANSPORT_POLICE", self.today)
                routing = self.route(event_type, record)
                # A revoked partner is an operator's decision, alerted on per event, not an
                # agreement error: the engine must still load to deny it.
                for partner in sorted(partners - set(routing.delivered_to()) - self.revoked):
                    decision = routing.decision(partner)
                    reason = f"{decision.rule_id}: {decision.reason}" if isinstance(decision, Denial) else ""
                    mine = [a for a in self.agreements if a.partner == partner]
                    where = (
                        (
                            mine[0].file,
                            mine[0].events[event_type].line
                            if event_type in mine[0].events
                            else mine[0].line_of("events"),
                            mine[0].label,
                        )
                        if mine
                        else (self.registry.source, 1, "-")
                    )
                    problems.append(
                        Problem(
                            where[0],
                            where[1],
                            where[2],
                            f"a child {event_type} in {area or 'any force area'} must reach {partner}, "
                            f"but it was denied ({reason})",
                            guardrails.R7_CHILD_ROUTING,
                        )
                    )
        return problems


def child_probe(event_type: str, force_area: str, day: date) -> dict[str, Any]:
    """A valid child victim event of ``event_type`` in ``force_area``, recorded the day before
    ``day`` and due for review a year later (the rule 7 probe)."""
    record = copy.deepcopy(sample(event_type))
    env = record["envelope"]
    recorded = datetime.combine(day - timedelta(days=1), time(9), tzinfo=UTC)
    env["occurred_at"] = env["recorded_at"] = recorded
    env["review_date"] = day + timedelta(days=365)
    if record.get("decision_date") is not None:
        record["decision_date"] = recorded.date()
    if record.get("recovery_period_end") is not None:
        record["recovery_period_end"] = recorded.date() + timedelta(days=45)
    env["force_area"] = force_area
    env["region"] = FORCE_REGION.get(force_area, "NATIONAL")
    record["is_child"] = True
    if "presumed_child" in record:
        record["presumed_child"] = True
    if "consent" in record:
        record["consent"] = "NOT_REQUIRED_CHILD"
    if "consent_recorded_at" in record:
        record["consent_recorded_at"] = None
    return record
