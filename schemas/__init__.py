"""Pentameter's event schemas: the contract every other package builds on.

The path of an event through this package::

    agency JSON --validate()--> Avro-ready dict --encode()--> single-object bytes (Kafka value)
    Kafka value --decode()--> (SchemaEntry, dict) --catalogue.fields()/sensitivity()--> policy

Modules, one job each: ``catalogue`` (find schemas), ``repository`` (read the repo),
``entry`` (one schema version), ``fields`` (field paths and marks), ``marks`` (the closed mark
list), ``compatibility`` (Avro resolution rules and modes), ``wire`` (single-object encoding),
``convert`` (JSON <-> Avro-ready values), ``rules`` (domain rules), ``validation`` (both, with
readable issues), ``governance`` (catalogue <-> topic messages), ``samples`` (one example per
event), ``cli`` (``pentameter schemas``). Partners' subset schemas are derived by the policy
engine (:mod:`policies.projection`).

This package imports nothing from the rest of Pentameter: it is the bottom of the graph.
"""

from schemas.catalogue import Catalogue, default_catalogue, fingerprint_bytes, load_catalogue
from schemas.compatibility import (
    CompatibilityMode,
    Finding,
    Incompatibility,
    can_read,
    check_history,
    check_new_version,
    reader_writer_incompatibilities,
)
from schemas.convert import to_json
from schemas.entry import SchemaEntry
from schemas.exceptions import (
    CatalogueError,
    CatalogueFileError,
    ConversionUnsure,
    FingerprintMismatch,
    GovernanceMessageError,
    IncompatibleReader,
    IncompatibleSchema,
    NotSingleObjectEncoded,
    RecordInvalid,
    SchemaDefinitionError,
    SchemasError,
    UndecodableBody,
    UnencodableRecord,
    UnknownFieldPath,
    UnknownFingerprint,
    UnknownSchema,
    WireError,
)
from schemas.fields import ConditionalMarks, FieldInfo
from schemas.governance import (
    apply_message,
    catalogue_from_messages,
    catalogue_messages,
    entry_message,
)
from schemas.marks import ALL_MARKS, MARK_DOCS, Mark
from schemas.samples import sample
from schemas.validation import Issue, read_jsonl, validate, validate_many
from schemas.wire import Codec, decode, encode, read_fingerprint

__all__ = [
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
