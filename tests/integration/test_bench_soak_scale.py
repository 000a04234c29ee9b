"""`pentameter bench soak` and `bench scale` against the real broker: router processes route every
event, memory is sampled from /proc, and the runs leave no topics behind."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from bench.scale import run_scale
from pentameter.cli import app

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _leftover_topics(admin: AdminClient, prefix: str) -> list[str]:
    deadline = time.monotonic() + 15
    while True:
        left = [t for t in admin.list_topics(timeout=30).topics if t.startswith(prefix)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def test_soak_command_samples_router_memory_and_routes_everything(
    kafka_bootstrap: str, kafka_admin: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    result = CliRunner().invoke(
        app, ["bench", "soak", "--minutes", "0.5", "--rate", "100", "--sample-seconds", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    soak = json.loads(result.stdout[result.stdout.index("{") :])

    assert soak["published"] == pytest.approx(100 * 30, rel=0.05)
    assert soak["router_consumed"] >= soak["published"]  # plus one warm-up event per agency
    assert soak["router_delivered"] > soak["router_consumed"]  # fan-out to several partners
    assert soak["router_dead_letters"] == 0 and soak["router_aborts"] == 0
    assert soak["drained"] and soak["arrived_at_partner"] == soak["expected_at_partner"] > 0
    samples = soak["rss_samples"]
    assert len(samples) >= 14 and all(mib > 20 for _, mib in samples)
    assert [t for t, _ in samples] == sorted(t for t, _ in samples)
    assert soak["rss_peak_mib"] >= max(soak["rss_start_mib"], soak["rss_end_mib"]) > 0
    assert isinstance(soak["rss_growth_mib_per_minute"], float)
    assert isinstance(soak["rss_growth_second_half_mib_per_minute"], float)
    assert 0 < soak["p50_ms"] <= soak["p99_ms"] <= soak["max_ms"]
    assert not _leftover_topics(kafka_admin, soak["topic_prefix"])
    print({k: v for k, v in soak.items() if k not in ("rss_samples", "machine")})


def test_scale_routes_the_same_events_with_one_and_two_router_processes(kafka_bootstrap: str) -> None:
    result = run_scale(kafka_bootstrap, events=1500)
    one, two = result["one"], result["two"]
    assert one["workers"] == 1 and two["workers"] == 2
    assert one["consumed"] == two["consumed"] == 1500
    assert len(one["consumed_by_worker"]) == 1 and len(two["consumed_by_worker"]) == 2
    assert all(n > 0 for n in two["consumed_by_worker"]), "both workers took a share of the partitions"
    assert one["delivered"] == two["delivered"] > 1500
    assert one["dead_letters"] == two["dead_letters"] == 0
    for run in (one, two):
        assert run["seconds"] > 0 and run["events_per_second"] > 0
    assert result["ratio"] == pytest.approx(two["events_per_second"] / one["events_per_second"], rel=0.01)
    print(result["ratio"], one["events_per_second"], two["events_per_second"])
