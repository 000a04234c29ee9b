"""A partner can resolve every schema it will meet from the governance topic alone."""

from __future__ import annotations

import pytest

from consumers.governance_io import fetch_catalogue
from consumers.partner import PartnerReader, PartnerRecord
from consumers.runtime import ROUTER_IDENTITY
from consumers.topic_reader import read_topic
from infra.topics import GOVERNANCE_TOPIC
from tests.integration.pipeline import isolated_runtime, publish, sample_events

pytestmark = pytest.mark.kafka


def test_partner_decodes_its_topic_with_only_the_governance_topic(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)  # publishes the catalogue, projections included
    fetched = fetch_catalogue(runtime.client, runtime.topic(GOVERNANCE_TOPIC))
    local = {(e.name, e.version): e.fingerprint for e in runtime.catalogue}
    remote = {(e.name, e.version): e.fingerprint for e in fetched}
    assert remote == local
    assert any(e.kind == "projection" for e in fetched)

    publish(runtime, sample_events(16))
    runtime.router(runtime.router_settings(group_id="router-governance")).run(idle_timeout=4.0)
    topic = runtime.partner_topics["nca.ukhtc"]
    reader = PartnerReader(
        "nca.ukhtc", fetched, runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get, None, lambda e: ()
    )
    records = [
        reader.read(r.topic, r.partition, r.offset, r.key, r.value, r.headers)
        for r in read_topic(runtime.client, topic)
    ]
    assert records and all(isinstance(r, PartnerRecord) for r in records)
