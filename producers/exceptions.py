"""Errors raised by the agency side. Every one says what to fix, naming the event, file or key.

A record that breaks its schema or the domain rules raises
:class:`schemas.exceptions.RecordInvalid` (re-exported by :mod:`producers`), whose issues name
the record, the field and the reason, before anything is sent.

The whole tree, this family in it, is drawn in :mod:`errors` under :class:`errors.PentameterError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from errors import NotFound, PentameterError


class ProducersError(PentameterError):
    """Base class of the errors of the agency side."""


class UnknownAgency(ProducersError, NotFound):
    """The agency id is not a known agency."""


class PublisherClosed(ProducersError):
    """The publisher was closed; make a new one."""


@dataclass(frozen=True)
class Undelivered:
    """One event the broker did not acknowledge, and why."""

    event_id: str
    reason: str


class DeliveryFailed(ProducersError):
    """Some events were not delivered (broker refused them, or time ran out).

    ``failures`` lists each event id with its reason; ``event_ids`` just the ids, in the order the
    failures were reported.
    """

    def __init__(self, failures: Sequence[Undelivered]) -> None:
        self.failures: tuple[Undelivered, ...] = tuple(failures)
        shown = "; ".join(f"{f.event_id}: {f.reason}" for f in self.failures[:5])
        more = f" (and {len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
        super().__init__(f"{len(self.failures)} event(s) not delivered: {shown}{more}")

    @property
    def event_ids(self) -> list[str]:
        return [f.event_id for f in self.failures]


class MappingError(ProducersError):
    """A CSV column-mapping file cannot be used."""


class ScenarioError(ProducersError):
    """The generator cannot build the requested scenario."""
