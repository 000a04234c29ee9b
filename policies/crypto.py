"""Field encryption for one partner: only that partner's private key opens the value.

An agreement may release a field "encrypted for the partner" so it crosses Kafka, the audit
trail and any intermediate store as ciphertext. The engine only needs the
:class:`FieldEncryptor` protocol; :class:`X25519FieldEncryptor` is the real one:

* a random 256-bit data key encrypts the value with AES-256-GCM;
* the data key is wrapped to the partner's X25519 public key: an ephemeral X25519 key pair,
  the shared secret through HKDF-SHA256 (salt: both public keys) gives a key-encryption key,
  which seals the data key with AES-256-GCM;
* both seals use the same associated data, binding the partner id, the event id, the field
  path and the key id, so a ciphertext moved to another partner, event or field fails to open.

Layout (version 1)::

    0x01 | len(key_id) (1 byte) | key_id (UTF-8) | ephemeral public key (32)
         | wrap nonce (12) | wrapped data key (48) | nonce (12) | ciphertext + tag

Keys are looked up through injected callables, so the key store (``infra.keys``) stays the only
code that touches key files: encryption needs ``partner -> (key_id, X25519PublicKey)``,
decryption ``key_id -> X25519PrivateKey``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from policies.exceptions import DecryptionError, EncryptionError, UnknownPartnerKey

VERSION = 1
_HKDF_INFO = b"pentameter/field-key-wrap/v1"
_AAD_LABEL = b"pentameter/field/v1"
_NONCE = 12
_KEY = 32
_WRAPPED = _KEY + 16

PublicKeyLookup = Callable[[str], tuple[str, X25519PublicKey]]
"""partner id -> (key id, public key) that data for the partner is encrypted to now."""
PrivateKeyLookup = Callable[[str], X25519PrivateKey]
"""key id -> private key (the partner side); raises KeyError for an unknown id."""


class FieldEncryptor(Protocol):
    """What the engine needs to encrypt one field value for one partner."""

    def encrypt(self, partner: str, event_id: str, field_path: str, plaintext: bytes) -> bytes:
        """Seal ``plaintext`` so only ``partner`` can open it, bound to the event and field."""
        ...

    def decrypt(self, partner: str, event_id: str, field_path: str, ciphertext: bytes) -> bytes:
        """Open a value sealed by :meth:`encrypt` with the same partner, event and field."""
        ...


def _aad(partner: str, event_id: str, field_path: str, key_id: str) -> bytes:
    return b"\x00".join(
        (_AAD_LABEL, partner.encode(), event_id.encode(), field_path.encode(), key_id.encode())
    )


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=_KEY, salt=ephemeral + recipient, info=_HKDF_INFO).derive(
        shared
    )


class X25519FieldEncryptor:
    """AES-256-GCM field encryption with data keys wrapped to partners' X25519 keys.

    The router constructs it with ``public_key_for`` only; a partner consumer with
    ``private_key_for`` (the router never holds private keys).
    """

    def __init__(
        self,
        public_key_for: PublicKeyLookup | None = None,
        private_key_for: PrivateKeyLookup | None = None,
    ) -> None:
        self._public_key_for = public_key_for
        self._private_key_for = private_key_for

    def encrypt(self, partner: str, event_id: str, field_path: str, plaintext: bytes) -> bytes:
        """Seal ``plaintext`` for ``partner`` (see the module doc for the layout)."""
        if self._public_key_for is None:
            raise EncryptionError("this encryptor has no public key lookup")
        try:
            key_id, public = self._public_key_for(partner)
        except Exception as exc:  # the lookup is injected; any failure means "no key"
            raise EncryptionError(f"no encryption key for partner {partner!r}: {exc}") from exc
        raw_id = key_id.encode()
        if not 0 < len(raw_id) < 256:
            raise EncryptionError(f"key id {key_id!r} must be 1 to 255 bytes")
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes_raw()
        recipient = public.public_bytes_raw()
        kek = _kek(ephemeral.exchange(public), ephemeral_public, recipient)
        data_key = AESGCM.generate_key(bit_length=256)
        aad = _aad(partner, event_id, field_path, key_id)
        wrap_nonce, nonce = os.urandom(_NONCE), os.urandom(_NONCE)
        wrapped = AESGCM(kek).encrypt(wrap_nonce, data_key, aad)
        sealed = AESGCM(data_key).encrypt(nonce, plaintext, aad)
        return b"".join(
            (bytes((VERSION, len(raw_id))), raw_id, ephemeral_public, wrap_nonce, wrapped, nonce, sealed)
        )

    def decrypt(self, partner: str, event_id: str, field_path: str, ciphertext: bytes) -> bytes:
        """Open a value sealed for ``partner``; raises DecryptionError on any mismatch."""
        if self._private_key_for is None:
            raise DecryptionError("this encryptor has no private key lookup")
        key_id, ephemeral_public, wrap_nonce, wrapped, nonce, sealed = _split(ciphertext)
        try:
            private = self._private_key_for(key_id)
        except Exception as exc:  # injected lookup: unknown id, wrong partner's store, ...
            raise DecryptionError(f"no private key {key_id!r} available: {exc}") from None
        aad = _aad(partner, event_id, field_path, key_id)
        try:
            shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
            recipient = private.public_key().public_bytes_raw()
            data_key = AESGCM(_kek(shared, ephemeral_public, recipient)).decrypt(wrap_nonce, wrapped, aad)
            return AESGCM(data_key).decrypt(nonce, sealed, aad)
        except (InvalidTag, ValueError):
            raise DecryptionError(
                "ciphertext does not open: wrong key, or sealed for another partner, event or field, "
                "or altered"
            ) from None


def _split(data: bytes) -> tuple[str, bytes, bytes, bytes, bytes, bytes]:
    if len(data) < 2 or data[0] != VERSION:
        raise DecryptionError(f"unknown field-encryption format (version byte {data[:1].hex() or 'none'})")
    id_len = data[1]
    at = 2 + id_len
    need = at + 32 + _NONCE + _WRAPPED + _NONCE + 16
    if id_len == 0 or len(data) < need:
        raise DecryptionError("field ciphertext is truncated")
    try:
        key_id = data[2:at].decode()
    except UnicodeDecodeError:
        raise DecryptionError("field ciphertext has a malformed key id") from None
    ephemeral = data[at : at + 32]
    at += 32
    wrap_nonce = data[at : at + _NONCE]
    at += _NONCE
    wrapped = data[at : at + _WRAPPED]
    at += _WRAPPED
    nonce = data[at : at + _NONCE]
    at += _NONCE
    return key_id, ephemeral, wrap_nonce, wrapped, nonce, data[at:]


def key_id_of(ciphertext: bytes) -> str:
    """The key id a field ciphertext was sealed to (a partner consumer uses it to pick a key)."""
    return _split(ciphertext)[0]


class InMemoryKeyRing:
    """Partner X25519 keys held in memory, generated on first use: for tests, benchmarks and the
    reviewer tools (``pentameter policy explain``), never for production keys.

    ``public_key(partner)`` and ``private_key(key_id)`` have the shapes the encryptor expects.
    """

    def __init__(self) -> None:
        self._keys: dict[str, X25519PrivateKey] = {}
        self._current: dict[str, str] = {}

    def public_key(self, partner: str) -> tuple[str, X25519PublicKey]:
        """The partner's current (key id, public key); a key is generated on first use."""
        key_id = self._current.get(partner)
        if key_id is None:
            key_id = self.rotate(partner)
        return key_id, self._keys[key_id].public_key()

    def private_key(self, key_id: str) -> X25519PrivateKey:
        """The private key with this id; KeyError when unknown."""
        return self._keys[key_id]

    def rotate(self, partner: str) -> str:
        """Give the partner a new current key; returns its id (old keys stay usable)."""
        key = X25519PrivateKey.generate()
        key_id = f"{partner}:{key.public_key().public_bytes_raw().hex()[:16]}"
        self._keys[key_id] = key
        self._current[partner] = key_id
        return key_id

    def encryptor(self) -> X25519FieldEncryptor:
        """An encryptor that can both seal and open with this ring's keys."""
        return X25519FieldEncryptor(self.public_key, self.private_key)

    def partner_encryptor(self, partner: str) -> X25519FieldEncryptor:
        """An encryptor that opens only ``partner``'s keys, as that partner's consumer would."""

        def own(key_id: str) -> X25519PrivateKey:
            if not key_id.startswith(partner + ":"):
                raise UnknownPartnerKey(f"{key_id!r} is not a key of {partner!r}")
            return self._keys[key_id]

        return X25519FieldEncryptor(None, own)


class Unsealed:
    """A value to be encrypted for a partner once rule 11 has scrubbed it. The partner reads it in
    clear, so it is scrubbed like any string released in clear (:mod:`policies.scrub`), then
    sealed: a plan's delivery never leaves the engine with one of these in it."""

    __slots__ = ("seal_with", "text")

    def __init__(self, text: str, seal_with: Callable[[bytes], bytes]) -> None:
        self.text = text
        self.seal_with = seal_with

    def seal(self) -> bytes:
        """The ciphertext of the (scrubbed) text."""
        return self.seal_with(self.text.encode())
