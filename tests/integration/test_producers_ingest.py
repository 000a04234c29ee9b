"""`pentameter ingest` against the real broker: exactly the good rows arrive, keyed by case,
signed so the router can verify them, and exactly the injected bad rows are rejected."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from consumers.topic_reader import Record, read_topic
from infra.keys import KeyStore
from producers.cli import register
from producers.generator import generate
from schemas.provenance import BadSignature, Verifier
from schemas.wire import decode

pytestmark = pytest.mark.kafka


MAPPINGS = Path(__file__).resolve().parents[2] / "producers" / "mappings"

app = typer.Typer()
register(app)


def consume(bootstrap: str, topic: str, expected: int, timeout: float = 60.0) -> list[Record]:
    """Every committed record of ``topic`` from the beginning to its current end."""
    records = list(read_topic({"bootstrap.servers": bootstrap}, topic, timeout))
    assert len(records) >= expected, f"{topic}: {len(records)} record(s), expected {expected}"
    return records


def ingest(bootstrap: str, agency: str, topic: str, source: Path, rejects: Path, *extra: str) -> int:
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            "--agency",
            agency,
            "--bootstrap",
            bootstrap,
            "--topic",
            topic,
            "--no-create-topic",
            "--rejects",
            str(rejects),
            "--quiet",
            *extra,
            str(source),
        ],
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code


def test_generated_scenario_ingests_exactly_the_good_rows(
    kafka_bootstrap: str,
    make_topic: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path / "home"))  # agency keys made for this test
    out = tmp_path / "scenario"
    scenario = generate("pentameter2", seed=2008, scale=0.05, bad_rows=5, out=out)
    truth = scenario.ground_truth
    bad_by_file: dict[str, set[tuple[str, int, str | None]]] = defaultdict(set)
    for row in truth["bad_rows"]:
        bad_by_file[row["file"]].add((row["file"], row["line"], row["field"]))
    files = sorted(bad_by_file) + [
        f for f in ("sca.jsonl", "police.metropolitan.jsonl") if f not in bad_by_file
    ]
    keys = KeyStore(tmp_path / "home" / "keys")
    for name in files:
        agency = scenario.agency_of(name)
        topic = make_topic(prefix="test.producers.ingress")
        rejects = tmp_path / f"{name}.rejects.jsonl"
        code = ingest(kafka_bootstrap, agency, topic, out / name, rejects)
        assert code == (1 if name in bad_by_file else 0), name

        # the rejects file is exactly the injected bad rows: file, line, field
        rejected = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
        assert {(Path(r["file"]).name, r["line"], r["field"]) for r in rejected} == bad_by_file.get(
            name, set()
        )
        assert len(rejected) == truth["files"][name]["bad"]

        # the topic holds exactly the good rows, each keyed by its case (or event) id
        good = scenario.good_records(name)
        messages = consume(kafka_bootstrap, topic, len(good))
        decoded = [decode(m.value or b"")[1] for m in messages]
        assert sorted(str(r["envelope"]["event_id"]) for r in decoded) == sorted(
            r["envelope"]["event_id"] for r in good
        )
        verifier = Verifier(keys.trusted_signing_keys([agency]).get)
        for message, record in zip(messages, decoded, strict=True):
            envelope = record["envelope"]
            assert message.key == (envelope["case_id"] or str(envelope["event_id"])).encode()
            assert verifier.verify(message.key, message.value or b"", message.headers).agency == agency
        _one_case_one_partition_in_order(messages, decoded, good)

        # a value changed after signing no longer verifies
        tampered = bytearray(messages[0].value or b"")
        tampered[-1] ^= 0x01
        with pytest.raises(BadSignature):
            verifier.verify(messages[0].key, bytes(tampered), messages[0].headers)


def _one_case_one_partition_in_order(
    messages: list[Record], decoded: list[dict[str, Any]], good: list[dict[str, Any]]
) -> None:
    order = {r["envelope"]["event_id"]: i for i, r in enumerate(good)}
    by_key: dict[bytes, list[tuple[int, int, int]]] = defaultdict(list)
    for message, record in zip(messages, decoded, strict=True):
        by_key[message.key or b""].append(
            (message.partition, message.offset, order[str(record["envelope"]["event_id"])])
        )
    for key, placed in by_key.items():
        assert len({p for p, _, _ in placed}) == 1, key
        by_offset = [position for _, _, position in sorted(placed)]
        assert by_offset == sorted(by_offset), key


def test_example_csv_ingests_through_its_mapping(
    kafka_bootstrap: str,
    make_topic: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path / "home"))
    topic = make_topic(prefix="test.producers.csv")
    source = tmp_path / "export.csv"
    text = (MAPPINGS / "gloucestershire_intelligence.csv").read_text(encoding="utf-8")
    source.write_text(text.replace(",b,2,1,", ",b,2,C,", 1), encoding="utf-8")  # a 3x5x2 handling code
    rejects = tmp_path / "rejects.jsonl"
    code = ingest(
        kafka_bootstrap,
        "police.gloucestershire",
        topic,
        source,
        rejects,
        "--mapping",
        str(MAPPINGS / "gloucestershire_intelligence.yaml"),
    )
    assert code == 1
    (rejected,) = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert (rejected["line"], rejected["field"]) == (2, "grading.handling_code")
    messages = consume(kafka_bootstrap, topic, 3)
    assert len(messages) == 3
    assert {decode(m.value or b"")[1]["source"]["reference"] for m in messages} == {
        "GL/SRC/0201",
        "GL/CHIS/0012",
        "GL/SRC/0230",
    }


def test_ingest_creates_a_missing_topic_and_writes_rejects_next_to_the_input(
    kafka_bootstrap: str,
    kafka_admin: AdminClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path / "home"))
    scenario = generate("pentameter2", seed=9, scale=0.02, bad_rows=1, out=tmp_path)
    (bad,) = scenario.ground_truth["bad_rows"]
    topic = f"test.producers.created.{uuid.uuid4().hex[:10]}"
    source = tmp_path / bad["file"]
    try:
        result = CliRunner().invoke(
            app,
            [
                "ingest",
                "--agency",
                scenario.agency_of(bad["file"]),
                "--bootstrap",
                kafka_bootstrap,
                "--topic",
                topic,
                "--quiet",
                str(source),
            ],
        )
        assert result.exit_code == 1, result.output
        metadata = kafka_admin.list_topics(topic, timeout=30).topics[topic]
        assert metadata.error is None and len(metadata.partitions) == 3
        rejects = source.with_name(source.name + ".rejects.jsonl")
        (line,) = [json.loads(text) for text in rejects.read_text(encoding="utf-8").splitlines()]
        assert (line["line"], line["field"]) == (bad["line"], bad["field"])
    finally:
        for future in kafka_admin.delete_topics([topic]).values():
            future.result(timeout=30)
