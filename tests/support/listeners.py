"""Which addresses a TCP port is listening on, as the kernel says (``/proc/net/tcp`` and ``tcp6``).

Asking the OS instead of the server's own object proves what a port scanner on the network would
find, whatever the server thinks it did.
"""

from __future__ import annotations

import ipaddress
import os
import time
from pathlib import Path

LISTEN = "0A"


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    # the kernel prints each 32-bit word in host (little-endian) order
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def listening_addresses(port: int, pid: int | None = None) -> set[str]:
    """Local addresses with a socket listening on ``port`` (only ``pid``'s sockets when given)."""
    mine = _socket_inodes(pid) if pid is not None else None
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            address, _, hex_port = local.partition(":")
            if state == LISTEN and int(hex_port, 16) == port and (mine is None or inode in mine):
                found.add(_address(address))
    return found


def wait_for_listener(port: int, pid: int | None = None, timeout: float = 60.0) -> set[str]:
    """:func:`listening_addresses` once something listens on ``port`` (empty after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = listening_addresses(port, pid)
        if found:
            return found
        time.sleep(0.2)
    return set()
