"""The secure cluster's CA and certificates, and the TLS listener in server.properties, checked
without a broker."""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.broker.config import plan_nodes, render_server_properties
from infra.connection import client_config
from infra.credentials import CredentialError
from infra.security import TLS_PRINCIPAL_RULES
from infra.settings import load_settings
from infra.tls import ClusterTls


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _certs(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_client_certificate_chains_to_the_ca_and_names_the_principal(tmp_path: Path) -> None:
    tls = ClusterTls(tmp_path / "tls")
    files = tls.ensure_client("partner-sca")
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    cert = x509.load_pem_x509_certificate(files.certificate.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.subject.rfc4514_string() == "CN=partner-sca"
    assert (
        ExtendedKeyUsageOID.CLIENT_AUTH
        in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    assert key.public_key() == cert.public_key()
    assert files.certificate == tmp_path / "tls" / "clients" / "partner-sca.pem"
    for secret in (files.key, tls.ca_key_file):
        assert _mode(secret) == 0o600
    assert _mode(tls.directory) == 0o700


def test_broker_keystore_holds_key_and_chain_for_loopback(tmp_path: Path) -> None:
    tls = ClusterTls(tmp_path / "tls")
    listener = tls.ensure_broker()
    text = listener.keystore.read_bytes()
    assert text.startswith(b"-----BEGIN PRIVATE KEY-----")  # unencrypted PKCS#8, no password needed
    leaf, ca = _certs(listener.keystore)
    assert ca == x509.load_pem_x509_certificate(listener.truststore.read_bytes())
    leaf.verify_directly_issued_by(ca)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert (
        ExtendedKeyUsageOID.SERVER_AUTH
        in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    # the brokers' certificate maps to no principal an ACL could name
    assert len(leaf.subject) == 2 and leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    assert _mode(listener.keystore) == 0o600


def test_certificates_are_reused_and_one_ca_signs_them_all(tmp_path: Path) -> None:
    tls = ClusterTls(tmp_path / "tls")
    broker = tls.ensure_broker().keystore.read_bytes()
    first = tls.ensure_client("router")
    cert, key, ca = first.certificate.read_bytes(), first.key.read_bytes(), first.ca.read_bytes()
    again = ClusterTls(tmp_path / "tls").ensure_client("router")
    assert (again.certificate.read_bytes(), again.key.read_bytes(), again.ca.read_bytes()) == (cert, key, ca)
    assert tls.ensure_broker().keystore.read_bytes() == broker
    other = tls.ensure_client("agency-police.met")
    assert other.certificate.read_bytes() != cert and other.ca.read_bytes() == ca


def test_a_certificate_from_another_ca_is_issued_again(tmp_path: Path) -> None:
    tls = ClusterTls(tmp_path / "tls")
    files = tls.ensure_client("partner-sca")
    foreign = ClusterTls(tmp_path / "elsewhere").ensure_client("partner-sca")
    files.certificate.write_bytes(foreign.certificate.read_bytes())
    files.key.write_bytes(foreign.key.read_bytes())
    fixed = tls.ensure_client("partner-sca")
    cert = x509.load_pem_x509_certificate(fixed.certificate.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(tls.ca_file.read_bytes()))


@pytest.mark.parametrize("name", ["Partner-SCA", "CN=operator", "../ca", "", "a,b", "partner sca"])
def test_a_bad_principal_name_is_refused(tmp_path: Path, name: str) -> None:
    tls = ClusterTls(tmp_path / "tls")
    with pytest.raises(CredentialError):
        tls.ensure_client(name)
    with pytest.raises(CredentialError):
        tls.remove_client(name)


def test_remove_client_deletes_both_files_once(tmp_path: Path) -> None:
    tls = ClusterTls(tmp_path / "tls")
    files = tls.ensure_client("partner-ngo.poppy")
    assert tls.remove_client("partner-ngo.poppy") is True
    assert not files.certificate.exists() and not files.key.exists()
    assert tls.remove_client("partner-ngo.poppy") is False
    assert files.ca.exists()


def test_secure_node_has_a_mutual_tls_listener(tmp_path: Path) -> None:
    nodes = plan_nodes(3, 9192, tmp_path, tls=True)
    assert [n.ports for n in nodes] == [(9192, 9193, 9198), (9194, 9195, 9199), (9196, 9197, 9200)]
    listener = ClusterTls(tmp_path / "tls").ensure_broker()
    props = _props(render_server_properties(nodes[1], nodes, broker_password="s3cret", tls=listener))
    assert props["listeners"] == (
        "SASL_PLAINTEXT://127.0.0.1:9194,SSL://127.0.0.1:9199,CONTROLLER://127.0.0.1:9195"
    )
    assert props["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:9194,SSL://127.0.0.1:9199"
    assert props["listener.security.protocol.map"] == (
        "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL"
    )
    assert props["inter.broker.listener.name"] == "SASL_PLAINTEXT"
    assert props["listener.name.ssl.ssl.client.auth"] == "required"
    assert props["listener.name.ssl.ssl.keystore.type"] == "PEM"
    assert props["listener.name.ssl.ssl.keystore.location"] == str(listener.keystore)
    assert props["listener.name.ssl.ssl.truststore.location"] == str(listener.truststore)
    assert props["listener.name.ssl.ssl.principal.mapping.rules"] == TLS_PRINCIPAL_RULES
    assert TLS_PRINCIPAL_RULES == "RULE:^CN=([a-z][a-z0-9_.-]*)$/$1/,DEFAULT"
    assert not any("password" in k and k.startswith("listener.name.ssl") for k in props)


def test_plain_cluster_layout_and_properties_are_unchanged(tmp_path: Path) -> None:
    nodes = plan_nodes(3, 9092, tmp_path)
    assert [n.ports for n in nodes] == [(9092, 9093), (9094, 9095), (9096, 9097)]
    props = _props(render_server_properties(nodes[0], nodes))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["listener.security.protocol.map"] == "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    assert not any("ssl" in k.lower() for k in props)


def test_pentameter_auth_tls_connects_the_principal_with_its_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path))
    monkeypatch.setenv("PENTAMETER_SECURE_BROKER_PORT", "9192")
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("PENTAMETER_PRINCIPAL", "partner-sca")
    monkeypatch.setenv("PENTAMETER_AUTH", "tls")
    config = client_config()
    files = ClusterTls(tmp_path / "broker-secure" / "tls").client_files("partner-sca")
    assert config == {
        "bootstrap.servers": "127.0.0.1:9194",
        "security.protocol": "SSL",
        "ssl.ca.location": str(files.ca),
        "ssl.certificate.location": str(files.certificate),
        "ssl.key.location": str(files.key),
    }
    assert files.certificate.exists() and files.key.exists()
    monkeypatch.setenv("PENTAMETER_AUTH", "kerberos")
    with pytest.raises(ValueError, match="PENTAMETER_AUTH"):
        load_settings()
