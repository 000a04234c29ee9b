"""Every error the ``policies`` package raises, under one base class.

A router that only wants to know "did the policy layer refuse?" catches :class:`PoliciesError`;
a reviewer tool that prints problems for a person catches :class:`AgreementError` and lists
``.problems`` (each names its file, line and agreement).

::

    PoliciesError
    ├── RegistryError               registry.yaml is malformed (names file and line)
    ├── AgreementError              one or more agreement files are invalid (has .problems)
    │   └── GuardRailViolation      an agreement releases what a guard rail forbids (rule id)
    ├── PlanError                   a plan could not be compiled or registered (engine bug or
    │                               catalogue refusal); never raised for a valid agreement set
    ├── UnknownPartner              a partner id that the registry does not list
    ├── PseudonymError              the pseudonymisation secret is missing or too short
    └── CryptoError                 field encryption failed
        ├── EncryptionError         no usable public key for the partner
        └── DecryptionError         wrong key, wrong partner/event/field, or tampered bytes
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PoliciesError(Exception):
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


class UnknownPartner(PoliciesError, KeyError):
    """A partner id that is not in the registry."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown partner"


class PseudonymError(PoliciesError):
    """The pseudonymisation secret is missing, malformed or too short."""


class CryptoError(PoliciesError):
    """Field encryption or decryption failed."""


class EncryptionError(CryptoError):
    """No usable public key for the partner, or the key lookup failed."""


class DecryptionError(CryptoError):
    """The ciphertext does not open: wrong partner key, a different event id or field path than
    it was sealed for, an unknown format version, or tampered bytes."""
