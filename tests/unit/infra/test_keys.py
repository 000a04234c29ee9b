"""The key store creates keys on first use, protects them, and keeps old keys after rotation."""

from __future__ import annotations

import stat
from pathlib import Path

from infra.keys import KeyStore
from schemas.provenance import Signer, Verifier


def test_signing_keys_are_private_files_and_stable(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    first = store.signing_key("police.kent")
    again = KeyStore(tmp_path / "keys").signing_key("police.kent")
    assert first.private_bytes_raw() == again.private_bytes_raw()
    files = list((tmp_path / "keys" / "agencies" / "police.kent").glob("*.ed25519"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_rotation_keeps_old_signatures_verifiable(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    old_headers = Signer("nca", store.signing_key("nca")).seal([(b"k", b"v")])[0]
    store.rotate_signing_key("nca")
    new_headers = Signer("nca", store.signing_key("nca")).seal([(b"k", b"w")])[0]
    verifier = Verifier(store.trusted_signing_keys(["nca"]).get)
    assert verifier.verify(b"k", b"v", old_headers).agency == "nca"
    assert verifier.verify(b"k", b"w", new_headers).agency == "nca"
    assert len(store.trusted_signing_keys(["nca"])) == 2


def test_partner_keys_rotate_and_old_ones_stay_addressable(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    old_id, old_public = store.partner_public_key("ngo.poppy")
    store.rotate_partner_key("ngo.poppy")
    new_id, _ = store.partner_public_key("ngo.poppy")
    assert old_id != new_id and old_id.startswith("ngo.poppy:")
    recovered = store.partner_private_key("ngo.poppy", old_id).public_key()
    assert recovered.public_bytes_raw() == old_public.public_bytes_raw()
