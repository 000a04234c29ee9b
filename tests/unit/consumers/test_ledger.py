"""The audit ledger detects every kind of tampering: altered, removed, inserted, reordered, forged."""

from __future__ import annotations

import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from consumers.ledger import GENESIS, ChainHead, ChainWriter, canonical, entry_hash, verify_entries

ROUTER = Ed25519PrivateKey.generate()
KEY_ID = "router:test"


def _trusted(key_id: str) -> Ed25519PublicKey | None:
    return ROUTER.public_key() if key_id == KEY_ID else None


def _ledger() -> list[bytes]:
    """Two chains, three transactions, each ending with a seal."""
    out: list[bytes] = []
    a, b = ChainWriter("ingress.a/0"), ChainWriter("ingress.b/1")
    for txn in range(3):
        for i in range(4):
            out.append(a.append("decision", {"event_id": f"a-{txn}-{i}", "deliveries": [], "denials": []}))
        out.append(b.append("decision", {"event_id": f"b-{txn}"}))
        out.append(a.seal(ROUTER, KEY_ID, 1000 + txn))
        out.append(b.seal(ROUTER, KEY_ID, 1000 + txn))
    return out


def _verify(values: list[bytes]) -> list[str]:
    report = verify_entries(enumerate(values), _trusted)
    return [str(p) for p in report.problems]


def test_clean_ledger_verifies() -> None:
    report = verify_entries(enumerate(_ledger()), _trusted)
    assert report.ok and report.chains == 2 and report.seals == 6


def test_altered_entry_is_found() -> None:
    values = _ledger()
    entry = json.loads(values[2])
    entry["event_id"] = "something-else"
    values[2] = json.dumps(entry).encode()
    assert any("altered" in p and "seq 2" in p for p in _verify(values))


def test_altered_entry_with_recomputed_hash_breaks_the_next_link() -> None:
    values = _ledger()
    entry = json.loads(values[1])
    entry["event_id"] = "rewritten"
    entry["hash"] = entry_hash(entry)
    values[1] = json.dumps(entry).encode()
    assert any("broken link" in p and "seq 2" in p for p in _verify(values))


def test_removed_entry_is_found() -> None:
    values = _ledger()
    del values[1]
    assert any("entries missing" in p for p in _verify(values))


def test_inserted_entry_is_found() -> None:
    values = _ledger()
    values.insert(3, values[1])
    assert any("out of order or inserted" in p for p in _verify(values))


def test_reordered_entries_are_found() -> None:
    values = _ledger()
    values[1], values[2] = values[2], values[1]
    assert _verify(values)


def test_forged_seal_and_unsealed_tail_are_found() -> None:
    forger = ChainWriter("ingress.a/0", ChainHead(0))
    forged = [
        forger.append("decision", {"event_id": "x"}),
        forger.seal(Ed25519PrivateKey.generate(), KEY_ID, 1),
    ]
    assert any("seal signature invalid" in p for p in _verify(forged))
    assert any("ends without a seal" in p for p in _verify(_ledger()[:-1]))


def test_chain_head_round_trips_through_offset_metadata() -> None:
    writer = ChainWriter("c")
    writer.append("decision", {"event_id": "1"})
    head = ChainHead.from_metadata(writer.head.to_metadata())
    assert head == writer.head
    assert ChainHead.from_metadata(None) == ChainHead()


def test_a_seal_names_the_transaction_and_batch_it_closes_and_still_verifies() -> None:
    chain = ChainWriter("ingress.a/0")
    values = [chain.append("decision", {"event_id": "a", "source": "ingress.a/0@7"})]
    values.append(chain.seal(ROUTER, KEY_ID, 1000, {"txn": "router-worker-0", "first": 7, "last": 7}))
    assert json.loads(values[-1])["batch"] == {"txn": "router-worker-0", "first": 7, "last": 7}
    assert _verify(values) == []
    altered = json.loads(values[-1])
    altered["batch"]["txn"] = "router-worker-9"
    assert _verify([values[0], json.dumps(altered).encode()]) == [
        "chain ingress.a/0 seq 1 (offset 1): entry altered: its hash does not match"
    ]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=6))
def test_the_fast_canonical_form_is_the_standard_librarys_byte_for_byte(body: dict[str, object]) -> None:
    reference = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical(body) == reference


def test_an_entry_is_written_once_with_its_hash_and_reads_back_whole() -> None:
    writer = ChainWriter("ingress.a/0")
    value = writer.append("decision", {"event_id": "é\n\u2028", "fields": ["a", "b"], "n": 2**40})
    entry = json.loads(value)
    assert entry["hash"] == entry_hash(entry) == writer.head.prev
    assert set(entry) == {"chain", "seq", "prev", "kind", "event_id", "fields", "n", "hash"}


def test_an_entry_hashed_by_the_standard_librarys_encoder_still_verifies() -> None:
    """A float is the one value orjson spells differently; a ledger written before it verifies."""
    entry = {"chain": "ingress.a/0", "seq": 0, "prev": GENESIS, "kind": "decision", "ratio": 1e16}
    legacy = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    entry["hash"] = hashlib.sha256(legacy).hexdigest()
    assert entry_hash(entry) != entry["hash"], "the spelling differs, so the fallback is what verifies"
    seal = ChainWriter("ingress.a/0", ChainHead(1, entry["hash"])).seal(ROUTER, KEY_ID, 1)
    report = verify_entries(enumerate([json.dumps(entry).encode(), seal]), _trusted)
    assert report.ok, [str(p) for p in report.problems]
