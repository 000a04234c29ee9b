"""`pentameter status` against a real broker: brokers, lag, dead-letter depth, the last audit entry,
the ledger's verification and the agreements in force, as tables or one JSON object."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from confluent_kafka import Consumer, TopicPartition
from typer.testing import CliRunner

from consumers.topic_reader import read_topic
from pentameter.hostile import inject_hostile
from pentameter.status import status
from tests.integration.pipeline import AGENCY, isolated_runtime, publish, sample_events

pytestmark = pytest.mark.kafka

app = typer.Typer()
app.command(name="status")(status)
app.command(name="unused", hidden=True)(lambda: None)  # two commands: keep "status" a subcommand


def test_status_reports_the_whole_pipeline(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("COLUMNS", "300")
    runtime = isolated_runtime(kafka_bootstrap)
    monkeypatch.setenv("PENTAMETER_TOPIC_PREFIX", runtime.settings.topic_prefix)
    good = sample_events(8)
    cases = inject_hostile(runtime, AGENCY, "police.metropolitan", good[0])
    publish(runtime, good)
    runtime.router(runtime.router_settings(batch_max_events=50)).run(idle_timeout=4.0)

    # a partner group that has read nothing yet of its topic
    partner, topic = next(
        (p, t) for p, t in sorted(runtime.partner_topics.items()) if list(read_topic(runtime.client, t))
    )
    records = len(list(read_topic(runtime.client, topic)))
    group = runtime.topic(f"pentameter-partner-{partner}-test")
    consumer = Consumer({**runtime.client, "group.id": group, "enable.auto.commit": False})
    consumer.commit(offsets=[TopicPartition(topic, p, 0) for p in range(3)], asynchronous=False)
    consumer.close()

    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["up"] and report["brokers"] and all(b["reachable"] for b in report["brokers"])
    assert isinstance(report["under_replicated"], list)
    lag = {g["group"]: g for g in report["lag"]}
    assert lag[runtime.router_settings().group_id]["lag"] == 0
    assert lag[group]["lag"] >= records > 0  # transaction markers count as offsets too
    assert report["dead_letters"]["depth"] == len(cases)
    expected_reasons: dict[str, int] = {}
    for reason in cases.values():
        expected_reasons[reason] = expected_reasons.get(reason, 0) + 1
    assert report["dead_letters"]["by_reason"] == expected_reasons
    last = report["last_audit_entry"]
    assert last["chain"].startswith(runtime.topic("")) and last["kind"] and last["seq"] >= 0
    assert last["at"].endswith("Z") and last["at"][:4].isdigit()  # ISO 8601 in JSON
    assert report["ledger"]["verified"] and report["ledger"]["ok"], report["ledger"]
    assert report["agreements"] and {"partner", "agreement", "version", "valid_from", "valid_to"} <= set(
        report["agreements"][0]
    )
    assert {a["partner"] for a in report["agreements"]} <= set(runtime.partner_topics)

    quick = json.loads(CliRunner().invoke(app, ["status", "--json", "--no-verify"]).stdout)
    assert quick["ledger"]["verified"] is False and quick["ledger"]["entries"] > 0

    table = CliRunner().invoke(app, ["status"])
    assert table.exit_code == 0, table.output
    assert "agreements in force" in table.output and "ledger: " in table.output and "verified" in table.output
    assert re.search(r"last audit entry: .* UTC \(\d[^)]* ago\)", table.output)  # as a person reads it


def test_status_exits_1_when_no_broker_answers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    result = CliRunner().invoke(app, ["status", "--json", "--timeout", "2"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["up"] is False
