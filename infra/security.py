"""Security of the secure local cluster: who the operators are and how clients authenticate.

Clients and brokers authenticate with SASL SCRAM-SHA-512 on a SASL_PLAINTEXT listener: bound to
loopback only, so passwords are hashed in the SCRAM exchange but records travel unencrypted (no
TLS on 127.0.0.1). The controller listener uses SASL PLAIN with the broker's own credential held
in the node's 0600 ``server.properties`` (KRaft controllers cannot use SCRAM, whose credentials
live in the metadata log they serve). Authorization is Kafka's ``StandardAuthorizer`` with no
access unless an ACL grants it; only the operators below are super users.
"""

from __future__ import annotations

SCRAM_MECHANISM = "SCRAM-SHA-512"
SECURITY_PROTOCOL = "SASL_PLAINTEXT"
BROKER_PRINCIPAL = "broker"
"""The brokers' own principal (inter-broker and broker-to-controller traffic)."""
OPERATOR_PRINCIPAL = "operator"
"""The human/tooling operator: topics, ACLs and credentials are managed as this principal."""
SUPER_USERS = (BROKER_PRINCIPAL, OPERATOR_PRINCIPAL)
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SCRAM_ITERATIONS = 8192


def sasl_client_config(bootstrap: str, principal: str, password: str) -> dict[str, str]:
    """librdkafka settings to connect to ``bootstrap`` as ``principal``."""
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": SECURITY_PROTOCOL,
        "sasl.mechanism": SCRAM_MECHANISM,
        "sasl.username": principal,
        "sasl.password": password,
    }


def _jaas_quote(value: str) -> str:
    if '"' in value or "\\" in value or "\n" in value:
        raise ValueError("a JAAS value may not contain quotes, backslashes or newlines")
    return f'"{value}"'


def secure_listener_properties(broker_password: str, listener: str = "SASL_PLAINTEXT") -> dict[str, str]:
    """The security part of a node's ``server.properties`` (the listeners are set by the caller)."""
    name = listener.lower()
    pw = _jaas_quote(broker_password)
    user = _jaas_quote(BROKER_PRINCIPAL)
    return {
        "listener.security.protocol.map": f"CONTROLLER:SASL_PLAINTEXT,{listener}:SASL_PLAINTEXT",
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
