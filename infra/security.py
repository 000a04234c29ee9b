"""Security of the secure local cluster: who the operators are and how clients authenticate.

Clients and brokers authenticate with SASL SCRAM-SHA-512 on a SASL_PLAINTEXT listener: bound to
loopback only, so passwords are hashed in the SCRAM exchange but records travel unencrypted (no
TLS on that listener). The controller listener uses SASL PLAIN with the broker's own credential held
in the node's 0600 ``server.properties`` (KRaft controllers cannot use SCRAM, whose credentials
live in the metadata log they serve). Authorization is Kafka's ``StandardAuthorizer`` with no
access unless an ACL grants it; only the operators below are super users.

Mutual TLS is the other way in: each node also has an ``SSL`` listener that requires a client
certificate from the cluster's own CA (``infra/tls.py``) and maps its subject ``CN=<principal>``
to ``User:<principal>``, so the same ACLs apply whichever way a principal connects. Any other
subject keeps its whole distinguished name as principal, which no ACL ever names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.credentials import PRINCIPAL_PATTERN

SCRAM_MECHANISM = "SCRAM-SHA-512"
SECURITY_PROTOCOL = "SASL_PLAINTEXT"
BROKER_PRINCIPAL = "broker"
"""The brokers' own principal (inter-broker and broker-to-controller traffic)."""
OPERATOR_PRINCIPAL = "operator"
"""The human/tooling operator: topics, ACLs and credentials are managed as this principal."""
SUPER_USERS = (BROKER_PRINCIPAL, OPERATOR_PRINCIPAL)
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SCRAM_ITERATIONS = 8192
TLS_LISTENER = "SSL"
TLS_PRINCIPAL_RULES = f"RULE:^CN=({PRINCIPAL_PATTERN.pattern.strip('^$')})$/$1/,DEFAULT"
"""``CN=partner-sca`` (and nothing more in the subject) becomes ``User:partner-sca``."""


@dataclass(frozen=True)
class ListenerTls:
    """The brokers' PEM keystore (key, certificate, CA) and the CA that client certificates need."""

    keystore: Path
    truststore: Path


def sasl_client_config(bootstrap: str, principal: str, password: str) -> dict[str, str]:
    """librdkafka settings to connect to ``bootstrap`` as ``principal``."""
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": SECURITY_PROTOCOL,
        "sasl.mechanism": SCRAM_MECHANISM,
        "sasl.username": principal,
        "sasl.password": password,
    }


def tls_client_config(bootstrap: str, ca: Path, certificate: Path, key: Path) -> dict[str, str]:
    """librdkafka settings to connect to the TLS listeners ``bootstrap`` with a client certificate."""
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SSL",
        "ssl.ca.location": str(ca),
        "ssl.certificate.location": str(certificate),
        "ssl.key.location": str(key),
    }


def _tls_listener_properties(tls: ListenerTls) -> dict[str, str]:
    """Kafka's SSL listener: PEM files, a client certificate required, CN mapped to the principal."""
    prefix = f"listener.name.{TLS_LISTENER.lower()}.ssl"
    return {
        f"{prefix}.keystore.type": "PEM",
        f"{prefix}.keystore.location": str(tls.keystore),
        f"{prefix}.truststore.type": "PEM",
        f"{prefix}.truststore.location": str(tls.truststore),
        f"{prefix}.client.auth": "required",
        f"{prefix}.principal.mapping.rules": TLS_PRINCIPAL_RULES,
    }


def _jaas_quote(value: str) -> str:
    if '"' in value or "\\" in value or "\n" in value:
        raise ValueError("a JAAS value may not contain quotes, backslashes or newlines")
    return f'"{value}"'


def secure_listener_properties(
    broker_password: str, listener: str = "SASL_PLAINTEXT", tls: ListenerTls | None = None
) -> dict[str, str]:
    """The security part of a node's ``server.properties`` (the listeners are set by the caller).

    With ``tls`` the node also has the mutual-TLS listener ``SSL``; SASL stays inter-broker.
    """
    name = listener.lower()
    pw = _jaas_quote(broker_password)
    user = _jaas_quote(BROKER_PRINCIPAL)
    protocols = f"CONTROLLER:SASL_PLAINTEXT,{listener}:SASL_PLAINTEXT"
    if tls is not None:
        protocols += f",{TLS_LISTENER}:SSL"
    properties = {
        "listener.security.protocol.map": protocols,
        "inter.broker.listener.name": listener,
        "sasl.enabled.mechanisms": SCRAM_MECHANISM,
        "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
        f"listener.name.{name}.sasl.enabled.mechanisms": SCRAM_MECHANISM,
        f"listener.name.{name}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config": (
            f"org.apache.kafka.common.security.scram.ScramLoginModule required username={user} password={pw};"
        ),
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f"username={user} password={pw} user_{BROKER_PRINCIPAL}={pw};"
        ),
        "authorizer.class.name": AUTHORIZER,
        "allow.everyone.if.no.acl.found": "false",
        "super.users": ";".join(f"User:{p}" for p in SUPER_USERS),
    }
    if tls is not None:
        properties.update(_tls_listener_properties(tls))
    return properties
