"""Exactly once across a crash: SIGKILL the router mid-stream, restart it, lose and duplicate nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from consumers.ledger import verify_entries
from consumers.runtime import ROUTER_IDENTITY, Runtime
from consumers.topic_reader import read_topic
from infra.topics import AUDIT_TOPIC
from tests.integration.pipeline import (
    expected_deliveries,
    isolated_runtime,
    partner_event_ids,
    publish,
    sample_events,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
PENTAMETER = str(Path(sys.executable).with_name("pentameter"))


def _committed_records(bootstrap: str, topic: str) -> int:
    """Records on a topic as its high watermarks count them (committed or not)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in metadata.partitions
        )
    finally:
        consumer.close()


ROUTER = [
    PENTAMETER,
    "router",
    "run",
    "--worker",
    "0",
    "--batch",
    "50",
    "--batch-ms",
    "20",
    "--idle-exit",
    "8",
]


def _router(env: dict[str, str], log: Path, worker: int = 0) -> subprocess.Popen[bytes]:
    command = [*ROUTER]
    command[command.index("--worker") + 1] = str(worker)
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def _environment(runtime: Runtime, bootstrap: str) -> dict[str, str]:
    """The environment a router process needs to join this test's isolated deployment."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "PENTAMETER_TOPIC_PREFIX": runtime.settings.topic_prefix,
        "PENTAMETER_HOME": str(runtime.settings.home),
    }


def _assert_exactly_expected(runtime: Runtime, events: list[dict[str, Any]]) -> None:
    got = partner_event_ids(runtime)
    expected = expected_deliveries(runtime, events)
    for partner in runtime.partner_topics:
        ids = got.get(partner, [])
        assert len(ids) == len(set(ids)), f"{partner}: {len(ids) - len(set(ids))} duplicate(s)"
        assert set(ids) == expected.get(partner, set()), f"{partner}: records lost or extra"


def test_sigkill_mid_stream_then_restart_loses_and_duplicates_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    events = sample_events(1600)
    publish(runtime, events)
    env = _environment(runtime, kafka_bootstrap)
    log = tmp_path / "router.log"
    audit = runtime.topic(AUDIT_TOPIC)

    first = _router(env, log)
    deadline = time.monotonic() + 120
    while _committed_records(kafka_bootstrap, audit) < 300 and time.monotonic() < deadline:
        assert first.poll() is None, log.read_text()
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)  # mid-stream: some batches committed, one likely open
    first.wait(30)
    routed_before = _committed_records(kafka_bootstrap, audit)
    assert routed_before > 0, "the router had started routing before it was killed"

    second = _router(env, log)
    assert second.wait(240) == 0, log.read_text()

    got = partner_event_ids(runtime)
    expected = expected_deliveries(runtime, events)
    for partner in runtime.partner_topics:
        ids = got.get(partner, [])
        assert len(ids) == len(set(ids)), (
            f"{partner}: {len(ids) - len(set(ids))} duplicate(s) after the crash"
        )
        assert set(ids) == expected.get(partner, set()), f"{partner}: records lost or extra after the crash"
    report = verify_entries(
        ((r.offset, r.value or b"") for r in read_topic(runtime.client, audit)),
        runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get,
    )
    assert report.ok, [str(p) for p in report.problems]
    decisions = report.entries - report.seals
    assert decisions == len(events), "one committed audit decision per event, none from the aborted batch"


def test_second_worker_joining_a_running_one_shares_the_work_without_loss_or_duplicates(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    first_wave, second_wave = sample_events(2400), sample_events(2400)
    publish(runtime, first_wave)
    env = _environment(runtime, kafka_bootstrap)
    audit = runtime.topic(AUDIT_TOPIC)
    first = _router(env, tmp_path / "worker0.log", 0)
    deadline = time.monotonic() + 120
    while _committed_records(kafka_bootstrap, audit) < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    second_log = tmp_path / "worker1.log"
    second = _router(env, second_log, 1)  # partitions move from the running worker
    while "assigned ['" not in second_log.read_text() and time.monotonic() < deadline:
        assert second.poll() is None, second_log.read_text()
        time.sleep(0.1)
    publish(runtime, second_wave)  # spread over every partition, so both workers have work
    assert first.wait(240) == 0 and second.wait(240) == 0

    _assert_exactly_expected(runtime, first_wave + second_wave)
    assert "consumed 0," not in second_log.read_text(), "the second worker took a share of the work"
