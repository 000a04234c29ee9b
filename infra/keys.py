"""The key store: agency signing keys (Ed25519) and partner encryption keys (X25519).

Keys live as raw files under ``$PENTAMETER_HOME/keys`` (git-ignored, directory 0700, private keys
0600), created on first use so a fresh machine needs no manual step. Rotation keeps old keys,
marked retired, so events signed or encrypted before a rotation stay readable:

    keys/
      agencies/<agency>/<key-hash>.ed25519      private signing key (32 raw bytes)
      agencies/<agency>/<key-hash>.pub          its public key (32 raw bytes): what verifiers read
      agencies/<agency>/current                 name of the key that signs now
      partners/<partner>/<key-hash>.x25519      private decryption key (32 raw bytes)
      partners/<partner>/current
      partners/<partner>/revoked                marker: keys destroyed, none is ever made again

The router signs with the identity ``router`` (``agencies/router/``). Revoking a partner destroys
its private keys here (crypto-shredding): what this store held can no longer be decrypted with it.
A copy of a private key taken out of the store before (an export, a backup) is beyond that reach.

Verifying a signature reads only ``.pub`` files, so a partner's own store (``export_partner``:
its private keys and the router's public keys, nothing else) verifies the router's records without
any private key of the router's. Only this module touches key files; callers get key objects or
lookups (``list_keys`` names keys without ever reading private material into its result).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from errors import NotFound
from infra.exceptions import KeyStoreError, NoSuchKey
from schemas.provenance import key_id_for

_OWNER = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
ROUTER_IDENTITY = "router"
"""The identity the router signs with; a partner trusts its keys and nobody else's."""
SIGNING = "signing"
ENCRYPTION = "encryption"


class KeyRevoked(KeyStoreError, NotFound):
    """The partner was revoked: its keys were destroyed and no new one may be made."""


@dataclass(frozen=True, order=True)
class KeyInfo:
    """What may be shown about a key: never its private bytes."""

    kind: str  # SIGNING (Ed25519) or ENCRYPTION (X25519)
    owner: str  # agency id, ``router``, or partner id
    key_id: str  # ``<owner>:<hash of the public key>``, as in headers and ciphertexts
    current: bool
    created: float  # file modification time (seconds since the epoch)


def _check_owner(owner: str) -> str:
    if not _OWNER.match(owner):
        raise ValueError(f"{owner!r} is not a valid agency or partner id (lower case, digits, '._-')")
    return owner


def _write_current(directory: Path, name: str) -> None:
    """Point ``current`` at ``name`` atomically, so a reader never sees a half-written name."""
    tmp = directory / "current.tmp"
    tmp.write_text(name + "\n")
    os.replace(tmp, directory / "current")


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_public(private_path: Path, raw_public: bytes) -> None:
    """Write the public key beside its private key (``<hash>.pub``), readable by anyone."""
    path = private_path.with_suffix(".pub")
    tmp = path.with_suffix(".pub.tmp")
    tmp.write_bytes(raw_public)
    os.replace(tmp, path)


