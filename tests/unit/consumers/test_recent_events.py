"""The window of routed events follows the transaction: staged ids join it on commit only."""

from __future__ import annotations

import pytest

from consumers.decisions import Source
from consumers.recent_events import RecentEvents

A0 = ("in.a", 0)


def _at(offset: int, topic: str = "in.a", partition: int = 0) -> Source:
    return Source(topic, partition, offset)


def test_an_event_routed_and_committed_is_found_with_its_first_source() -> None:
    recent = RecentEvents(10)
    recent.stage(_at(5), "e1")
    recent.commit()
    assert recent.routed_at(_at(9), "e1") == "in.a/0@5"
    assert recent.routed_at(_at(9), "e2") is None


def test_a_copy_within_the_same_batch_is_found_before_the_commit() -> None:
    recent = RecentEvents(10)
    recent.stage(_at(5), "e1")
    assert recent.routed_at(_at(6), "e1") == "in.a/0@5"


def test_an_aborted_batch_leaves_nothing_behind_so_its_redo_is_not_refused() -> None:
    recent = RecentEvents(10)
    recent.stage(_at(5), "e1")
    recent.discard()
    assert recent.routed_at(_at(5), "e1") is None
    recent.commit()
    assert recent.routed_at(_at(5), "e1") is None


def test_the_window_is_per_partition() -> None:
    recent = RecentEvents(10)
    recent.stage(_at(5), "e1")
    recent.commit()
    assert recent.routed_at(_at(5, partition=1), "e1") is None
    assert recent.routed_at(_at(5, topic="in.b"), "e1") is None


def test_the_oldest_events_leave_past_the_limit() -> None:
    recent = RecentEvents(3)
    for offset, event in enumerate(["e1", "e2", "e3", "e4"]):
        recent.stage(_at(offset), event)
    recent.commit()
    assert recent.routed_at(_at(9), "e1") is None
    assert [recent.routed_at(_at(9), e) for e in ("e2", "e3", "e4")] == ["in.a/0@1", "in.a/0@2", "in.a/0@3"]
    assert recent.size(*A0) == 3


def test_a_revoked_partition_is_forgotten() -> None:
    recent = RecentEvents(10)
    recent.stage(_at(1), "e1")
    recent.commit()
    recent.stage(_at(2), "e2")
    recent.forget(*A0)
    recent.commit()
    assert recent.routed_at(_at(3), "e1") is None and recent.routed_at(_at(3), "e2") is None


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RecentEvents(0)
