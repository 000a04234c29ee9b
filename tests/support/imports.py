"""Read which top-level modules a source tree imports, without importing it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = (
    "pentameter",
    "producers",
    "consumers",
    "schemas",
    "policies",
    "infra",
    "clikit",
    "errors",
)
"""The packages the wheel ships; everything else in the checkout is tooling or tests."""


def imported_tops(path: Path) -> set[str]:
    """The top-level names of every absolute import in one module (relative ones stay inside)."""
    tops: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            tops.add(node.module.split(".")[0])
    return tops


def modules_of(package: str) -> Iterator[Path]:
    """Every module of a product package, sub-packages included."""
    yield from sorted((CHECKOUT / package).rglob("*.py"))
