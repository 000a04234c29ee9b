"""Which Kafka to talk to: an explicit cluster from the environment, else the local broker.

Every client in the project (publishers, router, partner consumers, tooling) takes its base
configuration from here, so pointing the whole system at another cluster is one variable.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from infra.broker.local import LocalCluster
from infra.settings import Settings, load_settings


def bootstrap_servers(settings: Settings | None = None) -> str:
    """``KAFKA_BOOTSTRAP_SERVERS`` when set, otherwise the local cluster's client addresses."""
    settings = settings or load_settings()
    if settings.bootstrap_servers:
        return settings.bootstrap_servers
    return LocalCluster(settings).bootstrap_servers()


def principal_config(principal: str, settings: Settings | None = None, tls: bool = False) -> dict[str, Any]:
    """Connect as ``principal`` to the secure cluster: SASL SCRAM settings with its stored password,
    or with ``tls`` its client certificate on the TLS listeners (issued on first use).

    The bootstrap is ``KAFKA_BOOTSTRAP_SERVERS`` when set, otherwise the secure local cluster's.
    """
    settings = settings or load_settings()
    cluster = LocalCluster(settings, secure=True)
    config: dict[str, Any] = (
        cluster.tls_client_config_for(principal) if tls else cluster.client_config_for(principal)
    )
    if settings.bootstrap_servers:
        config["bootstrap.servers"] = settings.bootstrap_servers
    return config


def client_config(settings: Settings | None = None, **overrides: Any) -> dict[str, Any]:
    """Base librdkafka configuration (dotted keys pass straight through as overrides).

    With ``PENTAMETER_PRINCIPAL`` set, the client authenticates to the secure cluster as that
    principal (see ``principal_config``), by mutual TLS when ``PENTAMETER_AUTH=tls``; otherwise it
    connects without authentication.
    """
    settings = settings or load_settings()
    if settings.principal:
        config = principal_config(settings.principal, settings, tls=settings.auth == "tls")
    else:
        config = {"bootstrap.servers": bootstrap_servers(settings)}
    config.update({k.replace("_", "."): v for k, v in overrides.items()})
    return config


class ConnectionFailed(Exception):
    """A client with these settings cannot talk to the cluster; the message says why and what to try."""


_GIVE_UP_AT_ONCE = frozenset({KafkaError._AUTHENTICATION, KafkaError._ALL_BROKERS_DOWN, KafkaError._SSL})


def check_connection(config: Mapping[str, Any], timeout: float = 15.0) -> None:
    """Return when a client with ``config`` gets the cluster's metadata; raise ConnectionFailed at
    the first sign it never will (every broker refused or dropped it, authentication failed), or
    after ``timeout`` seconds, instead of letting a producer retry for a minute in silence.

    A client without credentials on a SASL or TLS listener is dropped by the broker at once, so it
    fails here in a second or two with a hint to set ``PENTAMETER_PRINCIPAL``.
    """
    errors: list[KafkaError] = []
    settings: dict[str, Any] = {**config, "error_cb": errors.append}
    admin = AdminClient(settings)
    deadline = time.monotonic() + timeout
    while True:
        try:
            admin.list_topics(timeout=1.0)
            return
        except KafkaException as exc:
            admin.poll(0)  # serves the error callbacks
            if time.monotonic() > deadline or any(e.code() in _GIVE_UP_AT_ONCE for e in errors):
                raise ConnectionFailed(_explain(config, errors, exc)) from None


def _explain(config: Mapping[str, Any], errors: list[KafkaError], exc: KafkaException) -> str:
    bootstrap = config.get("bootstrap.servers", "?")
    user = config.get("sasl.username") or config.get("ssl.certificate.location")
    who = f"as {user}" if user else "without authentication"
    first = next((e for e in errors if e.code() == KafkaError._AUTHENTICATION), None) or (
        errors[0] if errors else None
    )
    reason = first.str() if first is not None else str(exc)
    hint = (
        "; if this cluster needs authentication, set PENTAMETER_PRINCIPAL (see `pentameter creds show`)"
        if not user
        else ""
    )
    return f"cannot reach Kafka at {bootstrap} {who}: {reason}{hint}"
