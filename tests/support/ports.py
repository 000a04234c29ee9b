"""Free loopback ports for the private clusters some tests start beside the shared broker."""

from __future__ import annotations

import socket


def free_port_range(span: int, first: int = 29100, last: int = 29900) -> int:
    """The first port of ``span`` consecutive free loopback ports in ``[first, last)``."""
    for start in range(first, last, 10):
        try:
            for port in range(start, start + span):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return start
    raise RuntimeError(f"no {span} free consecutive ports between {first} and {last}")
