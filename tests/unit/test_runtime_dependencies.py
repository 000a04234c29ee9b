"""Pins the runtime dependencies to what the product imports; test and tooling libraries stay in dev."""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.support.imports import CHECKOUT, PRODUCT_PACKAGES, imported_tops, modules_of

PROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_normal(re.split(r"[=<>!~ ;\[]", requirement, maxsplit=1)[0]) for requirement in requirements}


RUNTIME = _names(PROJECT["dependencies"])
DEV = _names(PROJECT["optional-dependencies"]["dev"])


def test_every_library_the_product_imports_is_a_runtime_dependency() -> None:
    distributions = packages_distributions()
    third_party = {
        top
        for package in PRODUCT_PACKAGES
        for path in modules_of(package)
        for top in imported_tops(path)
        if top not in sys.stdlib_module_names and top not in PRODUCT_PACKAGES
    }
    for top in sorted(third_party):
        assert {_normal(name) for name in distributions[top]} & RUNTIME, f"{top} is imported but not pinned"


def test_test_and_tooling_libraries_are_dev_only() -> None:
    for library in ("pytest", "hypothesis", "testcontainers", "selenium", "ruff", "mypy"):
        assert library in DEV and library not in RUNTIME
