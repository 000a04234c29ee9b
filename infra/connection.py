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


def client_config(settings: Settings | None = None, **overrides: Any) -> dict[str, Any]:
    """Base librdkafka configuration (dotted keys pass straight through as overrides)."""
    config: dict[str, Any] = {"bootstrap.servers": bootstrap_servers(settings)}
    config.update({k.replace("_", "."): v for k, v in overrides.items()})
    return config
