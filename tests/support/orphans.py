"""Private test clusters left behind by a test process that died hard (a segfault, SIGKILL).

A module's private broker is stopped in its fixture's ``finally``; a process killed outright never
gets there, and its Kafka nodes (detached, in their own session) run on until someone kills them.
Each private cluster's directory therefore carries the pid of the test process that owns it
(``claim``), and every test session starts by stopping the nodes whose owner is gone (``sweep``).
A concurrent session's clusters are left alone: their owner is alive.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from infra.broker.local import pid_alive

OWNER_FILE = ".pentameter-test-owner"


def claim(directory: Path) -> None:
    """Mark ``directory`` (a private cluster's home) as owned by this test process."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / OWNER_FILE).write_text(f"{os.getpid()}\n")


def _owner(config: Path) -> int | None:
    """The owning test process of the cluster whose node reads ``config``, if it was claimed."""
    for directory in config.parents:
        marker = directory / OWNER_FILE
        if marker.is_file():
            try:
                return int(marker.read_text().strip())
            except ValueError:
                return None
    return None


def _kafka_nodes() -> list[tuple[int, Path]]:
    """(pid, server.properties) of every Kafka node running on this machine."""
    nodes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kafka.Kafka" in args:
            at = args.index(b"kafka.Kafka")
            if at + 1 < len(args) and args[at + 1]:
                nodes.append((int(entry.name), Path(os.fsdecode(args[at + 1]))))
    return nodes


def sweep() -> list[int]:
    """SIGKILL the nodes of claimed clusters whose owner has exited; their pids."""
    killed = []
    for pid, config in _kafka_nodes():
        owner = _owner(config)
        if owner is not None and owner != os.getpid() and not pid_alive(owner, command=None):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            killed.append(pid)
    return killed
