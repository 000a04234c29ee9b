"""A private secure cluster's environment for a test module: its own state directory, free ports,
the shared jar cache, and none of the outer run's cluster, principal or topic prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.ports import free_port_range
from infra.settings import Settings, load_settings
from tests.support.orphans import claim

OUTER_VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "PENTAMETER_PRINCIPAL",
    "PENTAMETER_AUTH",
    "PENTAMETER_TOPIC_PREFIX",
)
PORTS_PER_NODE = 3
"""A secure node's SASL client, controller and mutual-TLS ports (``infra/broker/config.py``)."""


def private_secure_settings(mp: pytest.MonkeyPatch, home: Path, first_port: int, nodes: int = 1) -> Settings:
    """Point every setting at ``home`` and free ports for ``nodes`` from ``first_port``; the settings."""
    cache = load_settings().kafka_cache
    claim(home)  # a test process that dies hard leaves this cluster to the next session's sweep
    mp.setenv("PENTAMETER_KAFKA_CACHE", str(cache))
    mp.setenv("PENTAMETER_HOME", str(home))
    mp.setenv("PENTAMETER_SECURE_BROKER_PORT", str(free_port_range(PORTS_PER_NODE * nodes, first=first_port)))
    mp.setenv("PENTAMETER_BROKER_HEAP", "384m")
    for name in OUTER_VARIABLES:
        mp.delenv(name, raising=False)
    return load_settings()
