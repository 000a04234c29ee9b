"""The API the router and partner consumers build on: load, route, plan, projection schemas."""

from __future__ import annotations

import inspect
from datetime import date

import pytest

from policies import Delivery, Denial, InMemoryKeyRing, Plan, PolicyEngine, PseudonymSecrets
from policies.agreements import DEFAULT_AGREEMENTS
from policies.registry import DEFAULT_REGISTRY
from schemas.catalogue import Catalogue, load_catalogue
from schemas.samples import sample
from schemas.wire import Codec


def test_load_signature_is_the_one_the_router_calls() -> None:
    params = inspect.signature(PolicyEngine.load).parameters
    assert list(params)[:3] == ["catalogue", "agreements_dir", "registry_path"]
    for name in ("secrets", "encryptor", "today"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["today"].default is None


def test_explicit_paths_load_the_same_as_the_defaults(catalogue: Catalogue) -> None:
    engine = PolicyEngine.load(
        catalogue,
        DEFAULT_AGREEMENTS,
        DEFAULT_REGISTRY,
        secrets=PseudonymSecrets.generate(),
        encryptor=InMemoryKeyRing().encryptor(),
    )
    assert {a.id for a in engine.agreements} >= {"isa.ncc", "isa.sca", "isa.ngo.poppy"}


def test_route_decides_every_partner_in_registry_order(engine: PolicyEngine) -> None:
    routing = engine.route("NRMReferral", sample("NRMReferral"))
    order = list(engine.registry.partners)
    assert [d.partner for d in routing.deliveries] == [p for p in order if p in routing.delivered_to()]
    assert routing.event_id == str(sample("NRMReferral")["envelope"]["event_id"])
    assert isinstance(routing.decision("sca"), Delivery)
    assert routing.decision("nobody") is None


def test_unknown_event_types_are_denied_to_everyone(engine: PolicyEngine) -> None:
    routing = engine.route("Kidnap", {"envelope": {"event_id": "x"}})
    assert routing.deliveries == [] and len(routing.denials) == len(engine.registry.partners)
    assert {n.rule_id for n in routing.denials} == {"R1-default-deny"}


def test_plans_register_their_projection_schemas(engine: PolicyEngine, catalogue: Catalogue) -> None:
    plan = engine.plan("IntelligenceReport", "ncc")
    assert isinstance(plan, Plan)
    assert catalogue.find_fingerprint(plan.fingerprint) is plan.projection
    assert plan.schema_name == "org.pentameter.partner.ncc.IntelligenceReport.IntelligenceReport"
    assert plan.projection.kind == "projection"
    assert plan.projection_schema["agreement"] == {"id": "isa.ncc", "version": 1}
    fields = {f.path: f for f in plan.projection.all_fields}
    assert fields["people[].name"].avro_type in ("string?", "string")
    assert fields["premises[].address"].avro_type == "string?"  # a whole address as one token
    assert "source" not in fields and "people[].ethnicity" not in fields
    assert fields["sharing.agreement_version"].avro_type == "int"
    assert engine.projection("IntelligenceReport", "ngo.poppy") is None


def test_encrypted_fields_are_bytes_in_the_projection(engine: PolicyEngine) -> None:
    plan = engine.plan("NRMReferral", "ngo.poppy")
    assert plan is not None
    assert plan.projection.field("victim.phone").avro_type == "bytes?"


def test_a_partner_consumer_can_decode_with_the_published_schema_alone(engine: PolicyEngine) -> None:
    delivery = engine.route("Arrest", sample("Arrest")).decision("ncc")
    assert isinstance(delivery, Delivery)
    plan = engine.plan("Arrest", "ncc")
    assert plan is not None
    document = plan.projection.to_document()
    partner_side = Catalogue.from_documents([document])
    writer = Codec(engine.catalogue)
    _, decoded = Codec(partner_side).decode(writer.encode(plan.projection, delivery.record))
    assert decoded["person"]["name"] == delivery.record["person"]["name"]


def test_agreements_outside_their_dates_deny_with_their_version(engine: PolicyEngine) -> None:
    plan = engine.plan("Arrest", "nca.ukhtc")
    assert plan is not None
    result = plan.apply(sample("Arrest"), date(2031, 1, 1))
    assert isinstance(result, Denial)
    assert (result.rule_id, result.agreement_id, result.agreement_version) == (
        "R1-not-in-force",
        "isa.nca.ukhtc",
        1,
    )


def test_providers_limit_which_originators_an_agreement_covers(
    catalogue: Catalogue, tmp_path: object
) -> None:
    import shutil
    from pathlib import Path

    target = Path(str(tmp_path)) / "agreements"
    shutil.copytree(DEFAULT_AGREEMENTS, target)
    path = target / "hmrc.yaml"
    path.write_text(path.read_text().replace("  providers: all\n", "  providers: [police.metropolitan]\n"))
    engine = PolicyEngine.load(
        load_catalogue(),
        target,
        secrets=PseudonymSecrets.generate(),
        encryptor=InMemoryKeyRing().encryptor(),
        today=date(2026, 6, 1),
    )
    record = sample("AssetSeizure")
    record["envelope"]["origin_agency"] = "police.gloucestershire"
    denial = engine.route("AssetSeizure", record).decision("hmrc")
    assert isinstance(denial, Denial) and denial.rule_id == "R1-provider-not-party"
    record["envelope"]["origin_agency"] = "police.metropolitan"
    assert isinstance(engine.route("AssetSeizure", record).decision("hmrc"), Delivery)


def test_delivery_and_denial_match_what_the_router_reads(engine: PolicyEngine) -> None:
    routing = engine.route("PremisesVisit", sample("PremisesVisit"))
    d = routing.deliveries[0]
    for name in (
        "partner",
        "topic",
        "agreement_id",
        "agreement_version",
        "record",
        "schema_name",
        "schema_fingerprint",
        "released",
        "withheld",
    ):
        assert hasattr(d, name)
    assert isinstance(d.schema_fingerprint, bytes) and len(d.schema_fingerprint) == 8
    n = routing.denials[0]
    for name in ("partner", "rule_id", "reason", "agreement_id", "agreement_version"):
        assert hasattr(n, name)


def test_records_are_not_modified_by_routing(engine: PolicyEngine) -> None:
    for event_type in engine.catalogue.event_types():
        record = sample(event_type)
        before = repr(record)
        engine.route(event_type, record)
        assert repr(record) == before


@pytest.mark.parametrize("event_type", ["IntelligenceReport", "NRMReferral"])
def test_generated_builders_are_inspectable(engine: PolicyEngine, event_type: str) -> None:
    plan = engine.plan(event_type, "police.gloucestershire")
    assert plan is not None and plan.generated_source
    assert all(src.startswith("def build(") for src in plan.generated_source.values())
