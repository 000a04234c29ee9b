"""Every command that connects runs as its own principal on the secure cluster, and a principal
is refused what its grants do not cover: the agency ingests, the router routes, the operator
plans, lists and verifies, the partner reads with its kit alone."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumers.runtime import Runtime
from pentameter.acls_cli import agency_principal, partner_principal
from schemas.convert import to_json
from tests.integration.pipeline import AGENCY, current_events
from tests.support.secure import granted_secure_cluster

pytestmark = [pytest.mark.kafka, pytest.mark.secure, pytest.mark.slow]

PARTNER, OTHER = "nca.ukhtc", "ncc"
WIDE = {"COLUMNS": "300"}


@pytest.fixture(scope="module")
def operator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with granted_secure_cluster(tmp_path_factory.mktemp("secure-commands"), first_port=29600) as (_, runtime):
        yield runtime


def _as(principal: str | None, *args: str) -> tuple[int, str]:
    """Run `pentameter ARGS` as its own process, as ``principal`` (None: no principal at all)."""
    env = {k: v for k, v in os.environ.items() if k != "PENTAMETER_PRINCIPAL"} | WIDE
    if principal is not None:
        env["PENTAMETER_PRINCIPAL"] = principal
    done = subprocess.run(
        [sys.executable, "-m", "pentameter", *args], env=env, capture_output=True, text=True, timeout=240
    )
    return done.returncode, done.stdout + done.stderr


def test_each_command_runs_as_its_principal_and_nothing_more(operator: Runtime, tmp_path: Path) -> None:
    events = current_events(8)
    expected = {
        str(e["envelope"]["event_id"])
        for e in events
        if any(
            d.partner == PARTNER
            for d in operator.engine.route(e["envelope"]["event_type"], copy.deepcopy(e)).deliveries
        )
    }
    source = tmp_path / "events.jsonl"
    source.write_text("".join(json.dumps(to_json(e)) + "\n" for e in events))

    code, out = _as(agency_principal(AGENCY), "ingest", "--agency", AGENCY, "--quiet", "--json", str(source))
    assert code == 0 and json.loads(out)["published"] == len(events), out
    code, out = _as(partner_principal(PARTNER), "router", "run", "--idle-exit", "3")
    assert code != 0 and "authoriz" in out.lower(), f"a partner may not route: {out}"
    code, out = _as("router", "router", "run", "--idle-exit", "4", "--json")
    assert code == 0 and json.loads(out[out.index("{") : out.rindex("}") + 1])["consumed"] == len(events), out

    for command in (["topics", "plan"], ["acls", "plan"], ["audit", "verify"], ["dlq", "list", "--json"]):
        code, out = _as("operator", *command)
        assert code == 0, (command, out)

    kit = tmp_path / "kit"
    code, out = _as("operator", "partner", "kit", "--partner", PARTNER, "--out", str(kit), "--json")
    assert code == 0 and json.loads(out)["partner"] == PARTNER, out
    lines = tmp_path / "records.jsonl"
    code, out = _as(None, "partner", "consume", "--kit", str(kit), "--out", str(lines), "--idle-exit", "3")
    assert code == 0, out
    assert {json.loads(line)["event_id"] for line in lines.read_text().splitlines()} == expected

    code, out = _as(partner_principal(PARTNER), "partner", "consume", "--partner", OTHER, "--idle-exit", "3")
    assert code == 1 and "may not read" in out, f"a partner may not read another's records: {out}"
