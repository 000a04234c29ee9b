"""--bootstrap-server reaches the real cluster even when the environment names another one."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from pentameter.cli import app

pytestmark = pytest.mark.kafka


def test_the_flag_beats_the_environment(kafka_bootstrap: str) -> None:
    prefix = f"flags{uuid.uuid4().hex[:6]}."
    env = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "PENTAMETER_TOPIC_PREFIX": prefix}
    runner = CliRunner()
    result = runner.invoke(app, ["topics", "plan", "--json", "--bootstrap-server", kafka_bootstrap], env=env)
    assert result.exit_code == 1, result.output  # a fresh prefix: every topic is still to create
    changes = json.loads(result.stdout)
    assert changes and all(c["topic"].startswith(prefix) for c in changes), changes
