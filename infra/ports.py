"""Free loopback ports for private clusters started beside the shared broker (the fault suite,
tests): one finder, so every caller scans the same way and none collides with another."""

from __future__ import annotations

import socket

from infra.exceptions import NoFreePorts


def free_port_range(span: int, first: int = 29100, last: int = 29900, from_top: bool = False) -> int:
    """The first port of ``span`` consecutive free loopback ports in ``[first, last)``.

    ``from_top`` scans downwards from ``last``, away from where the test suite's private clusters
    look first.
    """
    starts = range(last - span, first - 1, -10) if from_top else range(first, last - span + 1, 10)
    for start in starts:
        try:
            for port in range(start, start + span):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return start
    raise NoFreePorts(f"no {span} free consecutive ports between {first} and {last}")
