"""The wheel ships the product packages and their data, never the tooling tree or the tests."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.imports import CHECKOUT, PRODUCT_PACKAGES

pytestmark = pytest.mark.slow

PACKAGE_DATA = (
    "schemas/catalogue.yaml",
    "policies/registry.yaml",
    "infra/broker/pom.xml",
)
"""A few data files each install needs; their folders' other files follow the same patterns."""


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(CHECKOUT),
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(out),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = out.glob("pentameter-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_product_package_and_nothing_else(wheel_files: set[str]) -> None:
    tops = {Path(name).parts[0] for name in wheel_files if not name.startswith("pentameter-")}
    assert tops == set(PRODUCT_PACKAGES)


def test_the_wheel_carries_the_package_data(wheel_files: set[str]) -> None:
    for data in PACKAGE_DATA:
        assert data in wheel_files
    assert any(name.startswith("policies/agreements/") and name.endswith(".yaml") for name in wheel_files)
    assert any(name.startswith("schemas/avro/") and name.endswith(".avsc") for name in wheel_files)
