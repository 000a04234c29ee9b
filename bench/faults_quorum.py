"""Which node of a local KRaft cluster is the active controller, read from the nodes' own logs.

Kafka clients cannot ask for it: in KRaft, DescribeCluster names some broker, not the quorum
leader, and confluent-kafka has no DescribeQuorum. Every node's Raft layer logs each state change
(``Completed transition to Leader(...epoch=E...)`` on the leader, ``FollowerState(... epoch=E,
leader=N ...)`` on the others), so the leader of the highest epoch any node reports is the active
controller. A transition line also describes the state it left (``... from
FollowerState(epoch=5, leader=3 ...)``); only the new state is read, or a node becoming
unattached in a new epoch would seem to name the old epoch's leader as the new one's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_TRANSITION = re.compile(
    r"\[RaftManager id=(?P<node>\d+)\] Completed transition to (?P<state>\w+)\((?P<rest>.*)"
)
_EPOCH = re.compile(r"\bepoch=(?P<epoch>\d+)")
_LEADER = re.compile(r"\bleader=(?P<leader>\d+)")
TAIL_BYTES = 4 * 1024 * 1024
"""How much of the end of each log is read: enough for the last transitions, however long the run."""


def leader_of(lines: Iterable[str]) -> tuple[int, int] | None:
    """(epoch, leader node) of the highest epoch whose leader these log lines name."""
    best: tuple[int, int] | None = None
    for line in lines:
        match = _TRANSITION.search(line)
        if match is None:
            continue
        state = match["rest"].split(") from ", 1)[0]  # the new state only, never the one it left
        epoch = _EPOCH.search(state)
        if epoch is None:
            continue
        if match["state"] == "Leader":
            leader = int(match["node"])
        else:
            named = _LEADER.search(state)
            if named is None:
                continue
            leader = int(named["leader"])
        found = (int(epoch["epoch"]), leader)
        if best is None or found[0] > best[0]:
            best = found
    return best


def active_controller(logs: Iterable[Path]) -> int | None:
    """The node id of the active controller, from the server logs of every node (None if no log
    names one yet)."""
    best: tuple[int, int] | None = None
    for log in logs:
        if not log.exists():
            continue
        with log.open("rb") as file:
            file.seek(max(0, log.stat().st_size - TAIL_BYTES))
            lines = file.read().decode("utf-8", errors="replace").splitlines()
        found = leader_of(lines)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    return None if best is None else best[1]
