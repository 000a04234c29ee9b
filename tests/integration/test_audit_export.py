"""`pentameter audit export` / `verify-export` against a real broker: the export holds exactly the
ledger's decisions for one partner, verifies offline, and stops verifying when one line is altered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from consumers.audit_export import export, verify_export, verify_export_command
from consumers.runtime import ROUTER_IDENTITY, Runtime
from consumers.topic_reader import read_topic
from infra.topics import AUDIT_TOPIC
from tests.integration.pipeline import isolated_runtime, publish, sample_events

pytestmark = pytest.mark.kafka

app = typer.Typer()
audit = typer.Typer()
audit.command(name="export")(export)
audit.command(name="verify-export")(verify_export_command)
app.add_typer(audit, name="audit")


def _ledger_decisions(runtime: Runtime, partner: str) -> dict[str, dict[str, Any]]:
    """Event id -> the ledger's decision for ``partner``, read straight from the audit topic."""
    found: dict[str, dict[str, Any]] = {}
    for record in read_topic(runtime.client, runtime.topic(AUDIT_TOPIC)):
        entry = json.loads(record.value or b"{}")
        for d in entry.get("delivered", []):
            if d["partner"] == partner:
                found[entry["event_id"]] = {"decision": "delivered", **d}
        for n in entry.get("denied", []):
            if n["partner"] == partner:
                found[entry["event_id"]] = {"decision": "denied", **n}
    return found


def test_export_matches_the_ledger_and_verifies_offline(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    publish(runtime, sample_events(24))
    runtime.router(runtime.router_settings(group_id="router-export", batch_max_events=50)).run(
        idle_timeout=4.0
    )
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("PENTAMETER_TOPIC_PREFIX", runtime.settings.topic_prefix)
    monkeypatch.setenv("PENTAMETER_HOME", str(runtime.settings.home))

    partners = {p: _ledger_decisions(runtime, p) for p in runtime.partner_topics}
    partner = max(
        partners, key=lambda p: (len({d["decision"] for d in partners[p].values()}), len(partners[p]))
    )
    ledger = partners[partner]
    assert {d["decision"] for d in ledger.values()} == {"delivered", "denied"}, "a partner with both"

    today = datetime.now(UTC).date()
    out = tmp_path / "export.jsonl"
    result = CliRunner().invoke(
        app,
        ["audit", "export", "--partner", partner, "--from", str(today - timedelta(days=1)),
         "--to", str(today), "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    decisions = [line for line in lines if line["type"] == "decision"]
    assert {d["event_id"] for d in decisions} == set(ledger)
    assert len(decisions) == len(ledger)
    for d in decisions:
        want = ledger[d["event_id"]]
        assert d["decision"] == want["decision"]
        assert (d["agreement"], d["version"]) == (want["agreement"], want["version"])
        if want["decision"] == "delivered":
            assert d["fields_released"] == want["fields"]
            assert [[w["field"], w["rule"]] for w in d["fields_withheld"]] == want["withheld"]
        else:
            assert (d["rule"], d["reason"]) == (want["rule"], want["reason"])
        assert d["entry"]["event_id"] == d["event_id"]

    # nothing in range the day before
    empty = tmp_path / "empty.jsonl"
    old = str(today - timedelta(days=3))
    result = CliRunner().invoke(
        app, ["audit", "export", "--partner", partner, "--from", old, "--to", old, "--out", str(empty)]
    )
    assert result.exit_code == 0 and not [x for x in empty.read_text().splitlines() if '"decision"' in x]

    trusted = runtime.keys.trusted_signing_keys([ROUTER_IDENTITY]).get
    report = verify_export(out, trusted)
    assert report.ok, report.problems
    assert report.decisions == len(ledger) and report.seals >= report.chains >= 1
    result = CliRunner().invoke(app, ["audit", "verify-export", str(out)])
    assert result.exit_code == 0, result.output
    assert "export verified" in result.output

    assert not verify_export(out, lambda key: None).ok, "seals from an untrusted key do not verify"

    text = out.read_text().splitlines(keepends=True)
    for kind in ("decision", "chain"):
        index = next(i for i, line in enumerate(text) if json.loads(line)["type"] == kind)
        tampered = tmp_path / f"tampered-{kind}.jsonl"
        altered = list(text)
        obj = json.loads(altered[index])
        if kind == "decision":
            obj["agreement"] = "isa.someone.else"
        else:
            entry = json.loads(obj["raw"])
            entry["agency"] = "someone.else"
            obj["raw"] = json.dumps(entry)
        altered[index] = json.dumps(obj) + "\n"
        tampered.write_text("".join(altered))
        report = verify_export(tampered, trusted)
        assert not report.ok, kind
        assert any(f"line {index + 1}" in p for p in report.problems), report.problems
        result = CliRunner().invoke(app, ["audit", "verify-export", str(tampered)])
        assert result.exit_code == 1

    dropped = tmp_path / "dropped.jsonl"
    index = next(i for i, line in enumerate(text) if json.loads(line)["type"] == "decision")
    dropped.write_text("".join(text[:index] + text[index + 1 :]))
    assert any("missing" in p for p in verify_export(dropped, trusted).problems)
