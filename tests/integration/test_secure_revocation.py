"""Every component under its own principal on a private secure cluster (SASL SCRAM, ACLs): hostile
input reaches the dead letters, keys rotate without losing what came before, and a revoked partner
loses its access, its credential, its keys and its deliveries, on the ledger."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from consumers.cli import partner_reader
from consumers.deadletter import read_rejection
from consumers.exceptions import TopicNotReadable
from consumers.ledger import verify_entries
from consumers.partner import PartnerRecord, partner_group
from consumers.revocation import REVOCATION_CHAIN, REVOCATION_KIND
from consumers.router import Router
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from consumers.topic_reader import Record, read_topic, wait_until_settled
from infra.acls import actual_acls
from infra.broker.local import LocalCluster
from infra.connection import principal_config
from infra.topics import AUDIT_TOPIC, DEAD_LETTER_TOPIC, GOVERNANCE_TOPIC
from pentameter.acls_cli import agency_principal, partner_principal
from pentameter.cli import app
from producers.agencies import ingress_topic
from producers.publisher import AgencyPublisher
from schemas.governance import parse_message
from schemas.provenance import Signer
from schemas.samples import sample
from schemas.validation import validate
from schemas.wire import Codec
from tests.support.secure import connect_errors, granted_secure_cluster

pytestmark = [pytest.mark.kafka, pytest.mark.secure, pytest.mark.slow]

AGENCY = "police.gloucestershire"
PARTNER = "sca"  # receives the victim's phone encrypted to its own key


@dataclass
class Secure:
    cluster: LocalCluster
    runtime: Runtime  # as the operator
    home: Path

    def config(self, principal: str) -> dict[str, Any]:
        return principal_config(principal, self.runtime.settings)

    def as_(self, principal: str) -> Runtime:
        return self.runtime.as_principal(self.config(principal))


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secure]:
    home = tmp_path_factory.mktemp("secure-revocation")
    with granted_secure_cluster(home, first_port=29300) as (cluster, runtime):
        yield Secure(cluster, runtime, home)


def _encounter() -> dict[str, Any]:
    """A consented victim encounter with a phone: SCA receives the phone encrypted to its key."""
    record = validate(sample("PotentialVictimEncounter"))
    record["envelope"]["event_id"] = uuid.uuid4()
    record["envelope"]["origin_agency"] = AGENCY
    record["victim"]["phone"] = "07700900123"
    record["consent"] = "GIVEN"
    return record


def _publish(secure: Secure, events: list[dict[str, Any]]) -> None:
    """Publish as the agency's own principal through the agency SDK."""
    config = secure.config(agency_principal(AGENCY))
    auth = {k: v for k, v in config.items() if k != "bootstrap.servers"}
    topic = secure.runtime.topic(ingress_topic(AGENCY))
    with AgencyPublisher(
        AGENCY,
        topic=topic,
        bootstrap_servers=config["bootstrap.servers"],
        config=auth,
        catalogue=secure.runtime.catalogue,
    ) as publisher:
        for event in events:
            publisher.publish(event)


@contextmanager
def _router(secure: Secure) -> Iterator[Router]:
    """A router worker running as the router principal, stopped (and closed) on exit."""
    runtime = secure.as_("router")
    router = runtime.router(runtime.router_settings(batch_max_ms=50))
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            router.run(stop)
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)

    thread = threading.Thread(target=run, name="router", daemon=True)
    thread.start()
    try:
        yield router
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors


