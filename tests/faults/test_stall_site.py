"""A router stopped by its stall exit is reported with the step it was blocked in; the active
controller is read from the nodes' Raft log lines."""

from __future__ import annotations

import linecache

import pytest

from bench.faults import ROUTER_SOURCE, stall_site
from bench.faults_quorum import leader_of
from infra.settings import PROJECT_ROOT

pytestmark = [pytest.mark.faults]


def _line_of(text: str) -> int:
    source = (PROJECT_ROOT / ROUTER_SOURCE).read_text().splitlines()
    return next(n for n, line in enumerate(source, start=1) if text in line)


def test_the_innermost_router_frame_after_the_timeout_names_the_step() -> None:
    offsets = _line_of("self._producer.send_offsets_to_transaction(")
    log = [
        '  File "/somewhere/consumers/router.py", line 1 in earlier_crash',  # before the timeout: ignored
        "Timeout (0:00:45)!",
        "Thread 0x00007f (most recent call first):",
        '  File "/usr/lib/python3.11/threading.py", line 320 in wait',
        "",
        "Thread 0x00007e (most recent call first):",
        f'  File "/clone/consumers/router.py", line {offsets} in _commit_batch',
        '  File "/clone/consumers/router.py", line 300 in _transact',
    ]
    site = stall_site(log)
    assert site is not None
    assert site.startswith(f"consumers/router.py:{offsets} in _commit_batch")
    assert "send_offsets_to_transaction" in site
    assert linecache.getline(str(PROJECT_ROOT / ROUTER_SOURCE), offsets).strip() in site


def test_no_timeout_or_no_router_frame_names_no_site() -> None:
    assert stall_site(['  File "/clone/consumers/router.py", line 5 in run']) is None
    elsewhere = '  File "/usr/lib/python3.11/threading.py", line 1 in wait'
    assert stall_site(["Timeout (0:01:30)!", elsewhere]) is None


def test_the_active_controller_is_the_leader_of_the_highest_raft_epoch() -> None:
    lines = [
        "[RaftManager id=1] Completed transition to Leader(localVoterNode=VoterNode(id=1), epoch=4, x)",
        "[RaftManager id=3] Completed transition to FollowerState(fetchTimeoutMs=2, epoch=4, leader=1,",
        "[RaftManager id=3] Completed transition to UnattachedState(epoch=5, leaderId=OptionalInt.empty",
        "[RaftManager id=2] Completed transition to FollowerState(fetchTimeoutMs=2, epoch=5, leader=3,",
        "[RaftManager id=2] something else, epoch=9 leader=2",
    ]
    assert leader_of(lines) == (5, 3)
    assert leader_of(lines[2:3]) is None


def test_the_state_a_transition_left_never_names_the_new_epochs_leader() -> None:
    """Seen in a fault run: node 1 went unattached in epoch 6 *from* following node 3 in epoch 5,
    and the old leader was read as epoch 6's, so the pause stopped a node that was not leading."""
    lines = [
        "[RaftManager id=1] Completed transition to UnattachedState(epoch=6, leaderId=OptionalInt.empty,"
        " votedKey=Optional.empty) from FollowerState(fetchTimeoutMs=2000, epoch=5, leader=3, x)",
        "[RaftManager id=1] Completed transition to FollowerState(fetchTimeoutMs=2000, epoch=6, leader=2,"
        " x) from UnattachedState(epoch=6, leaderId=OptionalInt.empty)",
    ]
    assert leader_of(lines[:1]) is None
    assert leader_of(lines) == (6, 2)
