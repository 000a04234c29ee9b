"""`pentameter demo` at a small scale: the whole operation, and the coordination cell's live
dashboard, match the ground truth."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pentameter.cli import app

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_demo_matches_ground_truth(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    result = CliRunner().invoke(app, ["demo", "--scale", "0.05", "--bad-rows", "4"])
    assert result.exit_code == 0, result.output
    assert "every partner received exactly what its agreement allows" in result.output
    assert "verified" in result.output
    assert "✗" not in result.output
    assert "operation picture (live dashboard): http://127.0.0.1:" in result.output
    assert "planted cross-force links found" in result.output  # the dashboard checked, every row ✓
