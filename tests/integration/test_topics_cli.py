"""`pentameter topics plan|apply|describe` against a real broker, in an isolated topic namespace:
apply converges (plan shows no change afterwards), drift made by hand is shown and restored, and a
data-losing change is refused without --confirm."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import typer
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)
from typer.testing import CliRunner

from consumers.runtime import Runtime
from infra.topic_plan import DAY_MS, partner_retention_ms
from pentameter.topics_cli import EXIT_CHANGES_PENDING, topics_app
from tests.integration.pipeline import isolated_runtime

pytestmark = pytest.mark.kafka

app = typer.Typer()
app.add_typer(topics_app, name="topics")


@pytest.fixture
def runtime(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    runtime = isolated_runtime(kafka_bootstrap)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("PENTAMETER_TOPIC_PREFIX", runtime.settings.topic_prefix)
    yield runtime
    admin = AdminClient(runtime.client)
    mine = [t for t in admin.list_topics(timeout=30).topics if t.startswith(runtime.settings.topic_prefix)]
    if mine:
        for future in admin.delete_topics(mine).values():
            future.result(timeout=30)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["topics", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _plan(*args: str) -> tuple[int, list[dict[str, object]]]:
    code, output = _run("plan", "--json", *args)
    return code, json.loads(output)


def _set_retention(runtime: Runtime, topic: str, value: str) -> None:
    admin = AdminClient(runtime.client)
    resource = ConfigResource(
        ResourceType.TOPIC,
        topic,
        incremental_configs=[ConfigEntry("retention.ms", value, incremental_operation=AlterConfigOpType.SET)],
    )
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(timeout=30)


def test_apply_then_plan_shows_no_change(runtime: Runtime) -> None:
    # isolated_runtime created the topics from the same declarations (partner retention included)
    code, changes = _plan()
    assert (code, changes) == (0, [])

    code, output = _run("apply")
    assert code == 0, output
    code, changes = _plan()
    assert (code, changes) == (0, [])
    code, output = _run("plan")
    assert code == 0 and "no change" in output

    code, output = _run("describe", "--json")
    assert code == 0
    rows = json.loads(output)
    assert {r["topic"] for r in rows} == {s.name for s in runtime.topic_specs()}
    assert all(r["matches"] for r in rows)
    code, output = _run("describe")
    assert code == 0 and f"{len(rows)} of {len(rows)} declared topic(s) match" in output


def test_drift_is_planned_and_restored_and_shortening_needs_confirm(runtime: Runtime) -> None:
    assert _run("apply")[0] == 0
    partner, topic = sorted(runtime.partner_topics.items())[0]
    declared = str(partner_retention_ms(runtime.engine.agreements)[partner])
    drifted = str(int(declared) + 365 * DAY_MS)
    _set_retention(runtime, topic, drifted)

    code, changes = _plan()
    assert code == EXIT_CHANGES_PENDING
    assert changes == [
        {
            "action": "alter_config",
            "topic": topic,
            "key": "retention.ms",
            "old": drifted,
            "new": declared,
            "destructive": True,
            "reason": "",
        }
    ]
    code, output = _run("plan")
    assert code == EXIT_CHANGES_PENDING and "destructive" in output

    code, output = _run("apply")
    assert code == 1
    assert "refused" in output and "--confirm" in output and "retention.ms" in output
    assert _plan()[1] == changes, "nothing applied when refused"

    code, output = _run("apply", "--confirm")
    assert code == 0, output
    assert _plan() == (0, [])


def test_prune_deletes_only_undeclared_topics_of_the_deployment(runtime: Runtime) -> None:
    assert _run("apply")[0] == 0
    admin = AdminClient(runtime.client)
    stray = runtime.topic("pentameter.stray")
    admin.create_topics([NewTopic(stray, 1, -1)])[stray].result(30)
    assert _plan()[0] == 0  # not declared, but left alone without --prune
    code, changes = _plan("--prune")
    assert code == EXIT_CHANGES_PENDING
    assert [(c["action"], c["topic"], c["destructive"]) for c in changes] == [("delete", stray, True)]
    code, output = _run("apply", "--prune")
    assert code == 1 and "refused" in output
    assert _run("apply", "--prune", "--confirm")[0] == 0
    assert _plan("--prune") == (0, [])
