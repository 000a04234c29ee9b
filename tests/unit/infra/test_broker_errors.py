"""Each way the local broker can fail to start gives an error a person can act on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.broker.errors import PortInUse, StartFailed, ToolMissing
from infra.broker.jars import ensure_jars
from infra.broker.local import LocalCluster, java_command
from infra.settings import Settings, load_settings


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port: int = a.getsockname()[1]
        with socket.socket() as b:
            try:
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


def _isolated(tmp_path: Path, port: int, heap: str = "256m") -> Settings:
    """Settings with private state but the shared jar cache (so nothing is fetched twice)."""
    return Settings(
        home=tmp_path,
        bootstrap_servers=None,
        broker_port=port,
        broker_heap=heap,
        kafka_cache_override=load_settings().kafka_cache,
    )


def test_missing_java_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-such-jdk"))
    with pytest.raises(ToolMissing, match="Java 17 or newer"):
        java_command()


def test_missing_maven_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MVN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing, match="Maven"):
        ensure_jars(tmp_path / "cache")


@pytest.mark.kafka
def test_port_in_use_names_the_port(tmp_path: Path, kafka_bootstrap: str) -> None:
    # kafka_bootstrap guarantees the jars are cached, so only the port check can fail here.
    port = _free_port_pair()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(PortInUse, match=str(port)):
            LocalCluster(_isolated(tmp_path, port)).up(1)


@pytest.mark.kafka
def test_failed_start_shows_the_log_tail(tmp_path: Path, kafka_bootstrap: str) -> None:
    cluster = LocalCluster(_isolated(tmp_path, _free_port_pair(), heap="not-a-size"))
    with pytest.raises(StartFailed) as failure:
        cluster.up(1, timeout=30)
    assert "Invalid maximum heap size" in str(failure.value) or "not-a-size" in str(failure.value)
    cluster.down()


@pytest.mark.kafka
def test_cluster_id_starting_with_a_dash_formats_and_starts(
    tmp_path: Path, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one random id in 64 starts with "-", which the storage tool would read as an option
    monkeypatch.setattr("infra.broker.local._new_cluster_id", lambda: "-" + "A" * 21)
    cluster = LocalCluster(_isolated(tmp_path, _free_port_pair()))
    try:
        assert cluster.up(1, timeout=60).cluster_id == "-" + "A" * 21
    finally:
        cluster.down(wipe=True)
