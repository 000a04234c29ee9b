"""The errors of the ``pentameter`` commands themselves (the tree is drawn in :mod:`errors`)."""

from __future__ import annotations

from errors import PentameterError


class DemoError(PentameterError):
    """The demo could not go on."""


class AclsNotEnforced(DemoError):
    """The broker did not enforce a principal's ACLs in time."""


class HostileUndelivered(DemoError):
    """Hostile records were not delivered to the ingress topic."""
