"""The router's Prometheus endpoint counts what it did, and JSON logs carry ids, never values."""

from __future__ import annotations

import io
import json
import logging
import urllib.request

import pytest

from consumers.metrics import JsonFormatter, RouterMetrics
from pentameter.hostile import inject_hostile
from tests.integration.pipeline import AGENCY, expected_deliveries, isolated_runtime, publish, sample_events
from tests.support.kafka import free_port

pytestmark = pytest.mark.kafka


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if head == (f"{name}{{{wanted}}}" if wanted else name):
            return float(value)
    raise AssertionError(f"{name} {labels} not in metrics")


def test_router_metrics_count_events_records_and_dead_letters(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    events = sample_events(24)
    publish(runtime, events)
    hostile = inject_hostile(runtime, AGENCY, "police.metropolitan", events[0])
    metrics = RouterMetrics()
    port = free_port()
    metrics.serve(port)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("pentameter.router").addHandler(handler)
    try:
        router = runtime.router(runtime.router_settings(group_id="router-metrics"), metrics=metrics)
        router.run(idle_timeout=4.0)
    finally:
        logging.getLogger("pentameter.router").removeHandler(handler)
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()

    assert _sample(text, "pentameter_router_events_in_total") == len(events) + len(hostile)
    for reason in set(hostile.values()):
        assert _sample(text, "pentameter_router_dead_letters_total", reason=reason) == list(
            hostile.values()
        ).count(reason)
    expected = expected_deliveries(runtime, events)
    for partner, ids in expected.items():
        topic = runtime.partner_topics[partner]
        assert _sample(text, "pentameter_router_records_out_total", partner_topic=topic) == len(ids)
    assert _sample(text, "pentameter_router_transaction_seconds_count") >= 1

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    dead = [line for line in lines if line["message"] == "dead letter"]
    assert len(dead) == len(hostile)
    assert all(line["source"].startswith(runtime.topic("pentameter.ingress.")) for line in dead)
    assert all(set(line) <= {"ts", "level", "logger", "message", "source", "reason"} for line in dead)
