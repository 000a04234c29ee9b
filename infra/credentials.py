"""Generated SCRAM passwords of the secure local cluster's principals, kept in one 0600 file.

The store is ``credentials.json`` in the secure broker's state directory (under
``$PENTAMETER_HOME``, git-ignored): ``{"principal": "password", ...}``. Passwords are created on
first use with ``secrets``, written atomically, and never logged; ``pentameter creds show`` is the
one command that prints one, on explicit request.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from infra.exceptions import InfraError
from infra.files import write_atomically

PRINCIPAL_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]*$")
"""Principal names: lower case, so they fit SCRAM ``name=...`` and JAAS quoting unescaped."""


class CredentialError(InfraError):
    """A principal name that cannot be a SCRAM user, or a principal the store does not know."""


def new_password() -> str:
    """32 random URL-safe characters (192 bits): no quote, comma or bracket to escape."""
    return secrets.token_urlsafe(24)


class CredentialStore:
    """Principal -> password, persisted in ``path`` with owner-only permissions."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text())
        if not isinstance(data, dict):
            raise CredentialError(f"{self.path} is not a JSON object")
        return {str(k): str(v) for k, v in data.items()}

    def _save(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        write_atomically(self.path, json.dumps(data, indent=2, sort_keys=True).encode(), 0o600)

    def principals(self) -> list[str]:
        """Every principal with a stored password, sorted."""
        return sorted(self._load())

    def get(self, principal: str) -> str:
        """The stored password; raises CredentialError when there is none."""
        data = self._load()
        if principal not in data:
            known = ", ".join(sorted(data)) or "none"
            raise CredentialError(f"no credentials for principal {principal!r} (known: {known})")
        return data[principal]

    def ensure(self, *principals: str) -> dict[str, str]:
        """The passwords of ``principals``, generating (and storing) the missing ones."""
        data = self._load()
        changed = False
        for principal in principals:
            if not PRINCIPAL_PATTERN.match(principal):
                raise CredentialError(f"{principal!r} is not a valid principal name")
            if principal not in data:
                data[principal] = new_password()
                changed = True
        if changed or not self.path.exists():
            self._save(data)
        return {p: data[p] for p in principals}

    def remove(self, principal: str) -> bool:
        """Forget ``principal``'s password (a revoked principal); False when there was none."""
        data = self._load()
        if principal not in data:
            return False
        del data[principal]
        self._save(data)
        return True
