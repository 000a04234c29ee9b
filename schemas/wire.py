"""Avro single-object encoding: ``C3 01`` + 8-byte CRC-64-AVRO fingerprint + Avro binary body.

Every Kafka value in Pentameter is one such object, so any consumer holding the catalogue (or the
governance topic) can decode any message without a schema registry call. The fingerprint is
written little-endian, as the Avro specification requires.

Per-record work is kept to a dict lookup and one call: schemas are parsed once when the catalogue
is built, and decoding with the writer's own schema skips schema resolution entirely. The call is
to the native codec (:mod:`schemas.native`, Rust) where it is built: a program compiled once per
schema version writes the bytes fastavro writes and reads the values fastavro reads. fastavro stays
the reference and the fallback: it decodes into another reader schema (resolution), and encodes
what the native codec declines (it accepts only values it knows fastavro writes the same way:
exact types, ints in range, aware datetimes; fastavro also takes ``True`` for an int, a tuple for
an array, a naive datetime as local time).
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from schemas import native
from schemas.catalogue import Catalogue, default_catalogue
from schemas.compatibility import reader_writer_incompatibilities
from schemas.entry import SchemaEntry
from schemas.exceptions import (
    IncompatibleReader,
    NotSingleObjectEncoded,
    UndecodableBody,
    UnencodableRecord,
    UnknownFingerprint,
)

MAGIC = b"\xc3\x01"
"""Marker that starts every single-object encoded value."""
HEADER_SIZE = 10
"""Marker (2 bytes) plus fingerprint (8 bytes)."""


def header(entry: SchemaEntry) -> bytes:
    """The 10-byte header for values written with ``entry``."""
    return MAGIC + entry.fingerprint


def read_fingerprint(data: bytes) -> bytes:
    """The 8 fingerprint bytes of a single-object value, without decoding the body.

    Lets a router pick a route or count schemas cheaply. Raises NotSingleObjectEncoded.
    """
    if len(data) < HEADER_SIZE or data[:2] != MAGIC:
        raise NotSingleObjectEncoded(_not_single_object(data))
    return bytes(data[2:HEADER_SIZE])


def _not_single_object(data: bytes) -> str:
    if len(data) < 2 or data[:2] != MAGIC:
        return (
            f"value does not start with the single-object marker c301 "
            f"(starts with {bytes(data[:2]).hex() or 'nothing'}, {len(data)} bytes)"
        )
    return f"value has {len(data)} bytes, fewer than the {HEADER_SIZE}-byte header"


class Codec:
    """Encodes and decodes single-object values against one catalogue.

    Bound to a catalogue (the package's own by default), so schemas registered on it at runtime
    are usable at once.
    """

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self.catalogue = catalogue if catalogue is not None else default_catalogue()
        self._readers_checked: set[tuple[bytes, bytes]] = set()

    def entry(self, schema: str | SchemaEntry) -> SchemaEntry:
        """The entry to write with: an entry as given, or the latest version of a name."""
        return schema if isinstance(schema, SchemaEntry) else self.catalogue.latest(schema)

    def encode(self, schema: str | SchemaEntry, record: Mapping[str, Any]) -> bytes:
        """Encode ``record`` with ``schema`` (a name means its latest version).

        The record must be Avro-ready (see :func:`schemas.validation.validate`); fastavro's own
        type checks apply and their failures raise UnencodableRecord naming the schema.
        """
        entry = self.entry(schema)
        program = entry.program
        declined: Exception | None = None
        if program is not None:
            try:
                return native.core.encode(program, record, MAGIC + entry.fingerprint)
            except native.core.EncodeError as exc:  # names the field; fastavro may still take it
                declined = exc
        out = BytesIO()
        out.write(MAGIC)
        out.write(entry.fingerprint)
        try:
            schemaless_writer(out, entry.parsed, record)
        except Exception as exc:  # fastavro raises TypeError/ValueError/KeyError/... per type
            reason = declined if declined is not None else exc
            raise UnencodableRecord(f"record does not fit {entry.label}: {reason}") from exc
        return out.getvalue()

    def decode(
        self, data: bytes, *, reader: str | SchemaEntry | None = None
    ) -> tuple[SchemaEntry, dict[str, Any]]:
        """Decode a single-object value: (writer's schema entry, record).

        With ``reader`` the record is resolved into that schema (a name means its latest
        version), e.g. to give the policy engine one shape for every writer version; it must be
        able to read the writer's data (IncompatibleReader otherwise). The entry returned is
        always the writer's, which is what audit records need.
        Raises NotSingleObjectEncoded, UnknownFingerprint or UndecodableBody.
        """
        if len(data) < HEADER_SIZE or data[:2] != MAGIC:
            raise NotSingleObjectEncoded(_not_single_object(data))
        fingerprint = bytes(data[2:HEADER_SIZE])
        writer = self.catalogue.find_fingerprint(fingerprint)
        if writer is None:
            raise UnknownFingerprint(fingerprint)
        reader_entry = None if reader is None else self.entry(reader)
        if reader_entry is not None and reader_entry.fingerprint != writer.fingerprint:
            self._check_reader(reader_entry, writer)
        elif writer.program is not None:
            return writer, self._decode_native(writer, writer.program, data)
        body = BytesIO(data)
        body.seek(HEADER_SIZE)
        try:
            if reader_entry is None or reader_entry.fingerprint == writer.fingerprint:
                record = schemaless_reader(body, writer.parsed, None)
            else:
                record = schemaless_reader(body, writer.parsed, reader_entry.parsed)
        except Exception as exc:  # EOFError, UnicodeDecodeError, IndexError, ... per corruption
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise UndecodableBody(fingerprint, writer.label, reason) from exc
        if body.tell() != len(data):
            raise UndecodableBody(
                fingerprint,
                writer.label,
                f"{len(data) - body.tell()} trailing byte(s) after the record",
            )
        if not isinstance(record, dict):
            raise UndecodableBody(fingerprint, writer.label, "body is not a record")
        return writer, record

    @staticmethod
    def _decode_native(writer: SchemaEntry, program: native.core.Program, data: bytes) -> dict[str, Any]:
        try:
            record, end = native.core.decode(
                program, data if isinstance(data, bytes) else bytes(data), HEADER_SIZE
            )
        except native.core.DecodeError as exc:
            raise UndecodableBody(writer.fingerprint, writer.label, str(exc)) from exc
        if end != len(data):
            raise UndecodableBody(
                writer.fingerprint, writer.label, f"{len(data) - end} trailing byte(s) after the record"
            )
        if not isinstance(record, dict):
            raise UndecodableBody(writer.fingerprint, writer.label, "body is not a record")
        return record

    def _check_reader(self, reader: SchemaEntry, writer: SchemaEntry) -> None:
        key = (reader.fingerprint, writer.fingerprint)
        if key in self._readers_checked:
            return
        problems = reader_writer_incompatibilities(reader.schema, writer.schema)
        if problems:
            listed = "; ".join(f"{p.path or '(record)'}: {p.rule}" for p in problems)
            raise IncompatibleReader(f"{reader.label} cannot read {writer.label}: {listed}")
        self._readers_checked.add(key)


_default_codec: Codec | None = None


def default_codec() -> Codec:
    """The codec bound to :func:`schemas.catalogue.default_catalogue`."""
    global _default_codec
    if _default_codec is None:
        _default_codec = Codec()
    return _default_codec


def encode(schema: str | SchemaEntry, record: Mapping[str, Any]) -> bytes:
    """Encode with the default catalogue (see :meth:`Codec.encode`)."""
    return default_codec().encode(schema, record)


def decode(data: bytes, *, reader: str | SchemaEntry | None = None) -> tuple[SchemaEntry, dict[str, Any]]:
    """Decode with the default catalogue (see :meth:`Codec.decode`)."""
    return default_codec().decode(data, reader=reader)
