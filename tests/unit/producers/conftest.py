"""Shared fixtures of the agency-side unit tests: generated scenarios are built once per session."""

from __future__ import annotations

import pytest

from producers.generator import Generated, generate


@pytest.fixture(scope="session")
def full_scenario() -> Generated:
    """Pentameter 2 at scale 1 (the published figures) with 40 bad rows."""
    return generate("pentameter2", seed=2007, scale=1.0, bad_rows=40)


@pytest.fixture(scope="session")
def small_scenario() -> Generated:
    """A tenth of the operation with 14 bad rows (one of each defect)."""
    return generate("pentameter2", seed=11, scale=0.1, bad_rows=14)
