"""Which Kafka to talk to: an explicit cluster from the environment, else the local broker.

Every client in the project (publishers, router, partner consumers, tooling) takes its base
configuration from here, so pointing the whole system at another cluster is one variable.
"""

from __future__ import annotations

from typing import Any

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
