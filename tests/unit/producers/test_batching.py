"""A provenance batch closes on size or age, and its headers prove every event on its own."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from producers.batching import ProvenanceBatch
from schemas.provenance import BadSignature, Signer, Verifier

SIGNER = Signer("police.kent", Ed25519PrivateKey.generate())
VERIFIER = Verifier({SIGNER.key_id: SIGNER.private_key.public_key()}.get)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_add_reports_full_at_the_batch_size() -> None:
    batch = ProvenanceBatch(SIGNER, size=3, linger=10.0)
    assert not batch.add(b"k", b"v1", "a")
    assert not batch.add(b"k", b"v2", "b")
    assert batch.add(b"k", b"v3", "c")
    assert len(batch) == 3


def test_due_after_linger_counted_from_the_first_event() -> None:
    clock = Clock()
    batch = ProvenanceBatch(SIGNER, size=100, linger=0.005, clock=clock)
    assert not batch.due()  # empty is never due
    batch.add(b"k", b"v", None)
    clock.now += 0.004
    batch.add(b"k", b"w", None)
    assert not batch.due()
    clock.now += 0.001
    assert batch.due()


def test_seal_signs_once_and_every_event_verifies_alone() -> None:
    batch = ProvenanceBatch(SIGNER, size=10)
    events = [(f"case-{i % 3}".encode(), f"value {i}".encode()) for i in range(7)]
    for i, (key, value) in enumerate(events):
        batch.add(key, value, i)
    sealed = batch.seal()
    assert sealed is not None and len(sealed) == 7 and len(batch) == 0
    assert sealed.tags == list(range(7))
    signatures = {dict(h)["pm-sig"] for h in sealed.headers}
    assert len(signatures) == 1
    for key, value, headers in zip(sealed.keys, sealed.values, sealed.headers, strict=True):
        assert VERIFIER.verify(key, value, headers).agency == "police.kent"
    with pytest.raises(BadSignature):
        VERIFIER.verify(sealed.keys[0], sealed.values[0] + b"!", sealed.headers[0])
    with pytest.raises(BadSignature):  # the key is bound too: a case cannot be moved
        VERIFIER.verify(b"other-case", sealed.values[0], sealed.headers[0])


def test_seal_of_an_empty_batch_is_none_and_a_new_batch_starts_fresh() -> None:
    clock = Clock()
    batch = ProvenanceBatch(SIGNER, size=2, linger=1.0, clock=clock)
    assert batch.seal() is None
    batch.add(b"k", b"v", None)
    clock.now += 5
    batch.seal()
    batch.add(b"k", b"v", None)
    assert not batch.due()


@pytest.mark.parametrize(("size", "linger"), [(0, 0.005), (10, -1.0)])
def test_nonsense_settings_are_refused(size: int, linger: float) -> None:
    with pytest.raises(ValueError):
        ProvenanceBatch(SIGNER, size=size, linger=linger)
