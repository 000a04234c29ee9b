"""One principal's client settings, written the way each kind of Kafka client reads them.

Pentameter keeps client settings as librdkafka's dotted names (``security.protocol``,
``sasl.username``, ``ssl.certificate.location``). ``pentameter creds show --format`` turns them into:

* ``librdkafka``: a JSON object, for confluent-kafka and every librdkafka binding;
* ``java``: a Java client properties file: the SCRAM login as ``sasl.jaas.config``, and for mutual
  TLS the certificate, key and CA inline as PEM (``ssl.keystore.type=PEM``), so nothing needs
  converting to a JKS or PKCS#12 store;
* ``kcat``: librdkafka names, one ``name=value`` per line, for ``kcat -F FILE``.

A principal that reads (any but an agency's, which only writes) also gets
``isolation.level=read_committed``: the router writes in transactions and an aborted batch must
never be seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path

SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PemReader = Callable[[Path], str]
"""Reads a PEM file's text (the Java client takes the certificate, key and CA inline)."""


class ClientFormat(StrEnum):
    """How ``creds show`` writes a principal's settings."""

    LIBRDKAFKA = "librdkafka"
    JAVA = "java"
    KCAT = "kcat"


def reads_topics(principal: str) -> bool:
    """True for a principal that consumes: every one but an agency's (agencies only produce)."""
    return not principal.startswith("agency-")


def with_isolation(principal: str, settings: Mapping[str, str]) -> dict[str, str]:
    """``settings`` with read_committed added for a principal that reads."""
    out = dict(settings)
    if reads_topics(principal):
        out["isolation.level"] = "read_committed"
    return out


def librdkafka_json(settings: Mapping[str, str]) -> str:
    """The settings as a JSON object (librdkafka names)."""
    return json.dumps(dict(settings), indent=2) + "\n"


def kcat_properties(settings: Mapping[str, str]) -> str:
    """The settings as ``kcat -F`` reads them: ``name=value`` lines with librdkafka names."""
    return "".join(f"{name}={value}\n" for name, value in settings.items())


def _jaas_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _properties_value(text: str) -> str:
    """A value escaped for java.util.Properties: one line, backslashes doubled, line breaks as \\n."""
    return text.replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n")


_LIBRDKAFKA_ONLY = frozenset(
    {"sasl.username", "sasl.password", "ssl.ca.location", "ssl.certificate.location", "ssl.key.location"}
)


def java_settings(settings: Mapping[str, str], read: PemReader = Path.read_text) -> dict[str, str]:
    """The settings as the Java client names them (PEM files read with ``read``)."""
    out = {name: value for name, value in settings.items() if name not in _LIBRDKAFKA_ONLY}
    if "sasl.username" in settings:
        user, password = _jaas_quoted(settings["sasl.username"]), _jaas_quoted(settings["sasl.password"])
        out["sasl.jaas.config"] = f"{SCRAM_LOGIN_MODULE} required username={user} password={password};"
    if "ssl.certificate.location" in settings:
        out["ssl.keystore.type"] = "PEM"
        out["ssl.keystore.certificate.chain"] = read(Path(settings["ssl.certificate.location"]))
        out["ssl.keystore.key"] = read(Path(settings["ssl.key.location"]))
    if "ssl.ca.location" in settings:
        out["ssl.truststore.type"] = "PEM"
        out["ssl.truststore.certificates"] = read(Path(settings["ssl.ca.location"]))
    return out


def java_properties(settings: Mapping[str, str], read: PemReader = Path.read_text) -> str:
    """The settings as a Java client properties file (``key=value``, PEM inline with ``\\n``)."""
    java = java_settings(settings, read)
    return "".join(f"{name}={_properties_value(value)}\n" for name, value in java.items())


def render(settings: Mapping[str, str], form: ClientFormat) -> str:
    """``settings`` (librdkafka names) written in ``form``."""
    if form is ClientFormat.JAVA:
        return java_properties(settings)
    if form is ClientFormat.KCAT:
        return kcat_properties(settings)
    return librdkafka_json(settings)
