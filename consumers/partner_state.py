"""The partner's own state for exactly-once handling: the events it already handled, and a sink
that is its own record of them.

Kafka gives a partner each committed record at least once: a partner process killed after it
handled a record but before it committed the offset reads that record again. Two things here make
the partner's *handling* exactly once:

- :class:`SeenEvents`, a bounded window of the event ids handled last (by the partner SDK on each
  ack), so a redelivered event is dropped instead of handled again. It is kept in the partner's
  own state: either rebuilt from the partner's sink (the idempotent pattern: the sink says what
  was handled) or in a journal file of its own (one id per line, fsynced before each offset commit);
- :class:`JsonLinesSink`, an append-only JSON Lines file that is such a sink: a line is written and
  flushed before its record is acknowledged, a torn last line (a kill mid-write) is cut off when
  the file is opened again, and the event ids of its last lines seed the window. Writing and
  remembering are then one step, so a kill between them cannot lose or repeat a record.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

DEFAULT_WINDOW = 100_000
"""Event ids remembered: far more than the records between two offset commits, so every
redelivery after a kill falls inside it (a few MiB of ids)."""


class SeenEvents:
    """The last ``limit`` event ids handled, optionally journalled to a file (:meth:`journal`)."""

    def __init__(self, limit: int = DEFAULT_WINDOW, initial: Iterable[str] = ()) -> None:
        if limit <= 0:
            raise ValueError(f"the window must hold at least one event id, not {limit}")
        self.limit = limit
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._journal: IO[str] | None = None
        for event_id in initial:
            self._remember(event_id)

    @classmethod
    def journal(cls, path: Path, limit: int = DEFAULT_WINDOW) -> SeenEvents:
        """A window kept in its own file (created with its parent directory if missing)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        known = path.read_text(encoding="utf-8").split("\n") if path.exists() else []
        complete = known[:-1]  # what follows the last newline is a torn write, or nothing
        seen = cls(limit, (i for i in complete if i))
        if len(complete) > 2 * limit:  # compact: keep what the window holds
            path.write_text("".join(f"{i}\n" for i in seen._ids), encoding="utf-8")
        elif path.exists():
            _cut_torn_tail(path)
        seen._journal = path.open("a", encoding="utf-8")
        return seen

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: str) -> None:
        """The event was handled: remember it (and journal it when the window has a file)."""
        self._remember(event_id)
        if self._journal is not None:
            self._journal.write(f"{event_id}\n")

    def sync(self) -> None:
        """Make what was added durable: called before the offsets of those records are committed."""
        if self._journal is not None:
            self._journal.flush()
            os.fsync(self._journal.fileno())

    def close(self) -> None:
        if self._journal is not None:
            self.sync()
            self._journal.close()
            self._journal = None

    def _remember(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self.limit:
            self._ids.popitem(last=False)


class JsonLinesSink:
    """An append-only JSON Lines file whose lines carry an ``event_id``: the partner's records and
    its record of which it handled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists():
            _cut_torn_tail(path)
        self._out: IO[str] = path.open("a", encoding="utf-8")

    def handled(self, limit: int = DEFAULT_WINDOW) -> SeenEvents:
        """A window of the event ids of the file's last ``limit`` lines."""
        ids: list[str] = []
        if self.path.exists():
            with self.path.open(encoding="utf-8") as lines:
                for line in lines:
                    event_id = json.loads(line).get("event_id")
                    if event_id is not None:
                        ids.append(str(event_id))
        return SeenEvents(limit, ids[-limit:])

    def write(self, line: dict[str, Any], default: Callable[[Any], Any] | None = None) -> None:
        """Append one record; flushed, so a killed process leaves it whole in the file."""
        self._out.write(json.dumps(line, default=default) + "\n")
        self._out.flush()

    def sync(self) -> None:
        os.fsync(self._out.fileno())

    def close(self) -> None:
        self.sync()
        self._out.close()


def _cut_torn_tail(path: Path) -> None:
    """Drop whatever follows the last newline: a line a killed writer did not finish."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with path.open("r+b") as file:
            file.truncate(end)
