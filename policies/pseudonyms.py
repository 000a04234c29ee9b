"""Keyed pseudonyms: a token per (partner, value) that a partner can join on but not reverse.

``token = HMAC-SHA256(partner key, normaliser || 0x00 || normalised value)``, truncated to
128 bits and written ``pt1_<32 hex digits>``. The partner key is
``HMAC-SHA256(secret, "pentameter/pseudonym/v1/" || partner id)``, so:

* one partner always gets the same token for the same value, from whichever agency it came
  (the national coordination cell finds the phone two forces both reported);
* two partners get unrelated tokens for the same value, so they cannot join their copies;
* nobody without the secret can reverse or even test a guess; the operation (on behalf of the
  originator) re-identifies by recomputing :meth:`PseudonymSecrets.token` for candidate values.

Values are normalised first (digits of a phone, the letters of a VRM, a name without accents
or case) so trivial spelling differences do not split one entity into two tokens. The
normaliser name is part of the HMAC input, so a VRM and a postcode that happen to normalise to
the same characters still get different tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from policies.exceptions import PseudonymError

MIN_SECRET_BYTES = 32
TOKEN_PREFIX = "pt1_"
_KEY_LABEL = b"pentameter/pseudonym/v1/"

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_NOT_DIGIT = re.compile(r"[^0-9]+")
_SPACES = re.compile(r"\s+")
_NAME_JUNK = re.compile(r"[^\w\s'-]+")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_text(value: str) -> str:
    """Case-folded, NFKC, with runs of whitespace collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", value).casefold()).strip()


def normalise_name(value: str) -> str:
    """A person's or organisation's name: accents, case, punctuation and spacing removed."""
    text = _NAME_JUNK.sub(" ", (value if value.isascii() else _strip_accents(value)).casefold())
    return _SPACES.sub(" ", text).strip()


def normalise_phone(value: str) -> str:
    """Digits only, in international form: ``07700 900123``, ``+44 7700 900123`` and
    ``0044 7700900123`` are one number (UK national 0 becomes 44)."""
    digits = _NOT_DIGIT.sub("", value)
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return "44" + digits[1:]
    return digits


def normalise_alnum(value: str) -> str:
    """Upper-case letters and digits only (VRMs, postcodes, account numbers, references)."""
    return _NOT_ALNUM.sub("", value).upper()


def normalise_digits(value: str) -> str:
    """Digits only (IMEIs)."""
    return _NOT_DIGIT.sub("", value)


def normalise_exact(value: str) -> str:
    """The value as given, without surrounding whitespace (opaque references)."""
    return value.strip()


def normalise_address(value: Mapping[str, Any]) -> str:
    """An Address record: its lines as words, then the postcode, so one premises reported by two
    forces with different spacing or case gets one token."""
    lines = value.get("lines") or []
    words = " ".join(normalise_name(str(line)) for line in lines)
    postcode = normalise_alnum(str(value.get("postcode") or ""))
    return f"{_SPACES.sub(' ', words).strip()}|{postcode}"


NORMALISERS: Mapping[str, Callable[[str], str]] = MappingProxyType(
    {
        "text": normalise_text,
        "name": normalise_name,
        "phone": normalise_phone,
        "vrm": normalise_alnum,
        "postcode": normalise_alnum,
        "account": normalise_alnum,
        "imei": normalise_digits,
        "reference": normalise_exact,
    }
)
"""Normalisers for string values, by the name agreements use."""

RECORD_NORMALISERS: Mapping[str, Callable[[Mapping[str, Any]], str]] = MappingProxyType(
    {"address": normalise_address}
)
"""Normalisers for whole records (a token standing for a sub-record), by name."""


class PseudonymSecrets:
    """The secret behind every pseudonym; injected into the engine, never stored in the repo.

    Construct from at least 32 random bytes: :meth:`generate` (tests, demos),
    :meth:`from_hex`, :meth:`from_file` or :meth:`from_env` (production: the secret comes from
    the key store or the deployment's secret manager).
    """

    __slots__ = ("_partner_keys", "_secret")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            raise PseudonymError(f"the pseudonym secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._partner_keys: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return "PseudonymSecrets(<hidden>)"

    @classmethod
    def generate(cls) -> PseudonymSecrets:
        """A fresh random secret (tokens will not match any other process's)."""
        return cls(os.urandom(MIN_SECRET_BYTES))

    @classmethod
    def from_hex(cls, text: str) -> PseudonymSecrets:
        """From hex digits (at least 64)."""
        try:
            return cls(bytes.fromhex(text.strip()))
        except ValueError:
            raise PseudonymError("the pseudonym secret is not valid hex") from None

    @classmethod
    def from_file(cls, path: Path) -> PseudonymSecrets:
        """From a file holding the raw secret bytes (at least 32)."""
        try:
            return cls(path.read_bytes())
        except OSError as exc:
            raise PseudonymError(f"cannot read the pseudonym secret {path}: {exc.strerror}") from None

    @classmethod
    def from_env(cls, variable: str = "PENTAMETER_PSEUDONYM_SECRET") -> PseudonymSecrets:
        """From an environment variable holding hex digits."""
        value = os.environ.get(variable)
        if not value:
            raise PseudonymError(f"environment variable {variable} is not set")
        return cls.from_hex(value)

    def partner_key(self, partner: str) -> bytes:
        """The HMAC key for one partner's tokens (derived, cached)."""
        key = self._partner_keys.get(partner)
        if key is None:
            key = hmac.new(self._secret, _KEY_LABEL + partner.encode(), hashlib.sha256).digest()
            self._partner_keys[partner] = key
        return key

    def tokeniser(self, partner: str) -> Tokeniser:
        """A fast tokeniser bound to one partner (what compiled plans hold)."""
        return Tokeniser(self.partner_key(partner))

    def token(self, partner: str, normaliser: str, value: str | Mapping[str, Any]) -> str:
        """The token ``partner`` receives for ``value`` under ``normaliser`` (re-identification:
        compute it for a candidate value and compare)."""
        return self.tokeniser(partner).token(normaliser, value)


class Tokeniser:
    """Tokens for one partner. Holds a prepared HMAC so each token costs one copy and update."""

    __slots__ = ("_base",)

    def __init__(self, key: bytes) -> None:
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def token_of_normalised(self, normaliser: str, normalised: str) -> str:
        """Token of an already normalised value."""
        mac = self._base.copy()
        mac.update(normaliser.encode() + b"\x00" + normalised.encode("utf-8", "surrogatepass"))
        return TOKEN_PREFIX + mac.digest()[:16].hex()

    def token(self, normaliser: str, value: str | Mapping[str, Any]) -> str:
        """Normalise ``value`` with the named normaliser, then tokenise it."""
        if isinstance(value, str):
            return self.token_of_normalised(normaliser, NORMALISERS[normaliser](value))
        return self.token_of_normalised(normaliser, RECORD_NORMALISERS[normaliser](value))

    def function(self, normaliser: str) -> Callable[[Any], str]:
        """A one-argument function tokenising with a fixed normaliser (used by compiled plans)."""
        base = self._base
        label = normaliser.encode() + b"\x00"
        norm: Callable[[Any], str]
        if normaliser in NORMALISERS:
            string_norm = NORMALISERS[normaliser]

            def norm(value: Any) -> str:
                return string_norm(str(value))
        else:
            norm = RECORD_NORMALISERS[normaliser]
        prefix = TOKEN_PREFIX

        def tokenise(value: Any) -> str:
            mac = base.copy()
            mac.update(label + norm(value).encode("utf-8", "surrogatepass"))
            return prefix + mac.digest()[:16].hex()

        return tokenise
