"""The session-start sweep stops Kafka nodes whose owning test process is gone, and only those."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.orphans import OWNER_FILE, claim, sweep


def _dead_pid() -> int:
    """The pid of a test process that has exited."""
    probe = subprocess.Popen([sys.executable, "-c", "pass"])
    probe.wait()
    return probe.pid


@pytest.fixture
def nodes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def _fake_node(home: Path, started: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """A process whose command line reads like a Kafka node of the cluster in ``home``."""
    config = home / "broker" / "node-1" / "server.properties"
    config.parent.mkdir(parents=True)
    config.write_text("node.id=1\n")
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "kafka.Kafka", str(config)]
    )
    started.append(process)
    return process


def test_nodes_of_a_dead_owner_are_stopped_and_others_left_running(
    tmp_path: Path, nodes: list[subprocess.Popen[bytes]]
) -> None:
    orphaned = tmp_path / "orphaned"
    orphaned.mkdir()
    (orphaned / OWNER_FILE).write_text(f"{_dead_pid()}\n")
    mine, unclaimed = tmp_path / "mine", tmp_path / "unclaimed"
    claim(mine)
    orphan = _fake_node(orphaned, nodes)
    owned = _fake_node(mine, nodes)
    other = _fake_node(unclaimed, nodes)

    killed = sweep()

    assert orphan.pid in killed and orphan.wait(10) == -9
    assert owned.pid not in killed and owned.poll() is None, "this process is alive: its nodes stay"
    assert other.pid not in killed and other.poll() is None, "a cluster nobody claimed is not a test's"
