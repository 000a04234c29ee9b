"""The agency side of Pentameter: agencies publish schema-validated, signed events to Kafka.

The front door is :class:`AgencyPublisher`, one per agency::

    from producers import AgencyPublisher

    with AgencyPublisher("police.gloucestershire") as publisher:
        publisher.publish(record)   # RecordInvalid names the field at once; DeliveryFailed on close

Around it: :func:`producers.ingest.ingest` for JSON Lines and CSV files (``pentameter ingest``),
:func:`generate` for seeded Pentameter 2 scenarios with ground truth (``pentameter generate``).
Agency ids and ingress topics live in :mod:`producers.agencies`.
"""

from producers.agencies import (
    Agency,
    agencies,
    agency,
    deployed_ingress_topic,
    ingress_topic,
    police_agency,
)
from producers.exceptions import (
    DeliveryFailed,
    MappingError,
    ProducersError,
    PublisherClosed,
    ScenarioError,
    UnknownAgency,
)
from producers.generator import Generated, generate
from producers.publisher import AgencyPublisher, DeliveryReport
from schemas.exceptions import RecordInvalid

__all__ = [
    "Agency",
    "AgencyPublisher",
    "DeliveryFailed",
    "DeliveryReport",
    "Generated",
    "MappingError",
    "ProducersError",
    "PublisherClosed",
    "RecordInvalid",
    "ScenarioError",
    "UnknownAgency",
    "agencies",
    "agency",
    "deployed_ingress_topic",
    "generate",
    "ingress_topic",
    "police_agency",
]
