"""The local Apache Kafka cluster: fetched from Maven Central, run in KRaft mode on loopback."""

from infra.broker.errors import BrokerError
from infra.broker.local import LocalCluster

__all__ = ["BrokerError", "LocalCluster"]
