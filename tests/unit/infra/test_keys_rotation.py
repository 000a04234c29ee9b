"""Rotation keeps what was sealed or encrypted before readable; listing never shows key bytes;
destroying a partner's keys makes its old ciphertexts unreadable and no key is made for it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.keys import ENCRYPTION, SIGNING, KeyRevoked, KeyStore
from pentameter.cli import app
from policies.crypto import X25519FieldEncryptor
from schemas.provenance import ProvenanceError, Signer, Verifier


def _encryptors(store: KeyStore, partner: str) -> tuple[X25519FieldEncryptor, X25519FieldEncryptor]:
    router = X25519FieldEncryptor(public_key_for=store.partner_public_key)
    reader = X25519FieldEncryptor(private_key_for=lambda key_id: store.partner_private_key(partner, key_id))
    return router, reader


def test_partner_rotation_old_ciphertext_opens_new_one_uses_new_key(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    router, reader = _encryptors(store, "ngo.poppy")
    before = router.encrypt("ngo.poppy", "e1", "name", b"Ana")
    old_id, _ = store.partner_public_key("ngo.poppy")
    store.rotate_partner_key("ngo.poppy")
    after = router.encrypt("ngo.poppy", "e2", "name", b"Bea")
    new_id, _ = store.partner_public_key("ngo.poppy")
    assert old_id != new_id
    assert old_id.encode() in before and new_id.encode() in after
    assert reader.decrypt("ngo.poppy", "e1", "name", before) == b"Ana"
    assert reader.decrypt("ngo.poppy", "e2", "name", after) == b"Bea"


def test_list_names_current_and_retired_keys_without_private_bytes(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    first = store.signing_key("police.kent")
    store.rotate_signing_key("police.kent")
    store.partner_public_key("hmrc")
    listed = store.list_keys()
    signing = [k for k in listed if k.kind == SIGNING]
    assert [k.owner for k in signing] == ["police.kent", "police.kent"]
    assert sorted(k.current for k in signing) == [False, True]
    assert [k.owner for k in listed if k.kind == ENCRYPTION] == ["hmrc"]
    retired = next(k for k in signing if not k.current)
    assert retired.key_id == Signer("police.kent", first).key_id
    text = repr(listed)
    assert first.private_bytes_raw().hex() not in text


def test_destroyed_partner_keys_open_nothing_and_are_never_recreated(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    router, reader = _encryptors(store, "hmrc")
    sealed = router.encrypt("hmrc", "e1", "vat", b"GB123")
    store.rotate_partner_key("hmrc")
    destroyed = store.destroy_partner_keys("hmrc")
    assert len(destroyed) == 2 and all(k.startswith("hmrc:") for k in destroyed)
    assert not list((tmp_path / "partners" / "hmrc").glob("*.x25519"))
    with pytest.raises(Exception, match="revoked"):
        reader.decrypt("hmrc", "e1", "vat", sealed)
    with pytest.raises(KeyRevoked):
        store.partner_public_key("hmrc")
    with pytest.raises(KeyRevoked):
        store.rotate_partner_key("hmrc")
    assert store.destroy_partner_keys("hmrc") == []


def test_untrusted_key_ids_name_no_file(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    lookup = store.signing_key_lookup()
    for key_id in ("../etc:abc", "Police:abc", ":abc", "a b:c"):
        assert lookup(key_id) is None
    forged = Signer("../x", store.signing_key("nca")).seal([(b"k", b"v")])[0]
    with pytest.raises(ProvenanceError):
        Verifier(lookup).verify(b"k", b"v", forged)


def test_keys_commands_rotate_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PENTAMETER_HOME", str(tmp_path))
    runner = CliRunner()
    for args in (["--agency", "nca.ukhtc"], ["--partner", "ngo.poppy"], ["--router"], ["--router"]):
        result = runner.invoke(app, ["keys", "rotate", *args])
        assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    router = [k for k in listed if k["owner"] == "router"]
    assert sorted(k["status"] for k in router) == ["current", "retired"]
    assert {k["owner"] for k in listed} == {"nca.ukhtc", "ngo.poppy", "router"}
    assert all(set(k) == {"kind", "owner", "key_id", "status", "created"} for k in listed)
    unknown = runner.invoke(app, ["keys", "rotate", "--partner", "nobody"])
    assert unknown.exit_code == 2 and "unknown partner 'nobody'" in unknown.output
    both = runner.invoke(app, ["keys", "rotate", "--router", "--agency", "nca.ukhtc"])
    assert both.exit_code == 2 and "exactly one" in both.output
    rotated = json.loads(runner.invoke(app, ["keys", "rotate", "--agency", "nca.ukhtc", "--json"]).stdout)
    assert rotated["owner"] == "nca.ukhtc" and rotated["key_id"].startswith("nca.ukhtc:")
    owner = runner.invoke(app, ["keys", "list", "--owner", "nca.ukhct"])
    assert owner.exit_code == 2 and "did you mean 'nca.ukhtc'?" in owner.output
    table = runner.invoke(app, ["keys", "list", "--owner", "router"], env={"COLUMNS": "200"}).output
    assert " UTC (" in table and " ago)" in table  # when a key was made, as a person reads it


def test_a_reader_made_before_the_router_key_trusts_it_later_and_only_the_router(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    lookup = store.signing_key_lookup(["router"])  # a partner consumer started before any routing
    router_key = store.signing_key("router")
    agency_key = store.signing_key("police.gloucestershire")
    router_id = Signer("router", router_key).key_id
    agency_id = Signer("police.gloucestershire", agency_key).key_id
    found = lookup(router_id)
    assert found is not None and found.public_bytes_raw() == router_key.public_key().public_bytes_raw()
    assert lookup(agency_id) is None  # an agency's key never passes for the router's
    rotated = store.rotate_signing_key("router")
    assert lookup(Signer("router", rotated).key_id) is not None
