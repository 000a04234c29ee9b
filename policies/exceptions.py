"""Every error the ``policies`` package raises, under one base class.

A router that only wants to know "did the policy layer refuse?" catches :class:`PoliciesError`;
a reviewer tool that prints problems for a person catches :class:`AgreementError` and lists
``.problems`` (each names its file, line and agreement).

The whole tree, this family in it, is drawn in :mod:`errors` under :class:`errors.PentameterError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from errors import NotFound, PentameterError


class PoliciesError(PentameterError):
    """Base class of every error raised by the policies package."""


class RegistryError(PoliciesError):
    """The partner registry file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one agreement, located precisely enough to fix it in an editor."""

    file: str
    line: int
    agreement: str
    message: str
    rule_id: str | None = None

    def __str__(self) -> str:
        rule = f" [{self.rule_id}]" if self.rule_id else ""
        return f"{self.file}:{self.line}: agreement {self.agreement}: {self.message}{rule}"


class AgreementError(PoliciesError):
    """One or more agreements are invalid. Carries every problem found, not only the first, so a
    reviewer can fix a whole set in one pass; ``str()`` lists them one per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if len(self.problems) == 1:
            text = str(self.problems[0])
        else:
            text = f"{len(self.problems)} problems:\n" + "\n".join(f"  {p}" for p in self.problems)
        super().__init__(text)


class GuardRailViolation(AgreementError):
    """An agreement tries to release something a structural guard rail forbids (for example a
    source field, a safe-house address, or identity in a Duty to Notify). Every problem carries
    the guard rail's rule id."""


class PlanError(PoliciesError):
    """A plan could not be compiled or its projection schema registered."""


class UnknownPartner(PoliciesError, NotFound):
    """A partner id that is not in the registry."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown partner"


class PseudonymError(PoliciesError):
    """The pseudonymisation secret is missing, malformed or too short."""


class CryptoError(PoliciesError):
    """Field encryption or decryption failed."""


class EncryptionError(CryptoError):
    """No usable public key for the partner, or the key lookup failed."""


class UnknownPartnerKey(CryptoError, NotFound):
    """A key id that the partner's own ring does not hold."""


class DecryptionError(CryptoError):
    """The ciphertext does not open: wrong partner key, a different event id or field path than
    it was sealed for, an unknown format version, or tampered bytes."""
