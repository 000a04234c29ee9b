"""docs/partners.md is enough: code following it with confluent-kafka, fastavro and cryptography
alone reads, proves and opens a partner's records exactly as the project's PartnerClient does."""

from __future__ import annotations

import ast
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from consumers.partner import PartnerRecord
from consumers.partner_client import PartnerClient
from consumers.partner_kit import deployment_kit
from schemas.samples import sample
from schemas.validation import validate
from tests.integration import partner_guide
from tests.integration.pipeline import current_events, isolated_runtime, route_to_partners

pytestmark = pytest.mark.kafka

PARTNER = "sca"  # receives a consented victim's phone encrypted to its own key
PHONE = "07700900123"
PROJECT_PACKAGES = {"clikit", "consumers", "infra", "pentameter", "policies", "producers", "schemas", "tests"}
ALLOWED = {"confluent_kafka", "fastavro", "cryptography"}


def _encounter() -> dict[str, Any]:
    record = validate(sample("PotentialVictimEncounter"))
    record["envelope"]["event_id"] = uuid.uuid4()
    record["victim"]["phone"] = PHONE
    record["consent"] = "GIVEN"
    return record


def test_the_guide_code_imports_nothing_of_the_project() -> None:
    tree = ast.parse(Path(partner_guide.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add((node.module or "").split(".")[0])
    assert not imported & PROJECT_PACKAGES, imported
    outside = imported - ALLOWED - set(sys.stdlib_module_names) - {"__future__"}
    assert not outside, f"only the standard library and {sorted(ALLOWED)}: {outside}"


def test_following_the_guide_reads_what_the_sdk_reads(kafka_bootstrap: str, tmp_path: Path) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    encounter = _encounter()
    expected = route_to_partners(runtime, [*current_events(16), encounter])[PARTNER]
    kit = deployment_kit(runtime.settings, PARTNER, tmp_path / "kit", runtime.client)

    guided = partner_guide.follow_the_guide(kit.directory)

    client = PartnerClient.from_kit(kit.directory)
    with client.consumer(group=f"{kit.group}-sdk") as consumer:
        items = list(consumer.records(idle_timeout=4.0))
    sdk = {i.event_id: i.record for i in items if isinstance(i, PartnerRecord)}
    assert len(sdk) == len(items), "the SDK refused nothing"

    assert set(guided) == set(sdk) == expected
    assert guided == sdk, "the same records, field for field, encrypted fields opened"
    assert guided[str(encounter["envelope"]["event_id"])]["victim"]["phone"] == PHONE