def _wait_consumed(router: Router, count: int, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while router.stats.consumed < count:
        assert time.monotonic() < deadline, f"router consumed {router.stats.consumed} of {count}"
        time.sleep(0.2)


def _raw_partner_records(secure: Secure, config: dict[str, Any]) -> list[Record]:
    """Everything on the partner's topic, fetched as the partner with a group of its own."""
    topic = secure.runtime.partner_topics[PARTNER]
    consumer = Consumer(
        {
            **config,
            "group.id": partner_group(PARTNER, secure.runtime.settings.topic_prefix, fresh=True),
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    records: list[Record] = []
    try:
        consumer.subscribe([topic])
        idle, deadline = 0, time.monotonic() + 60
        while idle < 6 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                idle += 1 if records else 0
                continue
            error = message.error()
            assert error is None, error
            raw = message.headers() or []
            records.append(
                Record(
                    topic,
                    int(message.partition() or 0),
                    int(message.offset() or 0),
                    message.key(),
                    message.value(),
                    [(k, v or b"") for k, v in raw],
                    message.timestamp()[1],
                )
            )
    finally:
        consumer.close()
    return records


def _open(runtime: Runtime, records: list[Record]) -> dict[str, PartnerRecord]:
    reader = partner_reader(runtime, PARTNER)
    opened: dict[str, PartnerRecord] = {}
    for r in records:
        item = reader.read(r.topic, r.partition, r.offset, r.key, r.value, r.headers)
        assert isinstance(item, PartnerRecord), item
        opened[item.event_id] = item
    return opened


def _audit(secure: Secure) -> list[Record]:
    audit = secure.runtime.topic(AUDIT_TOPIC)
    wait_until_settled(secure.runtime.client, audit)  # a stopped router's last markers may still land
    return list(read_topic(secure.runtime.client, audit))


def test_forged_and_unsigned_events_reach_dead_letters_under_the_router_principal(secure: Secure) -> None:
    codec = Codec(secure.runtime.catalogue)
    topic = secure.runtime.topic(ingress_topic(AGENCY))
    unsigned = codec.encode("PotentialVictimEncounter", _encounter())
    forged = codec.encode("PotentialVictimEncounter", _encounter())
    forged_headers = Signer(AGENCY, Ed25519PrivateKey.generate()).seal([(b"k", forged)])[0]
    producer = Producer({**secure.config(agency_principal(AGENCY)), "acks": "all"})
    failures: list[KafkaError] = []

    def report(error: KafkaError | None, _message: object) -> None:
        if error is not None:
            failures.append(error)

    producer.produce(topic, key=b"k", value=unsigned, on_delivery=report)
    producer.produce(topic, key=b"k", value=forged, headers=list(forged_headers), on_delivery=report)
    assert producer.flush(30) == 0 and not failures, failures
    with _router(secure) as router:
        _wait_consumed(router, 2)
    assert router.stats.dead_letters == 2 and router.stats.delivered == 0
    reasons = {}
    letters = secure.runtime.topic(DEAD_LETTER_TOPIC)
    wait_until_settled(secure.runtime.client, letters)  # the commit's markers may still be on their way
    for record in read_topic(secure.runtime.client, letters):
        verdict = read_rejection(record.headers)
        assert verdict is not None
        reasons[record.value] = verdict[0].reason.value
    assert reasons == {unsigned: "missing_signature", forged: "bad_signature"}


def test_rotation_keeps_earlier_events_verifiable_and_decryptable(secure: Secure) -> None:
    runner = CliRunner()
    before = _encounter()
    with _router(secure) as router:
        start = router.stats.consumed
        _publish(secure, [before])
        _wait_consumed(router, start + 1)
    listed_before = {k["key_id"] for k in json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)}
    for args in (["--agency", AGENCY], ["--partner", PARTNER], ["--router"]):
        result = runner.invoke(app, ["keys", "rotate", *args])
        assert result.exit_code == 0, result.output
    after = _encounter()
    with _router(secure) as router:  # a router started after the rotation signs with the new key
        start = router.stats.consumed
        _publish(secure, [after])
        _wait_consumed(router, start + 1)

    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    current = {k["owner"]: k["key_id"] for k in listed if k["status"] == "current"}
    retired = {k["key_id"] for k in listed if k["status"] == "retired"}
    assert {current[AGENCY], current[PARTNER], current[ROUTER_IDENTITY]}.isdisjoint(listed_before)
    assert retired <= listed_before and len(retired) >= 3

    opened = _open(secure.runtime, _raw_partner_records(secure, secure.config(partner_principal(PARTNER))))
    old, new = opened[str(before["envelope"]["event_id"])], opened[str(after["envelope"]["event_id"])]
    assert old.opened == ("victim.phone",) and old.record["victim"]["phone"] == "07700900123"
    assert new.opened == ("victim.phone",) and new.record["victim"]["phone"] == "07700900123"
    assert old.provenance_key in retired and new.provenance_key == current[ROUTER_IDENTITY]
    report = verify_entries(
        ((r.offset, r.value or b"") for r in _audit(secure)),
        secure.runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get,
    )
    assert report.ok, report.problems


def test_revoked_partner_loses_access_keys_and_deliveries_on_the_ledger(secure: Secure) -> None:
    runner = CliRunner()
    partner_config = secure.config(partner_principal(PARTNER))  # its password, kept for after
    received = _encounter()
    with _router(secure) as router:
        start = router.stats.consumed
        _publish(secure, [received])
        _wait_consumed(router, start + 1)
        raw = _raw_partner_records(secure, partner_config)  # bytes the partner holds
        opened = _open(secure.runtime, raw)[str(received["envelope"]["event_id"])]
        assert opened.opened == ("victim.phone",)
        delivered_before = len(raw)

        dry = runner.invoke(app, ["partner", "revoke", PARTNER])
        assert dry.exit_code == 2 and "--confirm" in dry.output
        assert connect_errors(partner_config) is None, "nothing may change without --confirm"
        result = runner.invoke(app, ["partner", "revoke", PARTNER, "--confirm"])
        assert result.exit_code == 0, result.output

        # the running router notices: the next event is denied to the partner, with the reason
        late = _encounter()
        _publish(secure, [late])
        _wait_consumed(router, start + 2)

    # the broker refuses the partner: its credential is gone
    errors = connect_errors(partner_config)
    assert errors is not None and any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors
    operator = AdminClient(secure.config("operator"))
    assert not [a for a in actual_acls(operator) if a.principal == f"User:{partner_principal(PARTNER)}"]

    # records it received before can no longer be decrypted: its keys were destroyed
    assert not list((secure.home / "keys" / "partners" / PARTNER).glob("*.x25519"))
    reader = partner_reader(build_runtime(secure.runtime.settings), PARTNER)
    for r in raw:
        item = reader.read(r.topic, r.partition, r.offset, r.key, r.value, r.headers)
        assert isinstance(item, PartnerRecord) and item.opened == ()
        assert "victim.phone" in item.unopened and "revoked" in item.unopened["victim.phone"]
        assert isinstance(item.record["victim"]["phone"], bytes)

    # nothing more was delivered to it, and the audit entry says why
    late_id = str(late["envelope"]["event_id"])
    topic = secure.runtime.partner_topics[PARTNER]
    assert len(list(read_topic(secure.runtime.client, topic))) == delivered_before
    audit = _audit(secure)
    entries = [json.loads(r.value or b"{}") for r in audit]
    [decided] = [e for e in entries if e.get("event_id") == late_id]
    [denial] = [d for d in decided["denied"] if d["partner"] == PARTNER]
    assert denial["rule"] == "R1-revoked" and "revoked" in denial["reason"]
    assert PARTNER not in [d["partner"] for d in decided["delivered"]]

    # the ledger holds the revocation on its own sealed chain, and verifies
    [revocation] = [e for e in entries if e.get("chain") == REVOCATION_CHAIN and e["kind"] == REVOCATION_KIND]
    assert revocation["partner"] == PARTNER and revocation["credential_deleted"] is True
    assert revocation["keys_destroyed"] and revocation["acls_removed"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PENTAMETER_PRINCIPAL", "operator")
        verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output

    # the router may no longer write there; the cluster already matches the registry
    grants = {(a.principal, a.resource_type, a.resource_name, a.operation) for a in actual_acls(operator)}
    assert ("User:router", "TOPIC", topic, "WRITE") not in grants
    assert runner.invoke(app, ["acls", "plan"]).exit_code == 0

    # acls apply never grants it again, and the plan is empty afterwards
    assert runner.invoke(app, ["acls", "apply"]).exit_code == 0
    plan = runner.invoke(app, ["acls", "plan", "--json"])
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.stdout) == {"create": [], "delete": [], "new_users": []}
    assert not [a for a in actual_acls(operator) if a.principal == f"User:{partner_principal(PARTNER)}"]

    # a second call changes nothing; an unknown partner is named
    again = runner.invoke(app, ["partner", "revoke", PARTNER, "--confirm"])
    assert again.exit_code == 0 and "already revoked" in again.output
    entries = [json.loads(r.value or b"{}") for r in _audit(secure)]
    chain = [e for e in entries if e.get("chain") == REVOCATION_CHAIN]
    assert len(chain) == 2  # the entry and its seal, once
    unknown = runner.invoke(app, ["partner", "revoke", "nobody", "--confirm"])
    assert unknown.exit_code == 2 and "unknown partner 'nobody'" in unknown.output
    refused = runner.invoke(app, ["creds", "show", partner_principal(PARTNER)])
    assert refused.exit_code == 2 and "revoked" in refused.output


def test_every_component_reads_the_governance_topic_under_its_own_grants(secure: Secure) -> None:
    """The whole-topic reader needs a consumer group: each principal has its own reader groups.
    A partner reads its own projection schemas and is refused another partner's and the shared
    topic's, so it cannot learn which fields any other partner is sent."""
    shared = secure.runtime.topic(GOVERNANCE_TOPIC)
    for principal in (agency_principal(AGENCY), "router"):
        assert list(read_topic(secure.config(principal), shared)), principal
    own = secure.runtime.partner_governance_topics
    ncc = secure.config(partner_principal("ncc"))
    schemas = [parse_message(r.key or b"", r.value or b"") for r in read_topic(ncc, own["ncc"])]
    assert schemas and {s.schema.get("partner") for s in schemas} == {"ncc"}
    for refused in (own[PARTNER], own["ngo.poppy"], shared):
        with pytest.raises(TopicNotReadable, match="may not read"):
            list(read_topic(ncc, refused))
