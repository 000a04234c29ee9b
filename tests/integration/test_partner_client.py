"""A partner reads its records with its kit and nothing else: its settings, its own keys, the
router's public keys and its own governance topic; the router's secrets are never opened."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from consumers.governance_io import fetch_catalogue
from consumers.partner import PartnerRecord
from consumers.partner_client import PartnerClient
from consumers.partner_kit import deployment_kit
from consumers.runtime import Runtime
from pentameter.cli import app
from policies.registry import DEFAULT_REGISTRY
from schemas.samples import sample
from schemas.validation import validate
from tests.integration.pipeline import current_events, isolated_runtime, route_to_partners

pytestmark = pytest.mark.kafka

PARTNER = "sca"  # receives a victim's phone encrypted to its own key
_opened: list[str] | None = None


def _record_open(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str | Path):
        _opened.append(str(Path(args[0]).resolve()))


sys.addaudithook(_record_open)  # audit hooks cannot be removed; it records only inside _files_opened


@contextmanager
def _files_opened() -> Iterator[list[str]]:
    """Every file path this process opens inside the block."""
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def _encounter() -> dict[str, Any]:
    """A consented victim encounter with a phone: SCA receives the phone encrypted to its key."""
    record = validate(sample("PotentialVictimEncounter"))
    record["envelope"]["event_id"] = uuid.uuid4()
    record["victim"]["phone"] = "07700900123"
    record["consent"] = "GIVEN"
    return record


def _routed(runtime: Runtime, count: int) -> set[str]:
    return route_to_partners(runtime, [*current_events(count), _encounter()])[PARTNER]


def _secrets_of_the_router(runtime: Runtime) -> list[Path]:
    keys = runtime.settings.home / "keys"
    return [keys / "pseudonym.secret", *keys.glob("agencies/*/*.ed25519"), *keys.glob("partners/*/*.x25519")]


def test_a_partner_reads_decrypts_and_verifies_with_its_kit_alone(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    expected = _routed(runtime, 24)
    kit = deployment_kit(runtime.settings, PARTNER, tmp_path / "kit", runtime.client)

    held = sorted(str(p.relative_to(kit.directory / "keys")) for p in (kit.directory / "keys").rglob("*.*"))
    assert held and all(p.startswith((f"partners/{PARTNER}/", "agencies/router/")) for p in held), held
    assert not [p for p in held if p.startswith("agencies/") and not p.endswith(".pub")], (
        "router: public only"
    )
    assert (kit.directory / "client.properties").stat().st_mode & 0o077 == 0

    operator_home = runtime.settings.home.resolve()
    with _files_opened() as opened:
        client = PartnerClient.from_kit(kit.directory)
        with client.consumer(group=f"{kit.group}-kit-test") as consumer:
            items = list(consumer.records(idle_timeout=4.0))
    records = [i for i in items if isinstance(i, PartnerRecord)]
    assert len(records) == len(items) and {r.event_id for r in records} == expected
    assert any("victim.phone" in r.opened for r in records), "its own encrypted fields open"
    assert {e.schema.get("partner") for e in client.catalogue} == {PARTNER}
    assert any(p.startswith(str(kit.directory.resolve())) for p in opened), "the hook sees the kit read"
    secrets = {str(p.resolve()) for p in _secrets_of_the_router(runtime)}
    assert secrets, "the deployment has secrets the partner must not need"
    assert not [p for p in opened if p in secrets or p.startswith(str(operator_home))], opened
    policy_files = str(DEFAULT_REGISTRY.parent.resolve())
    assert not [p for p in opened if p.startswith(policy_files) and p.endswith(".yaml")], "no agreements"


def test_each_partner_governance_topic_holds_its_projections_only(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)  # publishes the catalogue
    for partner, topic in runtime.partner_governance_topics.items():
        fetched = fetch_catalogue(runtime.client, topic)
        mine = {e.fingerprint for e in runtime.catalogue if e.schema.get("partner") == partner}
        assert {e.fingerprint for e in fetched} == mine, partner
    shared = fetch_catalogue(runtime.client, runtime.topic("pentameter.governance"))
    assert shared and all(e.kind == "event" for e in shared)


def test_partner_consume_needs_only_the_kit(kafka_bootstrap: str, tmp_path: Path) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    expected = _routed(runtime, 12)
    kit = deployment_kit(runtime.settings, PARTNER, tmp_path / "kit", runtime.client)
    elsewhere = tmp_path / "a-partner-machine"
    elsewhere.mkdir()
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app,
        ["partner", "consume", "--kit", str(kit.directory), "--out", str(out), "--idle-exit", "3"],
        env={"PENTAMETER_HOME": str(elsewhere), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["event_id"] for line in lines} == expected
    assert not list(elsewhere.iterdir()), "nothing made in the partner's home: no key store, no secret"

    wide = {"COLUMNS": "400"}
    wrong = CliRunner().invoke(
        app, ["partner", "consume", "--kit", str(kit.directory), "-p", "ncc"], env=wide
    )
    assert wrong.exit_code == 2 and "sca's, not ncc's" in wrong.output
    missing = CliRunner().invoke(app, ["partner", "consume", "--kit", str(tmp_path / "nothing")], env=wide)
    assert missing.exit_code == 2 and "partner.json" in missing.output
