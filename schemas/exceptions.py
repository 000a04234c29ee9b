"""Every error the ``schemas`` package raises, under one base class.

Callers that only want to know "did the schema layer refuse this?" catch
:class:`SchemasError`; callers that act differently per failure (a router dead-lettering an
unknown fingerprint, an adapter showing validation issues to a person) catch the leaf.

The whole tree, this family in it, is drawn in :mod:`errors` under :class:`errors.PentameterError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from errors import PentameterError

if TYPE_CHECKING:
    from schemas.validation import Issue


class SchemasError(PentameterError):
    """Base class of every error raised by the schemas package."""


class CatalogueError(SchemasError):
    """The schema catalogue could not be built, changed or queried."""


class CatalogueFileError(CatalogueError):
    """A catalogue file (catalogue.yaml or an .avsc file) is malformed.

    The message always names the file and, where there is one, the key at fault, because the
    person fixing it is editing that file.
    """

    def __init__(self, file: str, problem: str) -> None:
        self.file = file
        self.problem = problem
        super().__init__(f"{file}: {problem}")


class SchemaDefinitionError(CatalogueError):
    """A schema is valid Avro but breaks a house rule (missing doc, mark not in the closed list,
    malformed conditional sensitivity), so the policy engine could not rely on it."""

    def __init__(self, schema: str, problems: Sequence[str]) -> None:
        self.schema = schema
        self.problems = tuple(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"schema {schema} breaks {len(self.problems)} house rule(s):\n{listed}")


class UnknownSchema(CatalogueError):
    """No schema is registered under the name (and version) asked for."""


class WireError(SchemasError):
    """Single-object encoding or decoding failed."""


class UnknownFingerprint(UnknownSchema, WireError):
    """No schema in the catalogue has this CRC-64-AVRO fingerprint.

    Both a lookup failure and a wire failure, so a router that catches :class:`WireError` for
    every undecodable message also catches this one.
    """

    def __init__(self, fingerprint: bytes) -> None:
        self.fingerprint = fingerprint
        super().__init__(
            f"no schema with fingerprint {fingerprint.hex()} (CRC-64-AVRO, wire byte order) "
            "in the catalogue: the writer used a schema this process has not loaded"
        )


class FingerprintMismatch(CatalogueError):
    """A schema document claims a fingerprint its schema does not have (corrupt or tampered)."""


class IncompatibleSchema(CatalogueError):
    """A schema was refused because it breaks the compatibility mode of its name."""

    def __init__(self, message: str, findings: Sequence[object]) -> None:
        self.findings = tuple(findings)
        super().__init__(message)


class UnknownFieldPath(CatalogueError):
    """A field path (for example in an agreement or a projection) that the schema lacks."""


class GovernanceMessageError(SchemasError):
    """A message from the governance topic cannot be turned back into a schema."""


class NotSingleObjectEncoded(WireError):
    """The bytes are not Avro single-object encoded (wrong marker or shorter than the header)."""


class UndecodableBody(WireError):
    """The header is fine but the Avro body cannot be decoded with the writer's schema."""

    def __init__(self, fingerprint: bytes, schema: str, reason: str) -> None:
        self.fingerprint = fingerprint
        self.reason = reason
        super().__init__(
            f"cannot decode body written with {schema} (fingerprint {fingerprint.hex()}): {reason}"
        )


class IncompatibleReader(WireError):
    """A reader schema was requested that cannot read data of the writer's schema."""


class UnencodableRecord(WireError):
    """The record does not fit the schema it is being encoded with."""


class ConversionUnsure(SchemasError):
    """The compiled schema walk (:mod:`schemas.convert_compiled`) cannot vouch for a value, so the
    interpreted walk decides; caught there, never raised to a caller."""


class RecordInvalid(SchemasError):
    """A record breaks its schema or the domain rules.

    Carries every issue found (not only the first) so a person can fix a record or a file in
    one pass; ``str()`` lists them one per line.
    """

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        if len(self.issues) == 1:
            text = str(self.issues[0])
        else:
            text = f"{len(self.issues)} problems:\n" + "\n".join(f"  {i}" for i in self.issues)
        super().__init__(text)
