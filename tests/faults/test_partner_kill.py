"""A partner consumer SIGKILLed mid-stream and restarted handles every record exactly once.

``pentameter partner consume --out F --follow`` commits a record's offset only after its line is in
F, and on a restart drops the events F already holds, so the records handled between its last
commit and the kill are read again but not written again. Each kill here is checked to have left
such records (lines in F beyond the committed offsets), so the test shows the redelivery happening
and being absorbed, not a lucky kill right after a commit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from consumers.partner import partner_group
from consumers.runtime import Runtime
from consumers.topic_reader import read_topic
from schemas.wire import Codec
from tests.integration.pipeline import current_events, isolated_runtime, partner_event_ids, publish
from tests.support.kafka import free_port

pytestmark = [pytest.mark.faults, pytest.mark.kafka, pytest.mark.slow]
EVENTS = 1600


def _wait(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def _serving(port: int) -> bool:
    """Does a process answer for metrics on ``port`` (it set its SIGTERM handler before that)?"""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2):
            return True
    except OSError:
        return False


def _lines(path: Path) -> list[str]:
    """Event ids of the complete lines of ``path``."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(line)["event_id"] for line in text.split("\n")[:-1] if line]


def _uncommitted(written: list[str], where: dict[str, tuple[int, int]], committed: dict[int, int]) -> int:
    """How many handled records (lines written) sit at or past their partition's committed offset:
    handled but not committed, so read again after a kill. Counted record by record, by where each
    event is on the topic; a count of lines against a sum of offsets is not one, since transaction
    markers take offsets too and would hide uncommitted records."""
    return sum(1 for event in written if where[event][1] >= committed.get(where[event][0], 0))


def _committed(runtime: Runtime, group: str, topic: str) -> dict[int, int]:
    """Partition -> the offset the partner's group has committed on ``topic`` (transaction markers
    take offsets too: an offset is not a count of records)."""
    consumer = Consumer({**runtime.client, "group.id": group})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        committed = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return {tp.partition: max(0, tp.offset) for tp in committed}
    finally:
        consumer.close()


def _start(
    runtime: Runtime, partner: str, out: Path, log: Path, metrics_port: int = 0
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PENTAMETER_TOPIC_PREFIX": runtime.settings.topic_prefix,
        "KAFKA_BOOTSTRAP_SERVERS": str(runtime.client["bootstrap.servers"]),
        "PENTAMETER_HOME": str(runtime.settings.home),
    }
    command = [sys.executable, "-m", "pentameter", "partner", "consume", "--partner", partner,
               "--out", str(out), "--follow", "--metrics-port", str(metrics_port)]  # fmt: skip
    with log.open("ab") as sink:
        return subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)


def test_a_partner_consumer_killed_mid_stream_handles_every_record_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    events = current_events(EVENTS)
    publish(runtime, events)
    runtime.router(runtime.router_settings(batch_max_events=500)).run(idle_timeout=5.0)
    held = partner_event_ids(runtime)
    partner = max(held, key=lambda p: len(held[p]))
    expected = held[partner]
    assert len(expected) > 1000 and len(set(expected)) == len(expected)
    topic, group = runtime.partner_topics[partner], partner_group(partner, runtime.settings.topic_prefix)
    out, log = tmp_path / f"{partner}.jsonl", tmp_path / "consume.log"
    codec = Codec(runtime.catalogue)
    where: dict[str, tuple[int, int]] = {}  # event id -> (partition, offset) on the partner's topic
    for record in read_topic(runtime.client, topic):
        assert record.value is not None
        decoded = codec.decode(record.value)[1]
        envelope = decoded.get("envelope", decoded)
        where[str(envelope["event_id"])] = (record.partition, record.offset)

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
        uncommitted_at_kill.append(_uncommitted(_lines(out), where, _committed(runtime, group, topic)))

    # the last process is stopped in the states the checks below need, never at a guessed moment:
    # running (its SIGTERM handler is set before it serves metrics; the killed processes may have
    # written every line already), every record written, and every record committed by the group
    last: dict[int, int] = {}
    for record in read_topic(runtime.client, topic):
        last[record.partition] = record.offset
    port = free_port()
    process = _start(runtime, partner, out, log, metrics_port=port)
    _wait(lambda: _serving(port) or process.poll() is not None, 120, f"the partner process serving on {port}")
    _wait(lambda: len(_lines(out)) >= len(expected), 120, f"all {len(expected)} records in {out}")
    _wait(
        lambda: all(_committed(runtime, group, topic).get(p, 0) > o for p, o in last.items()),
        120,
        f"{group} committing every record of {topic}",
        every=0.5,
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0, log.read_text()[-2000:]

    written = _lines(out)
    repeated = {e: n for e, n in Counter(written).items() if n > 1}
    assert not repeated, f"handled twice: {repeated}"
    assert sorted(written) == sorted(expected), "every record handled, none lost"
    assert any(n > 0 for n in uncommitted_at_kill), (
        f"no kill left handled records uncommitted ({uncommitted_at_kill}): the redelivery was not tested"
    )
    committed = _committed(runtime, group, topic)
    assert all(committed[p] > offset for p, offset in last.items()), "everything handled is committed"
