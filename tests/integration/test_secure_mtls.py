"""Mutual TLS on the secure cluster: a client certificate from the cluster CA is its principal, under
the same ACLs as SCRAM; anything else is refused. A real Kafka on its own ports, stopped at the end."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError
from typer.testing import CliRunner

from consumers.partner import partner_group
from consumers.runtime import Runtime
from infra.broker.local import LocalCluster
from infra.connection import client_config, principal_config
from infra.tls import ClusterTls
from pentameter.acls_cli import agency_principal, partner_principal
from pentameter.cli import app
from tests.support.secure import connect_errors, granted_secure_cluster, produce_one, read_until

pytestmark = [pytest.mark.kafka, pytest.mark.secure, pytest.mark.slow]


@dataclass
class Secure:
    cluster: LocalCluster
    runtime: Runtime
    home: Path

    def tls(self, principal: str) -> dict[str, Any]:
        return principal_config(principal, self.runtime.settings, tls=True)

    def partners(self) -> list[tuple[str, str]]:
        return sorted(self.runtime.partner_topics.items())

    def group(self, partner: str) -> str:
        return partner_group(partner, self.runtime.settings.topic_prefix)


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secure]:
    home = tmp_path_factory.mktemp("secure-mtls")
    with granted_secure_cluster(home, first_port=29500, tls=True) as (cluster, runtime):
        yield Secure(cluster, runtime, home)


def _tls_alert(errors: list[KafkaError], alert: str) -> bool:
    """Whether the broker ended the TLS handshake with ``alert`` (in TLS 1.3 the client learns of
    it on its first read, so librdkafka reports a transport error carrying the alert)."""
    return any("SSL alert" in e.str() and alert in e.str() for e in errors)


def _marker(secure: Secure, topic: str) -> bytes:
    """A fresh record on ``topic``, written by the operator over SCRAM."""
    marker = uuid.uuid4().hex.encode()
    assert produce_one(principal_config("operator", secure.runtime.settings), topic, marker) is None
    return marker


def test_partner_reads_its_own_topic_with_a_certificate_only(
    secure: Secure, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner, topic = secure.partners()[0]
    marker = _marker(secure, topic)
    monkeypatch.setenv("PENTAMETER_PRINCIPAL", partner_principal(partner))
    monkeypatch.setenv("PENTAMETER_AUTH", "tls")
    config = client_config()
    assert config["security.protocol"] == "SSL" and not any(k.startswith("sasl") for k in config)
    assert config["bootstrap.servers"] == ",".join(n.spec.tls_bootstrap for n in secure.cluster.nodes())
    seen, error = read_until(config, secure.group(partner), topic, marker)
    assert error is None and marker in seen, error


def test_partner_over_tls_cannot_read_another_partners_topic(secure: Secure) -> None:
    (partner_a, _), (_, topic_b) = secure.partners()[:2]
    marker = _marker(secure, topic_b)
    config = secure.tls(partner_principal(partner_a))
    seen, error = read_until(config, secure.group(partner_a), topic_b, marker)
    assert not seen
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


def test_agency_over_tls_cannot_write_a_partner_topic(secure: Secure) -> None:
    agency = sorted(set(secure.runtime.ingress_topics.values()))[0]
    _, partner_topic = secure.partners()[0]
    error = produce_one(secure.tls(agency_principal(agency)), partner_topic, b"forged")
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


def test_certificate_from_another_ca_fails_the_handshake(secure: Secure, tmp_path: Path) -> None:
    partner, _ = secure.partners()[0]
    forged = ClusterTls(tmp_path / "rogue-ca").ensure_client(partner_principal(partner))
    config = {
        **secure.tls(partner_principal(partner)),  # trusts the real brokers...
        "ssl.certificate.location": str(forged.certificate),  # ...but shows a stranger's certificate
        "ssl.key.location": str(forged.key),
    }
    errors = connect_errors(config)
    assert errors is not None, "the broker accepted a certificate its CA never signed"
    assert _tls_alert(errors, "certificate unknown"), errors


def test_client_without_a_certificate_is_refused(secure: Secure) -> None:
    partner, _ = secure.partners()[0]
    config = secure.tls(partner_principal(partner))
    for key in ("ssl.certificate.location", "ssl.key.location"):
        del config[key]
    errors = connect_errors(config)
    assert errors is not None, "the broker accepted a client with no certificate"
    assert _tls_alert(errors, "certificate"), errors


def test_creds_show_tls_gives_settings_any_client_can_use(secure: Secure) -> None:
    partner, topic = secure.partners()[0]
    principal = partner_principal(partner)
    result = CliRunner().invoke(app, ["creds", "show", principal, "--tls"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) == {
        "bootstrap.servers",
        "security.protocol",
        "ssl.ca.location",
        "ssl.certificate.location",
        "ssl.key.location",
        "isolation.level",
    }
    assert shown["security.protocol"] == "SSL"
    assert Path(shown["ssl.certificate.location"]).name == f"{principal}.pem"
    marker = _marker(secure, topic)
    seen, error = read_until(shown, f"{secure.group(partner)}-cli", topic, marker)
    assert error is None and marker in seen, error
    plain = CliRunner().invoke(app, ["creds", "show", principal])
    assert json.loads(plain.stdout)["security.protocol"] == "SASL_PLAINTEXT"


def test_revoked_partner_certificate_is_refused_and_its_files_are_gone(
    secure: Secure, tmp_path: Path
) -> None:
    partner, topic = secure.partners()[-1]
    principal = partner_principal(partner)
    config = secure.tls(principal)
    seen, error = read_until(config, secure.group(partner), topic, _marker(secure, topic))
    assert error is None and seen
    # the partner kept a copy of its certificate and key: Kafka checks no revocation list
    kept = dict(config)
    for key in ("ssl.certificate.location", "ssl.key.location"):
        kept[key] = str(shutil.copy(config[key], tmp_path))
    issued = [Path(config[k]) for k in ("ssl.certificate.location", "ssl.key.location")]

    result = CliRunner().invoke(app, ["partner", "revoke", partner, "--confirm"])
    assert result.exit_code == 0, result.output
    assert "TLS certificate deleted" in result.output
    assert not any(path.exists() for path in issued)

    _, error = read_until(kept, secure.group(partner), topic, _marker(secure, topic))
    assert error is not None
    assert error.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED)
    again = CliRunner().invoke(app, ["partner", "revoke", partner, "--confirm"])
    assert again.exit_code == 0 and "already revoked" in again.output
    refused = CliRunner().invoke(app, ["creds", "show", principal, "--tls"])
    assert refused.exit_code == 2 and "revoked" in refused.output


def test_broker_up_and_status_give_the_mutual_tls_addresses(secure: Secure) -> None:
    cluster = LocalCluster(secure.runtime.settings, secure=True)
    tls = cluster.tls_bootstrap_servers()
    assert tls and tls != cluster.bootstrap_servers()
    again = CliRunner().invoke(app, ["broker", "up", "--secure"])
    assert again.exit_code == 0, again.output
    assert f"mutual TLS: {tls}" in again.output
    status = CliRunner().invoke(app, ["broker", "status", "--secure", "--json"])
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    assert report["up"] and report["tls_bootstrap"] == tls
    assert connect_errors(secure.tls("operator")) is None, "the advertised TLS address answers"


def test_a_running_secure_node_without_a_tls_listener_is_named_not_reused(secure: Secure) -> None:
    cluster = LocalCluster(secure.runtime.settings, secure=True)
    config = cluster.nodes()[0].spec.config_file
    original = config.read_text()
    older = "\n".join(line for line in original.splitlines() if "ssl" not in line.lower())
    try:
        config.write_text(older)  # what an earlier version wrote; the running node keeps its own
        result = CliRunner().invoke(app, ["broker", "up", "--secure"])
        assert result.exit_code == 2
        assert "no mutual-TLS listener" in result.output and "broker down --secure" in result.output
    finally:
        config.write_text(original)
    assert CliRunner().invoke(app, ["broker", "up", "--secure"]).exit_code == 0
