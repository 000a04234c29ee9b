"""Errors the local broker manager raises, each phrased so an operator can act on it.

The whole tree, this family in it, is drawn in :mod:`errors` under :class:`errors.PentameterError`.
"""

from __future__ import annotations

from infra.exceptions import InfraError


class BrokerError(InfraError):
    """Base class: something stopped the local Kafka cluster from being managed."""


class ToolMissing(BrokerError):
    """A required program (Java 17+, Maven) is not installed or not on PATH."""


class FetchFailed(BrokerError):
    """Maven failed to copy the Kafka jars into the cache."""


class PortInUse(BrokerError):
    """A listener port is already bound by a process this tool did not start."""


class StartFailed(BrokerError):
    """A node process exited or never answered; the message ends with its log tail."""


class ClusterMismatch(BrokerError):
    """`up` was asked for a shape that differs from the cluster already running."""
