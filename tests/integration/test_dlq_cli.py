"""`pentameter dlq` against a real broker: list and filter dead letters, show one, refuse to replay
one that is still invalid, and replay exactly once one whose cause was fixed (an agency signing key
that was trusted only after the router refused the record), keeping the audit ledger verifiable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from consumers.audit_cli import audit_app
from consumers.dlq_cli import dlq_app
from consumers.runtime import Runtime
from consumers.topic_reader import read_topic
from infra.keys import KeyStore
from pentameter.hostile import inject_hostile
from producers.agencies import ingress_topic
from schemas.provenance import Signer
from schemas.wire import Codec
from tests.integration.pipeline import (
    AGENCY,
    expected_deliveries,
    isolated_runtime,
    partner_event_ids,
    produce_raw,
    publish,
    sample_events,
)

pytestmark = pytest.mark.kafka

app = typer.Typer()
app.add_typer(dlq_app, name="dlq")
app.add_typer(audit_app, name="audit")


def _runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bootstrap: str) -> Runtime:
    """An isolated runtime with its own key store, and the environment the commands read."""
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", bootstrap)
    monkeypatch.setenv("COLUMNS", "400")
    runtime = isolated_runtime(bootstrap)
    monkeypatch.setenv("PENTAMETER_TOPIC_PREFIX", runtime.settings.topic_prefix)
    return runtime


def _run_router(runtime: Runtime) -> None:
    runtime.router(runtime.router_settings(batch_max_events=50)).run(idle_timeout=4.0)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _json(*args: str) -> Any:
    result = _cli(*args, "--json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_list_filter_show_and_refuse_still_invalid(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runtime = _runtime(monkeypatch, tmp_path, kafka_bootstrap)
    good = sample_events(8)
    cases = inject_hostile(runtime, AGENCY, "police.metropolitan", good[0])
    publish(runtime, good)
    _run_router(runtime)

    listed = _json("dlq", "list")
    assert len(listed) == len(cases)
    assert {d["reason"] for d in listed} == set(cases.values())
    assert {d["agency"] for d in listed} == {AGENCY}
    source_prefix = runtime.topic(ingress_topic(AGENCY)) + "/"
    assert all(d["source"].startswith(source_prefix) and d["detail"] for d in listed)
    assert any(d["event_id"] for d in listed if d["reason"] == "missing_signature")

    table = _cli("dlq", "list")
    assert table.exit_code == 0, table.output
    for reason in set(cases.values()):
        assert reason in table.output

    bad = _json("dlq", "list", "--reason", "bad_signature")
    assert len(bad) == 2 and {d["reason"] for d in bad} == {"bad_signature"}
    assert _json("dlq", "list", "--agency", "police.metropolitan") == []
    assert len(_json("dlq", "list", "--agency", AGENCY, "--reason", "agency_mismatch")) == 2
    unknown = _cli("dlq", "list", "--reason", "bad_signatur")
    assert unknown.exit_code == 2 and "did you mean 'bad_signature'?" in unknown.output
    assert _cli("dlq", "list", "--agency", "police.atlantis").exit_code == 2
    assert all(d["at"].endswith("Z") for d in listed)  # ISO 8601 in JSON

    # ids are never cut with an ellipsis: a narrow terminal wraps them, --wide keeps one line each
    narrow = CliRunner(env={"COLUMNS": "70"}).invoke(app, ["dlq", "list"])
    assert narrow.exit_code == 0 and "…" not in narrow.output
    wide = CliRunner(env={"COLUMNS": "70"}).invoke(app, ["dlq", "list", "--wide"]).output.splitlines()
    for letter in listed:
        row = next(line for line in wide if letter["source"] in line)
        assert (letter["event_id"] or "-") in row and letter["detail"] in row

    unsigned = next(d for d in listed if d["reason"] == "missing_signature")
    shown = _cli("dlq", "show", str(unsigned["offset"]))
    assert shown.exit_code == 0, shown.output
    assert "missing_signature" in shown.output and unsigned["source"] in shown.output
    detail = _json("dlq", "show", str(unsigned["offset"]))
    assert detail["reason"] == "missing_signature" and detail["provenance_headers"] == []
    assert detail["value"]["decoded"]["envelope"]["event_id"] == unsigned["event_id"]
    garbage = next(d for d in listed if d["reason"] == "undecodable")
    assert _json("dlq", "show", str(garbage["offset"]))["value"]["decoded"] is None
    dump = _cli("dlq", "show", str(garbage["offset"]))
    assert dump.exit_code == 0 and "undecodable" in dump.output and "this is not avro" in dump.output
    assert _cli("dlq", "show", "99999").exit_code == 1

    ingress = runtime.topic(ingress_topic(AGENCY))
    before = len(list(read_topic(runtime.client, ingress)))
    refused = _cli("dlq", "replay", str(unsigned["offset"]), "--json")
    assert refused.exit_code == 1
    [outcome] = json.loads(refused.stdout)
    assert outcome["status"] == "still_invalid" and outcome["reason"] == "missing_signature"
    by_reason = _json("dlq", "replay", "--reason", "undecodable", "--dry-run")
    assert [o["status"] for o in by_reason] == ["still_invalid"]
    assert len(list(read_topic(runtime.client, ingress))) == before, "nothing was replayed"


def test_fixed_dead_letter_is_replayed_exactly_once(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runtime = _runtime(monkeypatch, tmp_path, kafka_bootstrap)
    # a new signing key made outside the live key store: not trusted yet when the router runs
    staging = KeyStore(tmp_path / "staging-keys")
    new_key = staging.rotate_signing_key(AGENCY)
    event = next(e for e in sample_events(8) if expected_deliveries(runtime, [e]))
    event_id = str(event["envelope"]["event_id"])
    assert expected_deliveries(runtime, [event])
    value = Codec(runtime.catalogue).encode(event["envelope"]["event_type"], event)
    headers = Signer(AGENCY, new_key).seal([(b"raw", value)])[0]
    ingress = runtime.topic(ingress_topic(AGENCY))
    produce_raw(runtime, ingress, value, headers)
    publish(runtime, sample_events(3))
    _run_router(runtime)

    [letter] = _json("dlq", "list")
    assert letter["reason"] == "bad_signature" and letter["event_id"] == event_id
    offset = str(letter["offset"])
    refused = _json("dlq", "replay", offset)
    assert refused[0]["status"] == "still_invalid" and refused[0]["reason"] == "bad_signature"

    # the operator fixes the cause: the agency's new key is installed in the live key store
    live = runtime.keys.root / "agencies" / AGENCY
    live.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in (staging.root / "agencies" / AGENCY).glob("*.ed25519"):
        shutil.copy2(path, live / path.name)

    dry = _json("dlq", "replay", offset, "--dry-run")
    assert dry[0]["status"] == "would_replay"
    before = len(list(read_topic(runtime.client, ingress)))
    done = _cli("dlq", "replay", offset, "--json")
    assert done.exit_code == 0, done.output
    [outcome] = json.loads(done.stdout)
    assert outcome["status"] == "replayed" and outcome["event_id"] == event_id
    assert len(list(read_topic(runtime.client, ingress))) == before + 1
    copies = [r for r in read_topic(runtime.client, ingress) if r.value == value]
    assert len(copies) == 2, "the original and its replay, with the same bytes"
    assert {r.partition for r in copies} == {_source_partition(letter)}
    assert copies[1].key == b"raw" and copies[1].headers == headers

    _run_router(runtime)
    got = partner_event_ids(runtime)
    expected = expected_deliveries(runtime, [event])
    for partner in expected:
        assert got[partner].count(event_id) == 1, f"{partner} must get the replayed event once"

    again = _cli("dlq", "replay", offset, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)[0]["status"] == "already_replayed"
    by_reason = _json("dlq", "replay", "--reason", "bad_signature")
    assert [o["status"] for o in by_reason] == ["already_replayed"]
    assert len(list(read_topic(runtime.client, ingress))) == before + 1, "replayed once only"

    verified = _cli("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["ok"] and report["problems"] == []


def _source_partition(letter: dict[str, Any]) -> int:
    return int(letter["source"].rsplit("@", 1)[0].rsplit("/", 1)[1])
