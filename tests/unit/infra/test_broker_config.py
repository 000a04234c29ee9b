"""The local cluster's layout and KRaft configuration, checked without starting Java."""

from __future__ import annotations

from pathlib import Path

from infra.broker.config import plan_nodes, render_server_properties


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def test_three_nodes_get_distinct_port_pairs(tmp_path: Path) -> None:
    nodes = plan_nodes(3, 19092, tmp_path)
    ports = [p for n in nodes for p in (n.client_port, n.controller_port)]
    assert ports == [19092, 19093, 19094, 19095, 19096, 19097]
    assert len({n.directory for n in nodes}) == 3


def test_three_node_cluster_is_fault_tolerant(tmp_path: Path) -> None:
    nodes = plan_nodes(3, 19092, tmp_path)
    props = _props(render_server_properties(nodes[1], nodes))
    assert props["node.id"] == "2"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["transaction.state.log.min.isr"] == "2"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095"
    assert props["auto.create.topics.enable"] == "false"


def test_single_node_uses_replication_factor_one(tmp_path: Path) -> None:
    nodes = plan_nodes(1, 9092, tmp_path)
    props = _props(render_server_properties(nodes[0], nodes))
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["min.insync.replicas"] == "1"
    assert props["log.dirs"] == str(tmp_path / "node-1" / "data")
