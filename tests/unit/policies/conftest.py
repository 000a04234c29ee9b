"""Fixtures for the policy engine tests: one catalogue, key ring, secret and engine per session.

The engine is loaded with the baseline agreements and a fixed date inside their validity, so the
tests do not depend on the day they run.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from policies import InMemoryKeyRing, PolicyEngine, PseudonymSecrets
from policies.agreements import DEFAULT_AGREEMENTS
from schemas.catalogue import Catalogue, load_catalogue
from schemas.wire import Codec

TODAY = date(2026, 6, 1)
"""A day on which every baseline agreement is in force."""

SECRET = bytes(range(32))


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def ring() -> InMemoryKeyRing:
    return InMemoryKeyRing()


@pytest.fixture(scope="session")
def secrets() -> PseudonymSecrets:
    return PseudonymSecrets(SECRET)


@pytest.fixture(scope="session")
def engine(catalogue: Catalogue, ring: InMemoryKeyRing, secrets: PseudonymSecrets) -> PolicyEngine:
    return PolicyEngine.load(catalogue, secrets=secrets, encryptor=ring.encryptor(), today=TODAY)


@pytest.fixture(scope="session")
def codec(catalogue: Catalogue) -> Codec:
    return Codec(catalogue)


@pytest.fixture
def agreements_copy(tmp_path: Path) -> Path:
    """A writable copy of the baseline agreements, for tests that break or change one."""
    target = tmp_path / "agreements"
    shutil.copytree(DEFAULT_AGREEMENTS, target)
    return target
