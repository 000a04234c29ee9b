"""`creds show --format`: the same principal's settings as librdkafka, the Java client and kcat read them."""

from __future__ import annotations

import json
from pathlib import Path

from infra.client_formats import ClientFormat, java_properties, render, with_isolation

SCRAM = {
    "bootstrap.servers": "127.0.0.1:9192",
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "partner-sca",
    "sasl.password": 'pa"ss\\word',
}
TLS = {
    "bootstrap.servers": "127.0.0.1:9196",
    "security.protocol": "SSL",
    "ssl.ca.location": "/tls/ca.pem",
    "ssl.certificate.location": "/tls/partner-sca.pem",
    "ssl.key.location": "/tls/partner-sca.key",
}
PEM = {
    "/tls/ca.pem": "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n",
    "/tls/partner-sca.pem": "-----BEGIN CERTIFICATE-----\nTEVBRg==\n-----END CERTIFICATE-----\n",
    "/tls/partner-sca.key": "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n",
}


def _java_properties(text: str) -> dict[str, str]:
    """What java.util.Properties.load makes of one-line ``key=value`` entries with escapes."""
    out = {}
    for line in text.splitlines():
        key, _, raw = line.partition("=")
        value, i = [], 0
        while i < len(raw):
            if raw[i] == "\\":
                i += 1
                value.append({"n": "\n", "t": "\t", "r": "\r"}.get(raw[i], raw[i]))
            else:
                value.append(raw[i])
            i += 1
        out[key] = "".join(value)
    return out


def test_librdkafka_is_json_with_read_committed_for_a_reader_only() -> None:
    shown = json.loads(render(with_isolation("partner-sca", SCRAM), ClientFormat.LIBRDKAFKA))
    assert shown == {**SCRAM, "isolation.level": "read_committed"}
    agency = json.loads(render(with_isolation("agency-police.met", SCRAM), ClientFormat.LIBRDKAFKA))
    assert agency == SCRAM, "an agency only produces"


def test_java_properties_carry_the_scram_login_and_the_pem_inline() -> None:
    scram = _java_properties(render(with_isolation("router", SCRAM), ClientFormat.JAVA))
    assert scram == {
        "bootstrap.servers": "127.0.0.1:9192",
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="partner-sca" password="pa\\"ss\\\\word";',
        "isolation.level": "read_committed",
    }

    text = java_properties(TLS, read=lambda path: PEM[str(path)])
    assert len(text.splitlines()) == 7, "one line per setting, PEM line breaks escaped"
    tls = _java_properties(text)
    assert tls == {
        "bootstrap.servers": "127.0.0.1:9196",
        "security.protocol": "SSL",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.certificate.chain": PEM["/tls/partner-sca.pem"],
        "ssl.keystore.key": PEM["/tls/partner-sca.key"],
        "ssl.truststore.type": "PEM",
        "ssl.truststore.certificates": PEM["/tls/ca.pem"],
    }


def test_java_reads_the_pem_files_themselves(tmp_path: Path) -> None:
    files = {name: tmp_path / Path(name).name for name in PEM}
    for name, path in files.items():
        path.write_text(PEM[name])
    located = {k: str(files[v]) if v in files else v for k, v in TLS.items()}
    shown = _java_properties(render(located, ClientFormat.JAVA))
    assert shown["ssl.keystore.key"] == PEM["/tls/partner-sca.key"]


def test_kcat_lines_use_librdkafka_names() -> None:
    text = render(with_isolation("partner-sca", TLS), ClientFormat.KCAT)
    assert text.splitlines() == [
        "bootstrap.servers=127.0.0.1:9196",
        "security.protocol=SSL",
        "ssl.ca.location=/tls/ca.pem",
        "ssl.certificate.location=/tls/partner-sca.pem",
        "ssl.key.location=/tls/partner-sca.key",
        "isolation.level=read_committed",
    ]
