"""The package's public surface and its place at the bottom of the dependency graph."""

from __future__ import annotations

import subprocess
import sys

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
    "ConversionUnsure",
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
    assert len(errors) == 17
    for error in errors:
        assert issubclass(error, schemas.SchemasError), error
        assert error.__name__ in schemas.__all__


def test_importing_the_package_loads_no_other_pentameter_package() -> None:
    code = (
        "import sys, schemas, schemas.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'producers','consumers','policies','infra','pentameter','hypothesis'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
