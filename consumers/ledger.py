"""The audit ledger: every routing decision as a hash-chained entry, sealed with a signature.

Part 3 of the Data Protection Act 2018 requires a log of every disclosure; rule 10 of the domain
brief extends that to every denial, with the agreement version. The router writes one entry per
ingress event (all partner decisions for it) in the same Kafka transaction as the deliveries, so
the ledger and the partner topics can never disagree.

Chains. There is one chain per ingress partition (``<topic>/<partition>``): a partition is owned by
one router at a time, so its chain is written by one writer in order. Entries are keyed by chain
id, so a chain stays in one audit partition, in order. Each entry carries ``seq`` and ``prev`` (the
hash of the previous entry); its ``hash`` is SHA-256 over its canonical JSON without the hash. The
chain head (seq and hash) is stored in the consumer group's committed offset metadata of that
ingress partition, committed atomically with the transaction, so a restarted router continues the
chain exactly where the last committed transaction left it.

Seals. Signing each entry would cost an Ed25519 signature per event; instead every transaction
ends each chain it touched with a ``seal`` entry whose signature covers the chain id, seq and the
hash of the entry before it. Because each hash covers the previous one, a seal authenticates the
whole chain up to it. Verification therefore catches an altered, removed, inserted or reordered
entry (hash, seq or prev mismatch) and a forged tail (no valid seal after it).

A router's seal also names what committed the entries before it: the transactional id and the
first and last ingress offsets of the batch on that chain, so an entry found twice can be traced
to the transaction and batch that wrote each copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = "0" * 64
SEAL_DOMAIN = b"pentameter/audit-seal/v1"


def canonical(entry: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes of an entry without its hash: sorted keys, no spaces, UTF-8.

    orjson writes the bytes ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` writes for every value an entry holds (strings, integers, booleans,
    null, lists, objects; a unit test holds them to it) at a tenth of the cost; only floats
    are spelled differently (``1e16`` against ``1e+16``), which ``legacy_hash`` covers."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def legacy_hash(entry: Mapping[str, Any]) -> str:
    """The hash as entries written with the standard library's encoder have it (kept so a ledger
    holding a float written before orjson still verifies)."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def _seal_message(chain: str, seq: int, prev: str) -> bytes:
    return b"|".join([SEAL_DOMAIN, chain.encode(), str(seq).encode(), prev.encode()])


@dataclass(frozen=True)
class ChainHead:
    """Where a chain stands: the seq the next entry takes and the hash it must link to."""

    seq: int = 0
    prev: str = GENESIS

    def to_metadata(self) -> str:
        """Compact form stored in committed offset metadata."""
        return f"audit:{self.seq}:{self.prev}"

    @classmethod
    def from_metadata(cls, metadata: str | None) -> ChainHead:
        if not metadata or not metadata.startswith("audit:"):
            return cls()
        _, seq, prev = metadata.split(":", 2)
        return cls(int(seq), prev)


@dataclass
class ChainWriter:
    """Appends entries to one chain; the caller produces the returned bytes in its transaction."""

    chain: str
    head: ChainHead = field(default_factory=ChainHead)

    def append(self, kind: str, body: Mapping[str, Any]) -> bytes:
        entry: dict[str, Any] = {
            "chain": self.chain,
            "seq": self.head.seq,
            "prev": self.head.prev,
            "kind": kind,
        }
        entry.update(body)
        # canonical(), without its copy where there is no hash to leave out; encoded once: hashed,
        # then written with the hash as its last key
        encoded = canonical(entry) if "hash" in entry else orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(encoded).hexdigest()
        self.head = ChainHead(self.head.seq + 1, digest)
        return b'%s,"hash":"%s"}' % (encoded[:-1], digest.encode())

    def seal(
        self, signer: Ed25519PrivateKey, key_id: str, at_ms: int, batch: Mapping[str, Any] | None = None
    ) -> bytes:
        """Close the transaction's part of this chain with a signature over its head; ``batch``
        (transactional id and offsets) says which transaction wrote the entries it closes."""
        signature = signer.sign(_seal_message(self.chain, self.head.seq, self.head.prev)).hex()
        body: dict[str, Any] = {"key": key_id, "sig": signature, "at": at_ms}
        if batch is not None:
            body["batch"] = dict(batch)
        return self.append("seal", body)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the ledger, located by chain and seq (and Kafka offset when known)."""

    chain: str
    seq: int | None
    offset: int | None
    what: str

    def __str__(self) -> str:
        where = f"chain {self.chain}" + (f" seq {self.seq}" if self.seq is not None else "")
        where += f" (offset {self.offset})" if self.offset is not None else ""
        return f"{where}: {self.what}"


@dataclass
class VerifyReport:
    """Outcome of checking the whole ledger."""

    entries: int = 0
    chains: int = 0
    seals: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.entries > 0


@dataclass
class _ChainState:
    expected_seq: int = 0
    prev: str = GENESIS
    sealed: bool = True
    last_offset: int | None = None


def verify_entries(
    entries: Iterable[tuple[int | None, bytes]],
    trusted: Callable[[str], Ed25519PublicKey | None],
) -> VerifyReport:
    """Check chain links, hashes and seals of ``(offset, value)`` pairs read in partition order."""
    report = VerifyReport()
    chains: dict[str, _ChainState] = {}
    for offset, raw in entries:
        report.entries += 1
        try:
            entry = json.loads(raw)
            chain, seq, prev, digest = entry["chain"], int(entry["seq"]), entry["prev"], entry["hash"]
        except (ValueError, KeyError, TypeError) as exc:
            report.problems.append(Problem("?", None, offset, f"unreadable entry ({exc})"))
            continue
        state = chains.setdefault(chain, _ChainState())
        if entry_hash(entry) != digest and legacy_hash(entry) != digest:
            report.problems.append(Problem(chain, seq, offset, "entry altered: its hash does not match"))
        if seq != state.expected_seq:
            what = (
                f"entries missing: expected seq {state.expected_seq}, found {seq}"
                if seq > state.expected_seq
                else f"entry out of order or inserted: seq {seq} after seq {state.expected_seq - 1}"
            )
            report.problems.append(Problem(chain, seq, offset, what))
        elif prev != state.prev:
            report.problems.append(
                Problem(chain, seq, offset, "broken link: prev is not the hash of the entry before")
            )
        if entry.get("kind") == "seal":
            report.seals += 1
            key = trusted(str(entry.get("key")))
            try:
                if key is None:
                    raise InvalidSignature("untrusted key")
                key.verify(bytes.fromhex(entry["sig"]), _seal_message(chain, seq, prev))
            except (InvalidSignature, ValueError, KeyError):
                report.problems.append(
                    Problem(chain, seq, offset, "seal signature invalid or from an untrusted key")
                )
            state.sealed = True
        else:
            state.sealed = False
        state.expected_seq = seq + 1
        state.prev = digest
        state.last_offset = offset
    for chain, state in chains.items():
        if not state.sealed:
            report.problems.append(
                Problem(chain, state.expected_seq - 1, state.last_offset, "chain ends without a seal")
            )
    report.chains = len(chains)
    return report
