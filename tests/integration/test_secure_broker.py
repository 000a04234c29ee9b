"""The secure local cluster refuses what the registry does not grant: a real Kafka with SASL SCRAM
and ACLs, started on its own ports and state directory for this module and stopped at the end."""

from __future__ import annotations

import json
import os
import stat
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from consumers.runtime import Runtime
from infra.acls import Acl, AclPlan, apply_plan
from infra.broker.local import LocalCluster
from infra.connection import principal_config
from pentameter.acls_cli import EXIT_CHANGES_PENDING, acls_app, agency_principal, creds_app, partner_principal
from tests.support.secure import granted_secure_cluster, produce_one, read_until

pytestmark = [pytest.mark.kafka, pytest.mark.secure, pytest.mark.slow]


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(acls_app, name="acls")
    app.add_typer(creds_app, name="creds")
    return app


@dataclass
class Secure:
    cluster: LocalCluster
    runtime: Runtime
    home: Path
    app: typer.Typer

    def config(self, principal: str) -> dict[str, Any]:
        return principal_config(principal, self.runtime.settings)


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secure]:
    home = tmp_path_factory.mktemp("secure-home")
    with granted_secure_cluster(home, first_port=29200) as (cluster, runtime):
        yield Secure(cluster, runtime, home, _cli())


def _partners(runtime: Runtime) -> tuple[tuple[str, str], tuple[str, str]]:
    items = sorted(runtime.partner_topics.items())
    return items[0], items[1]


def _first_error(consumer: Consumer, seconds: float = 20.0) -> KafkaError | None:
    for _ in range(int(seconds * 2)):
        message = consumer.poll(0.5)
        if message is not None and message.error() is not None:
            error: KafkaError = message.error()
            return error
    return None


def test_partner_cannot_read_another_partners_topic(secure: Secure) -> None:
    (partner_a, _), (_, topic_b) = _partners(secure.runtime)
    consumer = Consumer(
        {
            **secure.config(partner_principal(partner_a)),
            "group.id": secure.runtime.topic(f"pentameter-partner-{partner_a}"),
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic_b])
        error = _first_error(consumer)
    finally:
        consumer.close()
    assert error is not None, "the broker let a partner read another partner's topic"
    assert error.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED)


def test_partner_cannot_use_another_partners_group(secure: Secure) -> None:
    (partner_a, topic_a), (partner_b, _) = _partners(secure.runtime)
    consumer = Consumer(
        {
            **secure.config(partner_principal(partner_a)),
            "group.id": secure.runtime.topic(f"pentameter-partner-{partner_b}"),
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic_a])
        error = _first_error(consumer)
    finally:
        consumer.close()
    assert error is not None and error.code() == KafkaError.GROUP_AUTHORIZATION_FAILED


def test_agency_cannot_write_a_partner_topic(secure: Secure) -> None:
    agency = sorted(set(secure.runtime.ingress_topics.values()))[0]
    (_, partner_topic), _ = _partners(secure.runtime)
    error = produce_one(secure.config(agency_principal(agency)), partner_topic, b"forged")
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_agency_cannot_write_another_agencys_ingress(secure: Secure) -> None:
    topics = sorted(secure.runtime.ingress_topics.items())
    (_, agency_a), (topic_b, _) = topics[0], topics[1]
    error = produce_one(secure.config(agency_principal(agency_a)), topic_b, b"forged")
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_wrong_password_is_refused(secure: Secure) -> None:
    config = {**secure.config("router"), "sasl.password": "not-the-password"}
    errors: list[KafkaError] = []
    admin = AdminClient({**config, "error_cb": errors.append})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=5)
    admin.poll(1)  # error callbacks are served by poll
    assert any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors


def test_agency_writes_its_ingress_and_partner_reads_its_topic(secure: Secure) -> None:
    ingress, agency = sorted(secure.runtime.ingress_topics.items())[0]
    assert produce_one(secure.config(agency_principal(agency)), ingress, b"report") is None

    (partner, topic), _ = _partners(secure.runtime)
    marker = uuid.uuid4().hex.encode()
    assert produce_one(secure.config("router"), topic, marker) is None
    group = secure.runtime.topic(f"pentameter-partner-{partner}")
    seen, error = read_until(secure.config(partner_principal(partner)), group, topic, marker)
    assert error is None and marker in seen, error


def test_router_transactions_only_under_its_own_ids(secure: Secure) -> None:
    settings = secure.runtime.router_settings()
    (_, partner_topic), _ = _partners(secure.runtime)
    config = secure.config("router")
    producer = Producer({**config, "transactional.id": settings.transactional_id})
    producer.init_transactions(20)
    producer.begin_transaction()
    producer.produce(partner_topic, value=b"routed")
    producer.produce(settings.audit_topic, value=b"entry")
    producer.commit_transaction(20)

    rogue = Producer({**config, "transactional.id": f"rogue-{uuid.uuid4().hex[:6]}"})
    with pytest.raises(KafkaException) as refused:
        rogue.init_transactions(20)
    assert refused.value.args[0].code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED


