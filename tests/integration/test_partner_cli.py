"""`pentameter partner consume` like kcat: -c/--count N stops after N records and the next run goes
on from there, --from-offset starts every partition at an offset, and --from-beginning with
--from-offset is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.runtime import Runtime
from pentameter.cli import app
from tests.integration.pipeline import current_events, isolated_runtime, partner_event_ids, publish

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _consume(runtime: Runtime, *args: str) -> tuple[int, str]:
    env = {
        "PENTAMETER_TOPIC_PREFIX": runtime.settings.topic_prefix,
        "KAFKA_BOOTSTRAP_SERVERS": str(runtime.client["bootstrap.servers"]),
    }
    result = CliRunner().invoke(app, ["partner", "consume", *args, "--idle-exit", "3"], env=env)
    return result.exit_code, result.output


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["event_id"] for line in path.read_text().splitlines()]


def test_count_stops_after_n_records_and_the_next_run_goes_on(kafka_bootstrap: str, tmp_path: Path) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    publish(runtime, current_events(40))
    runtime.router(runtime.router_settings()).run(idle_timeout=4.0)
    held = partner_event_ids(runtime)
    partner = max(held, key=lambda p: len(held[p]))
    out = tmp_path / "out.jsonl"

    code, output = _consume(runtime, "-p", partner, "-c", "3", "--out", str(out))
    assert code == 0, output
    assert len(_ids(out)) == 3
    code, output = _consume(runtime, "-p", partner, "--count", "2", "--out", str(out))
    assert code == 0, output
    first_five = _ids(out)
    assert len(first_five) == 5 and len(set(first_five)) == 5, (
        "the second run went on where the first stopped"
    )
    code, output = _consume(runtime, "-p", partner, "--out", str(out))
    assert code == 0, output
    assert sorted(_ids(out)) == sorted(held[partner]), "then the rest, each once"

    again = tmp_path / "again.jsonl"
    code, output = _consume(
        runtime, "-p", partner, "--group", "replay", "--from-offset", "0", "--out", str(again)
    )
    assert code == 0, output
    assert sorted(_ids(again)) == sorted(held[partner]), "--from-offset 0 reads every partition again"


def test_from_beginning_and_from_offset_together_are_refused(kafka_bootstrap: str) -> None:
    runtime = isolated_runtime(kafka_bootstrap)
    code, output = _consume(runtime, "-p", "sca", "--from-beginning", "--from-offset", "3")
    assert code == 2 and "cannot be used together" in output
