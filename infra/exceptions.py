"""The root of the ``infra`` package's errors (the tree is drawn in :mod:`errors`)."""

from __future__ import annotations

from errors import NotFound, PentameterError


class InfraError(PentameterError):
    """Base class: the platform (broker, connection, credentials, keys, topics) is not as needed."""


class NoFreePorts(InfraError):
    """No run of free consecutive ports in the range asked for."""


class TopicPlanFailed(InfraError):
    """The broker refused some of the topic changes of a plan (each one named)."""


class KeyStoreError(InfraError):
    """The key store cannot give the key asked for."""


class NoSuchKey(KeyStoreError, NotFound):
    """No key of that id or name."""
