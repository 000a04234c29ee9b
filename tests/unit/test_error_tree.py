"""Pins one error tree: every error a product package defines sits under PentameterError and is
drawn in the root's docstring, and no product module raises a bare RuntimeError or KeyError."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import errors
from errors import PentameterError
from tests.support.imports import CHECKOUT, PRODUCT_PACKAGES, modules_of

BARE = {"Exception", "RuntimeError", "KeyError"}
TREE = errors.__doc__ or ""


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(CHECKOUT).with_suffix("").parts).removesuffix(".__init__")


PRODUCT_MODULES = [
    _module_name(p) for package in PRODUCT_PACKAGES for p in modules_of(package) if p.name != "__main__.py"
]


@pytest.mark.parametrize("name", PRODUCT_MODULES)
def test_every_error_a_module_defines_is_under_the_root_and_in_the_tree(name: str) -> None:
    module = importlib.import_module(name)
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ == name and issubclass(cls, BaseException):
            assert issubclass(cls, PentameterError), f"{name}.{cls.__name__} is outside the tree"
            assert f" {cls.__name__}\n" in TREE or f" {cls.__name__} " in TREE, (
                f"{cls.__name__} is not drawn in errors"
            )


@pytest.mark.parametrize("package", PRODUCT_PACKAGES)
def test_no_product_module_raises_a_bare_builtin_error(package: str) -> None:
    for path in modules_of(package):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                called = node.exc.func
                assert not (isinstance(called, ast.Name) and called.id in BARE), (
                    f"{path.name}:{node.lineno} raises a bare {getattr(called, 'id', '')}"
                )
