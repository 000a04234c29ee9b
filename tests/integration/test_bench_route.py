"""`pentameter bench route` against the real broker: a tiny run gives every figure, loses nothing,
and leaves no topics behind."""

from __future__ import annotations

import time

import pytest
from confluent_kafka.admin import AdminClient

from bench.route import run_route_bench

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

EVENTS = 600
RATE = 200
SECONDS = 3.0


def test_tiny_route_benchmark_measures_everything_and_loses_nothing(
    kafka_bootstrap: str, kafka_admin: AdminClient
) -> None:
    result = run_route_bench(kafka_bootstrap, events=EVENTS, rate=RATE, latency_seconds=SECONDS)

    assert {"machine", "events", "workload", "fan_out", "batch", "pass_through", "router"} <= set(result)
    assert {"router_vs_pass_through", "latency"} <= set(result)
    assert result["events"] == EVENTS
    assert result["machine"]["cpus"] > 0 and result["machine"]["python"]
    assert result["fan_out"] > 0 and result["batch"]["router_batch_max_events"] > 0

    raw, routed, latency = result["pass_through"], result["router"], result["latency"]
    for phase in (raw, routed):
        assert phase["events"] == EVENTS
        for figure in ("records_out", "seconds", "transactions", "events_per_second", "records_per_second"):
            assert phase[figure] > 0, figure
    assert result["router_vs_pass_through"] > 0

    # Where the router's CPU went: sampled stages, the main ones named, adding up to about its CPU.
    stages = result["router_stages_us_per_event"]
    assert result["router_stage_samples"] > 0
    # Only stages certain to be sampled in 600 events are named: at 1 ms of CPU per sample, the
    # plans (~100 ms here) and encoding (~25 ms) always are, decoding (a few ms, native) may not be.
    assert {"encode partner records", "policy: plans and rules"} <= set(stages)
    assert sum(stages.values()) >= 0.5 * routed["cpu_us_per_event"], (stages, routed["cpu_us_per_event"])

    # No loss: the router delivered exactly what the agreements say the consumed events produce.
    assert routed["dead_letters"] == 0 and routed["aborts"] == 0
    assert routed["lost"] == 0 and routed["records_out"] == routed["expected_deliveries"]
    assert routed["records_out"] == round(result["fan_out"] * EVENTS)
    assert raw["records_out"] == pytest.approx(routed["records_out"], abs=1)  # same fan-out

    assert latency["published"] == int(RATE * SECONDS)
    assert latency["expected"] > 0 and latency["samples"] == latency["expected"]
    assert latency["missing"] == 0 and latency["duplicates"] == 0
    assert latency["router_dead_letters"] == 0
    assert latency["router_consumed"] >= latency["published"]
    for figure in ("achieved_rate", "p50_ms", "p95_ms", "p99_ms", "max_ms"):
        assert latency[figure] > 0, figure
    assert latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]

    assert latency["drain_seconds"] >= 0
    assert not _leftover_topics(kafka_admin, result["topic_prefix"]), "the run deletes its topics"


def _leftover_topics(admin: AdminClient, prefix: str) -> list[str]:
    """The run's topics still listed after a few seconds (deletion reaches metadata asynchronously)."""
    deadline = time.monotonic() + 15
    while True:
        left = [t for t in admin.list_topics(timeout=30).topics if t.startswith(prefix)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)