def _short_hash(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()[:16]


class KeyStore:
    """Agency and partner keys on disk, generated on first use and kept across rotations."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- agency signing keys -------------------------------------------------------------------
    def _agency_dir(self, agency: str) -> Path:
        return self.root / "agencies" / _check_owner(agency)

    def signing_key(self, agency: str) -> Ed25519PrivateKey:
        """The agency's current signing key, created if the agency has none yet."""
        directory = self._agency_dir(agency)
        current = directory / "current"
        if not current.exists():
            return self.rotate_signing_key(agency)
        return Ed25519PrivateKey.from_private_bytes((directory / current.read_text().strip()).read_bytes())

    def rotate_signing_key(self, agency: str) -> Ed25519PrivateKey:
        """Make a new signing key current; earlier keys stay trusted for verification."""
        key = Ed25519PrivateKey.generate()
        name = f"{_short_hash(key.public_key().public_bytes_raw())}.ed25519"
        directory = self._agency_dir(agency)
        _write_secret(directory / name, key.private_bytes_raw())
        _write_public(directory / name, key.public_key().public_bytes_raw())
        _write_current(directory, name)
        return key

    def agency_public_keys(self, agency: str) -> Iterator[Ed25519PublicKey]:
        """Every public key the agency has ever signed with (current and retired), from the
        ``.pub`` files (written for a key that has none yet: stores made before they existed)."""
        directory = self._agency_dir(agency)
        for private in directory.glob("*.ed25519"):
            if not private.with_suffix(".pub").exists():
                raw = (
                    Ed25519PrivateKey.from_private_bytes(private.read_bytes()).public_key().public_bytes_raw()
                )
                _write_public(private, raw)
        for path in sorted(directory.glob("*.pub")):
            yield Ed25519PublicKey.from_public_bytes(path.read_bytes())

    def export_partner(self, partner: str, destination: Path, trusted: Iterable[str]) -> KeyStore:
        """A store at ``destination`` holding what ``partner``'s machine needs and nothing else: its
        own decryption keys (current and retired) and the public signing keys of ``trusted``
        identities (the router). Existing files there are replaced; returns the new store."""
        self._refuse_revoked(partner)
        self.partner_private_key(partner)  # a partner without a key yet gets one now
        target = KeyStore(destination)
        mine, theirs = self._partner_dir(partner), target._partner_dir(partner)
        theirs.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in [*mine.glob("*.x25519"), mine / "current"]:
            (theirs / path.name).unlink(missing_ok=True)
            _write_secret(theirs / path.name, path.read_bytes())
        for owner in trusted:
            for public in self.agency_public_keys(owner):
                raw = public.public_bytes_raw()
                name = f"{_short_hash(raw)}.ed25519"
                target_dir = target._agency_dir(owner)
                target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                (target_dir / name).with_suffix(".pub").unlink(missing_ok=True)
                _write_public(target_dir / name, raw)
        return target

    def trusted_signing_keys(self, agencies: list[str]) -> dict[str, Ed25519PublicKey]:
        """Key id -> public key for the named agencies, for a provenance verifier."""
        return {
            key_id_for(agency, public): public
            for agency in agencies
            for public in self.agency_public_keys(agency)
        }

    def signing_key_lookup(
        self, owners: Iterable[str] | None = None
    ) -> Callable[[str], Ed25519PublicKey | None]:
        """Key id -> public key, reading the store again when an id is not known yet (an agency
        that signed for the first time, or a key rotated, after the lookup was made), and
        remembering what it found. With ``owners``, only those identities' keys are trusted (a
        partner trusts the router's keys and nobody else's)."""
        known: dict[str, Ed25519PublicKey] = {}
        allowed = None if owners is None else frozenset(owners)

        def lookup(key_id: str) -> Ed25519PublicKey | None:
            if key_id not in known:
                agency = key_id.rsplit(":", 1)[0]
                if not _OWNER.match(agency):  # an id from an untrusted header names no file
                    return None
                if allowed is not None and agency not in allowed:
                    return None
                known.update(self.trusted_signing_keys([agency]))
            return known.get(key_id)

        return lookup

    # -- pseudonym secret --------------------------------------------------------------------
    def pseudonym_secret(self) -> bytes:
        """The secret behind partner pseudonyms (32 random bytes, created on first use)."""
        path = self.root / "pseudonym.secret"
        if not path.exists():
            _write_secret(path, os.urandom(32))
        return path.read_bytes()

    # -- partner encryption keys ---------------------------------------------------------------
    def _partner_dir(self, partner: str) -> Path:
        return self.root / "partners" / _check_owner(partner)

    def partner_revoked(self, partner: str) -> bool:
        """True once ``destroy_partner_keys`` ran for ``partner``."""
        return (self._partner_dir(partner) / "revoked").exists()

    def _refuse_revoked(self, partner: str) -> None:
        if self.partner_revoked(partner):
            raise KeyRevoked(f"partner {partner!r} was revoked: its keys were destroyed")

    def partner_private_key(self, partner: str, key_id: str | None = None) -> X25519PrivateKey:
        """The partner's current decryption key, or the one named ``key_id`` (after rotation)."""
        self._refuse_revoked(partner)
        directory = self._partner_dir(partner)
        current = directory / "current"
        if key_id is None:
            if not current.exists():
                return self.rotate_partner_key(partner)
            name = current.read_text().strip()
        else:
            name = f"{key_id.rsplit(':', 1)[-1]}.x25519"
        path = directory / name
        if not path.exists():
            raise NoSuchKey(f"partner {partner!r} has no key {key_id or name!r}")
        return X25519PrivateKey.from_private_bytes(path.read_bytes())

    def partner_public_key(self, partner: str) -> tuple[str, X25519PublicKey]:
        """``(key id, public key)`` that data for ``partner`` is encrypted to now."""
        public = self.partner_private_key(partner).public_key()
        return f"{partner}:{_short_hash(public.public_bytes_raw())}", public

    def rotate_partner_key(self, partner: str) -> X25519PrivateKey:
        """Make a new encryption key current; old ones stay so earlier records still open."""
        self._refuse_revoked(partner)
        key = X25519PrivateKey.generate()
        name = f"{_short_hash(key.public_key().public_bytes_raw())}.x25519"
        directory = self._partner_dir(partner)
        _write_secret(directory / name, key.private_bytes_raw())
        _write_current(directory, name)
        return key

    def destroy_partner_keys(self, partner: str) -> list[str]:
        """Crypto-shred ``partner``: overwrite and delete every private key the store holds for it,
        and mark it revoked so no key is made for it again. Returns the key ids destroyed (none on
        a second call). Copies of a key made outside this store are not reached."""
        directory = self._partner_dir(partner)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / "revoked").write_text(f"{int(time.time())}\n")
        destroyed = []
        for path in sorted(directory.glob("*.x25519")):
            size = path.stat().st_size
            with path.open("r+b") as handle:  # best effort: the file system may keep old blocks
                handle.write(os.urandom(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            destroyed.append(f"{partner}:{path.stem}")
        (directory / "current").unlink(missing_ok=True)
        return destroyed

    # -- listing -------------------------------------------------------------------------------
    def list_keys(self) -> list[KeyInfo]:
        """Every key in the store by kind, owner and id, current or retired (names, never bytes)."""
        found: list[KeyInfo] = []
        for kind, folder, suffix in ((SIGNING, "agencies", "ed25519"), (ENCRYPTION, "partners", "x25519")):
            for directory in sorted((self.root / folder).glob("*")):
                if not directory.is_dir():
                    continue
                current_file = directory / "current"
                current = current_file.read_text().strip() if current_file.exists() else ""
                for path in sorted(directory.glob(f"*.{suffix}")):
                    found.append(
                        KeyInfo(
                            kind,
                            directory.name,
                            f"{directory.name}:{path.stem}",
                            path.name == current,
                            path.stat().st_mtime,
                        )
                    )
        return found
