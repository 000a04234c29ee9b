"""The router process's garbage collector, set for a long-running loop that allocates a lot.

Routing one event allocates hundreds of short-lived containers. With CPython's default thresholds
that means a young collection every 700 of them and, every hundred or so, a full collection that
walks every object the process holds, the catalogue, the agreements and the compiled plans
included: measured by `bench route`, 1,036 young, 94 middle and 5 full collections over 8,000
events. What startup built lives as long as the process, so it is frozen out of every collection's
reach, and young collections are made rarer. Garbage without reference cycles (nearly all of a
router's) is still freed at once by reference counting; cycles are still collected, only later.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
"""Container allocations (net) between young collections; CPython's default is 700."""


def settle_after_startup(young: int = YOUNG_THRESHOLD) -> tuple[int, int, int]:
    """Collect once, freeze everything alive (it is the loaded configuration), and collect the
    young generation less often; returns the thresholds it replaced. Call it once the router is
    built, before it routes."""
    gc.collect()
    gc.freeze()
    previous = gc.get_threshold()
    gc.set_threshold(young, previous[1], previous[2])
    return previous


def unsettle(thresholds: tuple[int, int, int]) -> None:
    """Undo :func:`settle_after_startup` (for a process that goes on to do other work: a benchmark)."""
    gc.unfreeze()
    gc.set_threshold(*thresholds)
