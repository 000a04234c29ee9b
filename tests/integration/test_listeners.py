"""Every HTTP listener stays on its host unless told otherwise: the dashboard and the Prometheus
endpoints listen on 127.0.0.1 by default, as the kernel reports it, and on the address given by
--web-bind / --metrics-bind (or their variables) when told."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from consumers.analytics.live import OperationPicture, free_port
from consumers.metrics import PartnerMetrics
from infra.settings import PROJECT_ROOT
from tests.integration.pipeline import isolated_runtime
from tests.support.listeners import listening_addresses, wait_for_listener

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
EVERYWHERE = "0.0.0.0"


@pytest.mark.parametrize(("bind", "expected"), [(None, "127.0.0.1"), (EVERYWHERE, EVERYWHERE)])
def test_the_dashboard_listens_on_loopback_unless_told(
    kafka_bootstrap: str, tmp_path: Path, bind: str | None, expected: str
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    with OperationPicture(runtime, port=free_port(0), bind=bind, log_path=tmp_path / "a.log") as picture:
        assert listening_addresses(picture.port, picture.pid) == {expected}


@contextmanager
def _router(bootstrap: str, home: Path, port: int, *options: str, **env: str) -> Iterator[int]:
    inherited = {k: v for k, v in os.environ.items() if k != "PENTAMETER_METRICS_BIND"}
    environment = {**inherited, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PENTAMETER_HOME": str(home),
                   "PENTAMETER_TOPIC_PREFIX": f"listen{port}.", **env}  # fmt: skip
    command = [sys.executable, "-m", "pentameter", "router", "run", "--metrics-port", str(port), *options]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.mark.parametrize(
    ("options", "env", "expected"),
    [
        ((), {}, "127.0.0.1"),
        (("--metrics-bind", EVERYWHERE), {}, EVERYWHERE),
        ((), {"PENTAMETER_METRICS_BIND": EVERYWHERE}, EVERYWHERE),
    ],
    ids=["default", "option", "variable"],
)
def test_router_metrics_listen_on_loopback_unless_told(
    kafka_bootstrap: str, tmp_path: Path, options: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    port = free_port(0)
    with _router(kafka_bootstrap, tmp_path / "home", port, *options, **env) as pid:
        assert wait_for_listener(port, pid) == {expected}


def test_partner_metrics_follow_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PENTAMETER_METRICS_BIND", raising=False)
    loopback, everywhere = free_port(0), free_port(0)
    PartnerMetrics("ncc").serve(loopback)
    monkeypatch.setenv("PENTAMETER_METRICS_BIND", EVERYWHERE)
    PartnerMetrics("ncc").serve(everywhere)
    me = os.getpid()
    assert listening_addresses(loopback, me) == {"127.0.0.1"}
    assert listening_addresses(everywhere, me) == {EVERYWHERE}
