"""`pentameter bench publish` runs against the real broker and cleans up its topic."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient

from bench.publish import run

pytestmark = pytest.mark.kafka


def _bench_topics(admin: AdminClient) -> set[str]:
    return {t for t in admin.list_topics(timeout=30).topics if t.startswith("pentameter.bench.")}


def test_bench_measures_every_stage_and_deletes_its_topic(
    kafka_bootstrap: str, kafka_admin: AdminClient
) -> None:
    before = _bench_topics(kafka_admin)
    result = run(kafka_bootstrap, events=1500)
    data = result.to_json()
    assert list(data["stages"]) == ["validate", "encode", "sign", "produce"]
    assert all(
        stage["events"] == 1500 and stage["events_per_second"] > 0 for stage in data["stages"].values()
    )
    assert data["end_to_end"]["events"] == 1500
    assert data["broker_acknowledged"]["events"] == 1500
    assert round(sum(s["share"] for s in data["stages"].values()), 2) == 1
    assert _bench_topics(kafka_admin) <= before
