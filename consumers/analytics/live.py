"""The operation picture as a running service for the demo and the tests.

``OperationPicture`` starts ``pentameter analytics run`` for a :class:`~consumers.runtime.Runtime`
in its own process (its own event loop, as an operator would run it), on a free dashboard port
(6066 when free), and stops it cleanly on exit::

    view = CellView.of(records_the_cell_receives, tally)      # tally: producers.truth.tally
    with OperationPicture(runtime) as picture:
        print(picture.url)
        ...                                                    # route the operation
        for check in picture.checks(generated, view):          # waits until the figures settle
            print(check.name, check.found, check.expected, check.ok)

The expected side is the generator's ground truth restricted to what the coordination cell's
agreement releases. This module does not import the producers (consumers never do): the caller
hands in the records and the generator's own counting function.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple, Protocol

from consumers.analytics import dashboard
from consumers.runtime import Runtime
from infra.settings import PROJECT_ROOT

DEFAULT_PORT = 6066
Record = Mapping[str, Any]


class HasGroundTruth(Protocol):
    """What the checks need of ``producers.generator.Generated``."""

    @property
    def ground_truth(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CellView:
    """The generator's ground truth over the events the cell's agreement releases.

    ``counts`` is shaped like ``ground_truth["counts"]`` (the generator's ``tally`` of those
    records); ``forces`` maps each released event id to its force area, which decides which
    planted links the cell can see (a link whose reports are withheld may fall below two forces).
    """

    counts: Mapping[str, Any]
    forces: Mapping[str, str]

    @classmethod
    def of(
        cls, records: Sequence[Record], tally: Callable[[Iterable[Record]], Mapping[str, Any]]
    ) -> CellView:
        """From the raw generated records the cell receives and the generator's counting function."""
        forces = {str(r["envelope"]["event_id"]): str(r["envelope"]["force_area"]) for r in records}
        return cls(tally(records), forces)


class Check(NamedTuple):
    """One comparison row: what the dashboard shows against what the ground truth says."""

    name: str
    found: int
    expected: int

    @property
    def ok(self) -> bool:
        return self.found == self.expected


def free_port(preferred: int = DEFAULT_PORT, host: str = "127.0.0.1") -> int:
    """``preferred`` when nothing listens on it, otherwise any free port."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free port")


def _report_ids(link: Mapping[str, Any]) -> tuple[str, ...]:
    reports = {s["event_id"] for s in link["sightings"] if s["event_type"] == "IntelligenceReport"}
    return tuple(sorted(reports))


def planted_links(
    ground_truth: Mapping[str, Any], view: CellView, found: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(planted links the cell can see, those among them that are alerts).

    A planted link is visible when its reports released to the cell still span two forces; it is
    found when a link of the same kind carries exactly those reports.
    """
    alerts = Counter((link["kind"], _report_ids(link)) for link in found)
    visible, hits = [], []
    for link in ground_truth["cross_force_links"]:
        ids = tuple(e for e in link["event_ids"] if e in view.forces)
        if len({view.forces[e] for e in ids}) < 2:
            continue
        visible.append(link)
        if alerts[(link["kind"], ids)] > 0:  # two phones may share their reports: one alert each
            alerts[(link["kind"], ids)] -= 1
            hits.append(link)
    return visible, hits


def compare(
    figures: Mapping[str, Any],
    links: Sequence[Mapping[str, Any]],
    ground_truth: Mapping[str, Any],
    view: CellView,
) -> list[Check]:
    """The dashboard's figures and links against the ground truth restricted to the cell's view."""
    found, wanted = dashboard.headline_values(figures), dashboard.headline_values(view.counts)
    rows = [
        Check(f"{label} (pence)" if metric.endswith("_pence") else label, found[metric], wanted[metric])
        for metric, label, _ in dashboard.HEADLINE
    ]
    for dimension in ("by_force", "by_region"):
        expected = dict(view.counts[dimension])
        shown = {name: int(row.get("events", 0)) for name, row in (figures.get(dimension) or {}).items()}
        agreeing = sum(1 for name, n in expected.items() if shown.get(name) == n)
        extra = len(set(shown) - set(expected))
        label = "forces" if dimension == "by_force" else "regions"
        rows.append(Check(f"{label} whose events match", agreeing - extra, len(expected)))
    visible, hits = planted_links(ground_truth, view, links)
    rows.append(Check("planted cross-force links found", len(hits), len(visible)))
    return rows


