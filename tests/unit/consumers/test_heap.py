"""The router process freezes what startup built and collects its young generation less often."""

from __future__ import annotations

import gc
import weakref

from consumers.heap import YOUNG_THRESHOLD, settle_after_startup, unsettle


def test_settling_freezes_the_loaded_objects_and_raises_the_young_threshold() -> None:
    loaded = [{"plan": i} for i in range(1000)]  # stands for the catalogue and compiled plans
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    previous = settle_after_startup()
    try:
        assert previous == before
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() >= frozen_before + len(loaded)
    finally:
        unsettle(previous)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


class _Node:
    me: object = None


def test_cycles_made_after_settling_are_still_collected() -> None:
    previous = settle_after_startup()
    try:
        node = _Node()
        node.me = node  # a reference cycle: reference counting alone never frees it
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None
    finally:
        unsettle(previous)