def test_acls_plan_is_empty_after_apply_and_stray_grants_are_removed(secure: Secure) -> None:
    runner = CliRunner()
    clean = runner.invoke(secure.app, ["acls", "plan", "--json"])
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout) == {"create": [], "delete": [], "new_users": []}

    (partner_a, _), (_, topic_b) = _partners(secure.runtime)
    stray = Acl(f"User:{partner_principal(partner_a)}", "TOPIC", "LITERAL", topic_b, "READ")
    admin = AdminClient(secure.config("operator"))
    apply_plan(admin, AclPlan(create=(stray,), delete=()), {})
    pending = runner.invoke(secure.app, ["acls", "plan", "--json"])
    assert pending.exit_code == EXIT_CHANGES_PENDING == 1
    assert json.loads(pending.stdout)["delete"] == [stray.describe()]

    assert runner.invoke(secure.app, ["acls", "apply"]).exit_code == 0
    again = runner.invoke(secure.app, ["acls", "plan"])
    assert again.exit_code == 0 and "no difference" in again.stdout


def test_a_prefixed_deployment_plans_only_its_own_grants(
    secure: Secure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two deployments on one cluster: one with a topic prefix must not remove the other's ACLs."""
    (partner_a, _), (_, topic_b) = _partners(secure.runtime)
    stray = Acl(f"User:{partner_principal(partner_a)}", "TOPIC", "LITERAL", f"other.{topic_b}", "READ")
    apply_plan(AdminClient(secure.config("operator")), AclPlan(create=(stray,), delete=()), {})
    try:
        monkeypatch.setenv("PENTAMETER_TOPIC_PREFIX", "other.")
        planned = CliRunner().invoke(secure.app, ["acls", "plan", "--json"])
        assert planned.exit_code == EXIT_CHANGES_PENDING, planned.output
        report = json.loads(planned.stdout)
        assert report["delete"] == [stray.describe()], "only its own stray grant, none of the unprefixed"
        assert report["create"] and all(" other." in line for line in report["create"])
        assert report["new_users"] == []
    finally:
        monkeypatch.delenv("PENTAMETER_TOPIC_PREFIX")
        apply_plan(AdminClient(secure.config("operator")), AclPlan(create=(), delete=(stray,)), {})
    unprefixed = CliRunner().invoke(secure.app, ["acls", "plan", "--json"])
    assert json.loads(unprefixed.stdout) == {"create": [], "delete": [], "new_users": []}


def test_creds_show_and_the_secrets_stay_private(secure: Secure) -> None:
    result = CliRunner().invoke(secure.app, ["creds", "show", "router"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) == {
        "bootstrap.servers",
        "security.protocol",
        "sasl.mechanism",
        "sasl.username",
        "sasl.password",
    }
    assert shown["security.protocol"] == "SASL_PLAINTEXT" and shown["sasl.mechanism"] == "SCRAM-SHA-512"
    assert AdminClient(shown).list_topics(timeout=10).topics

    store = secure.cluster.credentials.path
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    passwords = json.loads(store.read_text()).values()
    for node in secure.cluster.nodes():
        assert stat.S_IMODE(os.stat(node.spec.config_file).st_mode) == 0o600
        logs = node.spec.log_file.read_text(errors="replace")
        assert not any(p in logs for p in passwords)


def test_status_answers_as_the_operator_on_the_secure_cluster(
    secure: Secure, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pentameter.status import status

    monkeypatch.setenv("PENTAMETER_PRINCIPAL", "operator")
    app = typer.Typer()
    app.command()(status)
    result = CliRunner().invoke(app, ["--json", "--no-verify"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["up"] is True
    assert [b["reachable"] for b in report["brokers"]] == [True]


def test_ingest_publishes_as_its_principal_and_refuses_fast_without_one(
    secure: Secure, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from consumers.topic_reader import read_topic
    from producers.agencies import deployed_ingress_topic
    from producers.cli import register
    from schemas.convert import to_json
    from tests.integration.pipeline import AGENCY, sample_events

    app = typer.Typer()
    register(app, typer.Typer())
    source = tmp_path / "events.jsonl"
    events = sample_events(3)
    source.write_text("".join(json.dumps(to_json(e)) + "\n" for e in events), encoding="utf-8")
    topic = deployed_ingress_topic(AGENCY)
    before = len(list(read_topic(secure.config("operator"), topic)))

    monkeypatch.setenv("PENTAMETER_PRINCIPAL", agency_principal(AGENCY))
    published = CliRunner().invoke(app, ["ingest", "--agency", AGENCY, "--quiet", "--json", str(source)])
    assert published.exit_code == 0, published.output
    assert json.loads(published.stdout)["published"] == 3
    assert len(list(read_topic(secure.config("operator"), topic))) == before + 3

    # no principal, pointed at the secure listener: one clear error in seconds, nothing sent
    monkeypatch.delenv("PENTAMETER_PRINCIPAL")
    started = time.monotonic()
    refused = CliRunner().invoke(
        app, ["ingest", "--agency", AGENCY, "--bootstrap", secure.cluster.bootstrap_servers(), str(source)]
    )
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert f"cannot reach Kafka at {secure.cluster.bootstrap_servers()} without authentication" in said
    assert "set PENTAMETER_PRINCIPAL" in said
    assert time.monotonic() - started < 20
    assert len(list(read_topic(secure.config("operator"), topic))) == before + 3

    # an unknown principal is refused before any connection
    monkeypatch.setenv("PENTAMETER_PRINCIPAL", "agency-police.atlantis")
    unknown = CliRunner().invoke(app, ["ingest", "--agency", AGENCY, str(source)])
    assert unknown.exit_code == 2 and "agency-police.atlantis" in unknown.output
