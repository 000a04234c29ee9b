"""Pins the dependency direction by reading imports: the product never reaches into its tooling.

The wheel ships only the product packages, so a product module importing the tooling tree, the
tests or a dev-only library would break every install made from it.
"""

from __future__ import annotations

import pytest

from tests.support.imports import PRODUCT_PACKAGES, imported_tops, modules_of

NOT_PRODUCT = {"bench", "tests", "hypothesis", "pytest", "testcontainers", "selenium"}
MAY_IMPORT = {
    "errors": set(),
    "clikit": set(),
    "schemas": {"errors", "clikit"},
    "policies": {"errors", "clikit", "schemas"},
    "infra": {"errors", "clikit", "schemas"},
    "producers": {"errors", "clikit", "schemas", "infra"},
    "consumers": {"errors", "clikit", "schemas", "policies", "infra"},
    "pentameter": set(PRODUCT_PACKAGES),
}


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_product_package_imports_no_tooling_tests_or_dev_library(package: str) -> None:
    for path in modules_of(package):
        assert not imported_tops(path) & NOT_PRODUCT, f"{path} imports {imported_tops(path) & NOT_PRODUCT}"


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_product_package_imports_only_the_packages_below_it(package: str) -> None:
    others = set(PRODUCT_PACKAGES) - {package} - MAY_IMPORT[package]
    for path in modules_of(package):
        assert not imported_tops(path) & others, f"{path} imports {imported_tops(path) & others}"


def test_every_product_package_has_a_place_in_the_direction() -> None:
    assert set(MAY_IMPORT) == set(PRODUCT_PACKAGES)
