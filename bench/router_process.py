"""A router worker as its own operating-system process, for the soak and scale benchmarks.

Both need what only a separate process shows: the resident memory of the router alone (read from
``/proc/<pid>/status``), and workers that do not share one interpreter lock. The worker is the real
command, ``pentameter router run --worker N``, pointed at a benchmark's topic namespace through the
same environment variables an operator would set.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from confluent_kafka import Consumer, ConsumerGroupState, TopicPartition
from confluent_kafka.admin import AdminClient

from consumers.runtime import Runtime

_STATS = re.compile(  # the closing line may be wrapped by the console: any whitespace between words
    r"consumed\s+(\d+),\s+delivered\s+(\d+)\s+partner\s+records,\s+(\d+)\s+dead\s+letters,"
    r"\s+(\d+)\s+transactions,\s+(\d+)\s+aborts"
)
_ASSIGNED = re.compile(r"assigned \[[^\]]")


def terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM a router process (it finishes its batch and closes), SIGKILL it after ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


@dataclass(frozen=True)
class WorkerStats:
    """What a worker printed when it stopped."""

    consumed: int
    delivered: int
    dead_letters: int
    transactions: int
    aborts: int


class RouterProcess:
    """One ``pentameter router run`` process with its output in a file (a pipe could fill and stall it)."""

    def __init__(self, runtime: Runtime, worker: int, workdir: Path, *args: str) -> None:
        self.worker = worker
        self.log_path = workdir / f"router-{worker}.log"
        env = {
            **os.environ,
            "PENTAMETER_TOPIC_PREFIX": runtime.settings.topic_prefix,
            "KAFKA_BOOTSTRAP_SERVERS": str(runtime.client["bootstrap.servers"]),
            "PENTAMETER_HOME": str(runtime.settings.home),
        }
        env.pop("PENTAMETER_METRICS_PORT", None)
        self._log: IO[bytes] = self.log_path.open("wb")
        command = [sys.executable, "-m", "pentameter", "router", "run", "--worker", str(worker), *args]
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def assigned(self) -> bool:
        """True once the worker logged a non-empty partition assignment (it is consuming)."""
        return bool(_ASSIGNED.search(self.output()))

    def rss_bytes(self) -> int:
        """Resident memory now, from /proc (0 once the process has gone)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def wait(self, timeout: float) -> int:
        """Wait for the worker to exit by itself (idle exit); SIGTERM then SIGKILL after ``timeout``."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.stop()

    def stop(self, timeout: float = 60) -> int:
        """Ask the worker to finish its batch and exit (SIGTERM), killing it if it does not."""
        terminate(self.process, timeout)
        self._log.close()
        return int(self.process.returncode)

    def close(self) -> None:
        """Stop the worker if it still runs and release the log file."""
        self.stop()

    def stats(self) -> WorkerStats | None:
        """The closing figures the worker printed (None if it printed none: it did not stop cleanly)."""
        match = _STATS.search(self.output())
        if match is None:
            return None
        return WorkerStats(*(int(g) for g in match.groups()))


def wait_until_assigned(
    workers: list[RouterProcess],
    runtime: Runtime | None = None,
    group: str | None = None,
    timeout: float = 120.0,
) -> float:
    """Seconds until every worker holds partitions (and, given ``runtime`` and ``group``, the group is
    stable with every member assigned some); RuntimeError naming a worker that died or never did."""
    started = time.monotonic()
    admin = AdminClient(runtime.client) if runtime is not None and group is not None else None
    while time.monotonic() - started < timeout:
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(f"router worker {worker.worker} exited early:\n{worker.output()[-2000:]}")
        if all(w.assigned() for w in workers) and (admin is None or _stable(admin, str(group), len(workers))):
            return time.monotonic() - started
        time.sleep(0.2)
    late = [w.worker for w in workers if not w.assigned()]
    raise RuntimeError(f"router worker(s) {late or 'of the group'} held no partitions after {timeout:.0f} s")


def _stable(admin: AdminClient, group: str, members: int) -> bool:
    """True when ``group`` has finished rebalancing with ``members`` members, each holding partitions."""
    try:
        description = admin.describe_consumer_groups([group])[group].result(timeout=30)
    except Exception:  # the group may not exist yet while workers join
        return False
    assigned = [m for m in description.members if m.assignment and m.assignment.topic_partitions]
    return bool(description.state == ConsumerGroupState.STABLE and len(assigned) == members)


def wait_until_committed(runtime: Runtime, group: str, workers: list[RouterProcess], timeout: float) -> float:
    """Seconds until ``group`` has committed every ingress partition up to its end offset (all input
    routed); RuntimeError when a worker dies or time runs out."""
    consumer = Consumer({**runtime.client, "group.id": group, "enable.auto.commit": False})
    started = time.monotonic()
    try:
        topics = sorted(runtime.ingress_topics)
        metadata = consumer.list_topics(timeout=30).topics
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(metadata[t].partitions)]
        ends = {
            (tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=30)[1] for tp in partitions
        }
        while time.monotonic() - started < timeout:
            for worker in workers:
                if worker.process.poll() is not None:
                    raise RuntimeError(
                        f"router worker {worker.worker} exited early:\n{worker.output()[-2000:]}"
                    )
            committed = consumer.committed(partitions, timeout=30)
            if all(
                tp.offset >= ends[(tp.topic, tp.partition)]
                for tp in committed
                if ends[(tp.topic, tp.partition)]
            ):
                return time.monotonic() - started
            time.sleep(0.5)
    finally:
        consumer.close()
    raise RuntimeError(f"the routers had not committed all their input after {timeout:.0f} s")
