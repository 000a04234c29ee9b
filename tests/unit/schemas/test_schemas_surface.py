"""The package's public surface and its place at the bottom of the dependency graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import schemas
from schemas import exceptions

EXPECTED_ALL = [
    "ALL_MARKS",
    "MARK_DOCS",
    "Catalogue",
    "CatalogueError",
    "CatalogueFileError",
    "Codec",
    "CompatibilityMode",
    "ConditionalMarks",
    "FieldInfo",
    "Finding",
    "FingerprintMismatch",
    "GovernanceMessageError",
    "Incompatibility",
    "IncompatibleReader",
    "IncompatibleSchema",
    "Issue",
    "Mark",
    "NotSingleObjectEncoded",
    "RecordInvalid",
    "SchemaDefinitionError",
    "SchemaEntry",
    "SchemasError",
    "UndecodableBody",
    "UnencodableRecord",
    "UnknownFieldPath",
    "UnknownFingerprint",
    "UnknownSchema",
    "WireError",
    "apply_message",
    "can_read",
    "catalogue_from_messages",
    "catalogue_messages",
    "check_history",
    "check_new_version",
    "decode",
    "default_catalogue",
    "encode",
    "entry_message",
    "fingerprint_bytes",
    "load_catalogue",
    "project",
    "read_fingerprint",
    "read_jsonl",
    "reader_writer_incompatibilities",
    "sample",
    "to_json",
    "validate",
    "validate_many",
]


def test_public_surface_is_pinned() -> None:
    assert schemas.__all__ == EXPECTED_ALL
    for name in schemas.__all__:
        assert hasattr(schemas, name)


def test_every_exception_derives_from_the_one_base() -> None:
    errors = [
        obj
        for obj in vars(exceptions).values()
        if isinstance(obj, type) and issubclass(obj, Exception) and obj.__module__ == exceptions.__name__
    ]
    assert len(errors) == 16
    for error in errors:
        assert issubclass(error, schemas.SchemasError), error
        assert error.__name__ in (exceptions.__doc__ or ""), f"{error.__name__} not in the tree"
        assert error.__name__ in schemas.__all__


def test_package_imports_no_other_pentameter_package() -> None:
    root = Path(schemas.__file__).parent
    forbidden = {"producers", "consumers", "policies", "infra", "pentameter"}
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"
    code = (
        "import sys, schemas, schemas.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'producers','consumers','policies','infra','pentameter','hypothesis'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
