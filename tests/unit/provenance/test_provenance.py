"""Batch-signed provenance: every event proves its origin alone, and any change is caught."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.provenance import (
    H_AGENCY,
    H_LEAF,
    H_PROOF,
    BadSignature,
    MissingProvenance,
    Signer,
    UnknownKey,
    Verifier,
    leaf_hash,
    merkle_root_and_paths,
    merkle_root_and_proofs,
    root_from_proof,
)

POLICE = Signer("police.gloucestershire", Ed25519PrivateKey.generate())
BORDER = Signer("border.intel", Ed25519PrivateKey.generate())
TRUSTED = {s.key_id: s.private_key.public_key() for s in (POLICE, BORDER)}


def _lookup(key_id: str) -> Ed25519PublicKey | None:
    return TRUSTED.get(key_id)


def _replace(headers: list[tuple[str, bytes]], name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [(n, value if n == name else v) for n, v in headers]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=8), st.binary(max_size=64)), min_size=1, max_size=70))
def test_every_event_of_any_batch_verifies_on_its_own(events: list[tuple[bytes, bytes]]) -> None:
    headers = POLICE.seal(events)
    verifier = Verifier(_lookup)
    for (key, value), h in zip(events, headers, strict=True):
        assert verifier.verify(key, value, h).agency == "police.gloucestershire"


@pytest.mark.parametrize("size", [*range(1, 70), 127, 128, 129, 1000, 2047])
def test_the_linear_paths_are_the_reference_proofs_joined(size: int) -> None:
    """Signing writes the paths built top-down; they must be the reference tree's proofs, and
    each must lead its leaf back to the root."""
    leaves = [leaf_hash(str(i).encode(), bytes([i % 251]) * (i % 7)) for i in range(size)]
    root, proofs = merkle_root_and_proofs(leaves)
    fast_root, paths = merkle_root_and_paths(leaves)
    assert fast_root == root
    assert paths == [b"".join(proof) for proof in proofs]
    for i, path in enumerate(paths):
        pieces = [path[at : at + 32] for at in range(0, len(path), 32)]
        assert root_from_proof(leaves[i], i, size, pieces) == root


def test_changed_value_key_or_index_is_caught() -> None:
    events = [(f"case-{i % 3}".encode(), f"event {i}".encode()) for i in range(9)]
    headers = POLICE.seal(events)
    verifier = Verifier(_lookup)
    with pytest.raises(BadSignature):
        verifier.verify(events[4][0], b"event 4 altered", headers[4])
    with pytest.raises(BadSignature):
        verifier.verify(b"case-9", events[4][1], headers[4])
    with pytest.raises(BadSignature):
        verifier.verify(*events[4], _replace(headers[4], H_LEAF, b"5"))
    with pytest.raises(BadSignature):
        verifier.verify(*events[4], headers[5])  # another event's proof


def test_agency_cannot_claim_another_agencys_name() -> None:
    events = [(b"k", b"v")]
    forged = _replace(BORDER.seal(events)[0], H_AGENCY, b"police.gloucestershire")
    with pytest.raises(UnknownKey, match="does not belong"):
        Verifier(_lookup).verify(b"k", b"v", forged)


def test_untrusted_key_is_refused() -> None:
    rogue = Signer("police.gloucestershire", Ed25519PrivateKey.generate())
    with pytest.raises(UnknownKey, match="not a trusted key"):
        Verifier(_lookup).verify(b"k", b"v", rogue.seal([(b"k", b"v")])[0])


def test_resigned_batch_with_a_trusted_key_id_but_wrong_key_fails() -> None:
    impostor = Signer("police.gloucestershire", Ed25519PrivateKey.generate())
    headers = impostor.seal([(b"k", b"v")])[0]
    headers = [(n, POLICE.key_id.encode() if n == "pm-key" else v) for n, v in headers]
    with pytest.raises(BadSignature):
        Verifier(_lookup).verify(b"k", b"v", headers)


def test_missing_or_malformed_headers() -> None:
    headers = POLICE.seal([(b"k", b"v")])[0]
    with pytest.raises(MissingProvenance):
        Verifier(_lookup).verify(b"k", b"v", None)
    with pytest.raises(MissingProvenance, match="pm-proof"):
        Verifier(_lookup).verify(b"k", b"v", [h for h in headers if h[0] != H_PROOF])
    with pytest.raises(BadSignature):
        Verifier(_lookup).verify(b"k", b"v", _replace(headers, H_PROOF, b"x" * 31))


def test_signature_is_checked_once_per_batch() -> None:
    calls = 0

    def counting(key_id: str) -> Ed25519PublicKey | None:
        nonlocal calls
        calls += 1
        return TRUSTED.get(key_id)

    events = [(b"k", f"{i}".encode()) for i in range(100)]
    verifier = Verifier(counting)
    for (k, v), h in zip(events, POLICE.seal(events), strict=True):
        verifier.verify(k, v, h)
    assert calls == 1
