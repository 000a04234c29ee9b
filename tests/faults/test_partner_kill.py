"""A partner consumer SIGKILLed mid-stream and restarted handles every record exactly once.

``pentameter partner consume --out F --follow`` commits a record's offset only after its line is in
F, and on a restart drops the events F already holds, so the records handled between its last
commit and the kill are read again but not written again. Each kill here is checked to have left
such records (lines in F beyond the committed offsets), so the test shows the redelivery happening
and being absorbed, not a lucky kill right after a commit.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from consumers.partner import partner_group
from consumers.runtime import Runtime
from tests.integration.pipeline import isolated_runtime, partner_event_ids, publish, sample_events

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.slow]
EVENTS = 2400
YEARS = 18
"""The samples' dates (2008, review dates in 2014) moved this many years on, to now: their review
dates are still ahead, so the partner SDK hands them out."""


def _shifted(value: Any) -> Any:
    if isinstance(value, datetime | date):
        try:
            return value.replace(year=value.year + YEARS)
        except ValueError:  # 29 February
            return value.replace(year=value.year + YEARS, day=28)
    if isinstance(value, dict):
        return {k: _shifted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shifted(v) for v in value]
    return value


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.01)


def _lines(path: Path) -> list[str]:
    """Event ids of the complete lines of ``path``."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(line)["event_id"] for line in text.split("\n")[:-1] if line]


def _committed(runtime: Runtime, group: str, topic: str) -> tuple[int, int]:
    """Offsets of ``topic`` the partner's group has committed, and the topic's end offsets, summed
    over its partitions (transaction markers take offsets too, so neither counts records)."""
    consumer = Consumer({**runtime.client, "group.id": group})
    try:
        partitions = [
            TopicPartition(topic, p) for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ]
        committed = consumer.committed(partitions, timeout=10)
        ends = sum(consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in partitions)
        return sum(max(0, tp.offset) for tp in committed), ends
    finally:
        consumer.close()


def _start(runtime: Runtime, partner: str, out: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PENTAMETER_TOPIC_PREFIX": runtime.settings.topic_prefix,
        "KAFKA_BOOTSTRAP_SERVERS": str(runtime.client["bootstrap.servers"]),
        "PENTAMETER_HOME": str(runtime.settings.home),
    }
    command = [sys.executable, "-m", "pentameter", "partner", "consume", "--partner", partner,
               "--out", str(out), "--follow"]  # fmt: skip
    with log.open("ab") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)


def test_a_partner_consumer_killed_mid_stream_handles_every_record_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    dated = [e for e in sample_events(EVENTS) if e["envelope"]["event_type"] != "DutyToNotify"]  # month only
    events = [_shifted(copy.deepcopy(e)) for e in dated]
    publish(runtime, events)
    runtime.router(runtime.router_settings(batch_max_events=500)).run(idle_timeout=5.0)
    held = partner_event_ids(runtime)
    partner = max(held, key=lambda p: len(held[p]))
    expected = held[partner]
    assert len(expected) > 1000 and len(set(expected)) == len(expected)
    topic, group = runtime.partner_topics[partner], partner_group(partner, runtime.settings.topic_prefix)
    out, log = tmp_path / f"{partner}.jsonl", tmp_path / "consume.log"

    uncommitted_at_kill = []
    for share in (0.2, 0.5, 0.8):
        process = _start(runtime, partner, out, log)
        target = int(len(expected) * share)
        _wait(
            lambda p=process, n=target: len(_lines(out)) >= n or p.poll() is not None, 120, f"{target} lines"
        )
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        assert process.returncode == -signal.SIGKILL, log.read_text()[-2000:]
        uncommitted_at_kill.append(len(_lines(out)) - _committed(runtime, group, topic)[0])

    process = _start(runtime, partner, out, log)
    _wait(lambda: len(_lines(out)) >= len(expected), 120, f"all {len(expected)} records in {out}")
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-2000:]

    written = _lines(out)
    repeated = {e: n for e, n in Counter(written).items() if n > 1}
    assert not repeated, f"handled twice: {repeated}"
    assert sorted(written) == sorted(expected), "every record handled, none lost"
    assert any(n > 0 for n in uncommitted_at_kill), (
        f"no kill left handled records uncommitted ({uncommitted_at_kill}): the redelivery was not tested"
    )
    committed, ends = _committed(runtime, group, topic)
    assert committed == ends, "everything handled is committed"
