"""The ``consumers`` package's errors: why routing or reading stopped (the tree is in :mod:`errors`)."""

from __future__ import annotations

from errors import PentameterError


class ConsumersError(PentameterError):
    """Base class of every error of the router, the partner SDK and the operator tools."""


class ReadFailed(ConsumersError):
    """The broker refused a read: another partner's topic or group, a revoked user, a lost topic."""


class TopicNotReadable(ReadFailed):
    """No ACL lets this principal read the topic (a partner asking for another's schemas)."""


class NoGovernanceTopic(ConsumersError):
    """A projection schema for a partner that has no governance topic of its own."""


class KitError(ConsumersError, ValueError):
    """A partner kit that cannot be read; the message names the file and what is wrong."""


class Undelivered(ConsumersError):
    """Messages the broker did not acknowledge."""


class RouterStopped(ConsumersError):
    """A router worker stops by itself for its supervisor to restart (nothing uncommitted is lost)."""


class ConsumerStalled(RouterStopped):
    """Nothing was read for the stall limit while records wait on the worker's partitions."""


class WindowNotRebuilt(RouterStopped):
    """The window of routed events cannot be read back from the audit ledger."""


class AnalyticsStopped(ConsumersError):
    """The analytics worker has exited (the message carries its log's tail)."""