class OperationPicture:
    """The analytics worker and its dashboard in a child process, for one runtime."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        bind: str | None = None,
        log_path: Path | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.runtime = runtime
        self.host = host
        self.bind = bind or host
        """The address the dashboard listens on (the host it is reached by, unless told)."""
        self.port = port or free_port(DEFAULT_PORT, host)
        self.url = f"http://{host}:{self.port}/"
        prefix = runtime.settings.topic_prefix.rstrip(".") or "default"
        self.log_path = log_path or runtime.settings.home / "analytics" / f"{prefix}-{self.port}.log"
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.killed = False
        """Whether the worker had to be killed after SIGTERM (see :meth:`stop`)."""

    # -- the process -------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        settings = self.runtime.settings
        env = {
            **os.environ,
            "PENTAMETER_TOPIC_PREFIX": settings.topic_prefix,
            "PENTAMETER_HOME": str(settings.home),
            "KAFKA_BOOTSTRAP_SERVERS": str(self.runtime.client["bootstrap.servers"]),
        }
        if settings.principal:
            env["PENTAMETER_PRINCIPAL"] = settings.principal
        return env

    def __enter__(self) -> OperationPicture:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "consumers.analytics", "run", "--web-host", self.host, "--web-bind",
                   self.bind, "--web-port", str(self.port), "--loglevel", "WARNING"]  # fmt: skip
        self._process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=self._environment(), stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + self.start_timeout
            while True:
                try:
                    self.status()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the dashboard did not answer on {self.url}") from None
                    time.sleep(0.5)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (faust commits and stops in a second or two), then SIGKILL after ``timeout`` s.

        Killing loses nothing: uncommitted work is aborted and redone by the next worker.
        ``killed`` tells which way it went (see ``stream_wait_empty`` in the app).
        """
        process, self._process = self._process, None
        code = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait(timeout)
                self.killed = True
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, size: int = 4000) -> str:
        """The end of the worker's log (for a failure message)."""
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    # -- the JSON API ------------------------------------------------------------------------

    def get(self, path: str) -> Any:
        """GET a JSON endpoint of the dashboard (``api/figures``, ``api/links``, ``api/status``)."""
        if not self.alive():
            raise RuntimeError(f"the analytics worker has stopped:\n{self.log_tail()}")
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
            return json.loads(response.read().decode())

    def figures(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("api/figures")
        return result

    def links(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("api/links")["links"]
        return result

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("api/status")
        return result

    def settle(
        self, events: int, *, timeout: float = 180.0, quiet: float = 3.0
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Wait (at most ``timeout`` s) until ``events`` records are counted and the links have not
        changed for ``quiet`` seconds; returns the figures and links as they then are."""
        deadline = time.monotonic() + timeout
        figures: dict[str, Any] = {}
        links: list[dict[str, Any]] = []
        steady_since: float | None = None
        fingerprint: object = None
        while time.monotonic() < deadline:
            try:
                figures, links = self.figures(), self.links()
            except (OSError, urllib.error.URLError):
                time.sleep(1)
                continue
            now = (figures.get("events"), len(links), sum(len(link["event_ids"]) for link in links))
            if figures.get("events", 0) >= events and now == fingerprint:
                steady_since = steady_since or time.monotonic()
                if time.monotonic() - steady_since >= quiet:
                    break
            else:
                fingerprint, steady_since = now, None
            time.sleep(0.5)
        return figures, links

    def checks(self, generated: HasGroundTruth, view: CellView, *, timeout: float = 300.0) -> list[Check]:
        """Wait until the picture settles (bounded), then compare it with the ground truth."""
        figures, links = self.settle(len(view.forces), timeout=timeout)
        return compare(figures, links, generated.ground_truth, view)
