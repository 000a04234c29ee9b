"""`pentameter broker` as an operator uses it: a private three-node cluster, up, status, down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.broker.jars import KAFKA_VERSION
from infra.ports import free_port_range
from infra.settings import load_settings
from pentameter.cli import app

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _free_base_port(span: int = 6) -> int:
    return free_port_range(span, first=29100)


def test_three_node_cluster_lifecycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str
) -> None:
    monkeypatch.setenv("PENTAMETER_KAFKA_CACHE", str(load_settings().kafka_cache))
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path))
    monkeypatch.setenv("PENTAMETER_BROKER_PORT", str(_free_base_port()))
    monkeypatch.setenv("PENTAMETER_BROKER_HEAP", "384m")
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    runner = CliRunner()
    try:
        first = runner.invoke(app, ["broker", "up", "--nodes", "3"])
        assert first.exit_code == 0, first.output
        again = runner.invoke(app, ["broker", "up", "--nodes", "3"])
        assert again.exit_code == 0 and "already up" in again.output

        status = runner.invoke(app, ["broker", "status", "--json"])
        assert status.exit_code == 0, status.output
        report = json.loads(status.stdout)
        assert report["broker_count"] == 3
        assert all(b["reachable"] for b in report["brokers"])
        assert report["kafka_version"] == KAFKA_VERSION

        mismatch = runner.invoke(app, ["broker", "up", "--nodes", "1"])
        assert mismatch.exit_code == 2 and "broker down" in mismatch.output
    finally:
        down = runner.invoke(app, ["broker", "down", "--wipe"])
    assert down.exit_code == 0 and "stopped 3 node(s)" in down.output
    after = runner.invoke(app, ["broker", "status", "--timeout", "2"])
    assert after.exit_code == 1
