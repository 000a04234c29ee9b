"""The public surface of producers is small, sorted and pinned."""

from __future__ import annotations

import producers


def test_public_surface() -> None:
    assert producers.__all__ == sorted(producers.__all__)
    assert producers.__all__ == [
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
    for name in producers.__all__:
        assert getattr(producers, name) is not None
