"""Bad input against every door of the pipeline: decoder, provenance, admission, agreement loader,
CSV and JSON Lines adapters.

Each target is fed hand-written adversarial cases (huge fields, deep nesting, invalid UTF-8, wrong
types, one event type's bytes under another's fingerprint, replayed and re-signed events) and then
random inputs drawn by hypothesis from a fixed seed, so a run is the same on every machine. Every
input must end as one of:

* a **clear error**: the target's documented error type (WireError, ProvenanceError,
  AgreementError with file and line, a rejected row or record naming its line and field);
* a **dead letter**: the router's decision, with a reason from the closed list and a detail;
* **accepted**: and then only if it is genuine (provenance accepts nothing that was not signed by
  the key it names; admission routes nothing its agency did not sign).

Anything else counts: an uncaught exception is a *crash*; an error that does not say what is wrong,
a dead letter without a reason, or a forgery accepted is *unclear*. The tests and the reliability
report share :func:`run_fuzz`.

hypothesis is a development dependency: this module is imported lazily by the report command.
"""

from __future__ import annotations

import copy
import csv
import json
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from consumers.admission import Admission
from consumers.deadletter import Reason
from consumers.decisions import Decider, Source
from policies.agreements import DEFAULT_AGREEMENTS, load_agreements
from policies.crypto import InMemoryKeyRing
from policies.engine import PolicyEngine
from policies.exceptions import AgreementError
from policies.pseudonyms import PseudonymSecrets
from policies.registry import Registry, load_registry
from producers.adapters import Row, read_csv, read_jsonl
from producers.mapping import CsvMapping, load_mapping
from schemas.catalogue import Catalogue, load_catalogue
from schemas.convert import to_json
from schemas.exceptions import WireError
from schemas.provenance import ProvenanceError, Signer, Verifier, key_id_for, leaf_hash
from schemas.samples import sample
from schemas.validation import Issue, check, validate
from schemas.wire import MAGIC, Codec

T = TypeVar("T")

MAPPINGS = Path(__file__).resolve().parent.parent / "producers" / "mappings"
MAPPING_FILE = MAPPINGS / "gloucestershire_intelligence.yaml"
CSV_FILE = MAPPINGS / "gloucestershire_intelligence.csv"
AGENCY = "police.gloucestershire"
OTHER_AGENCY = "police.metropolitan"
HUGE = 1_000_000
"""Bytes in a 'huge field' case: well past any limit a well-formed event comes near."""
DEEP = 50_000
"""Nesting depth of a 'deep nesting' case: past Python's recursion limit."""
TARGETS = ("codec", "provenance", "admission", "agreements", "csv", "jsonl", "records")


@dataclass(frozen=True)
class FuzzRow:
    """What one target did with every input it was given."""

    target: str
    inputs: int
    clear_errors: int
    dead_letters: int
    accepted: int
    crashes: int
    """Uncaught exceptions other than the target's documented error types."""
    unclear: int = 0
    """Errors that name no field or line, dead letters without a reason, forgeries accepted."""
    outcomes: tuple[tuple[str, int], ...] = ()
    """How the inputs ended, by error class or dead-letter reason, most frequent first."""
    samples: tuple[str, ...] = ()
    """The first few crashes and unclear outcomes, described (empty when there were none)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "inputs": self.inputs,
            "clear_errors": self.clear_errors,
            "dead_letters": self.dead_letters,
            "accepted": self.accepted,
            "crashes": self.crashes,
            "unclear": self.unclear,
            "outcomes": dict(self.outcomes),
            "samples": list(self.samples),
        }


class _Tally:
    """Counts outcomes for one target; never lets an exception out of the input's check."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.counts: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.samples: list[str] = []

    def clear(self, kind: str) -> None:
        self.counts["clear"] += 1
        self.kinds[kind] += 1

    def dead(self, reason: str) -> None:
        self.counts["dead"] += 1
        self.kinds[f"dead letter: {reason}"] += 1

    def accepted(self) -> None:
        self.counts["accepted"] += 1
        self.kinds["accepted"] += 1

    def unclear(self, label: str, why: str) -> None:
        self.counts["unclear"] += 1
        self.kinds["unclear"] += 1
        self._note(f"unclear ({label}): {why}")

    def crash(self, label: str, exc: BaseException) -> None:
        self.counts["crash"] += 1
        self.kinds[f"crash: {type(exc).__name__}"] += 1
        self._note(f"crash ({label}): {type(exc).__name__}: {str(exc)[:200]}")

    def _note(self, text: str) -> None:
        if len(self.samples) < 5:
            self.samples.append(text)

    def run(self, label: str, body: Callable[[], None]) -> None:
        try:
            body()
        except Exception as exc:  # RecursionError included: counted, never raised into hypothesis
            self.crash(label, exc)

    def row(self) -> FuzzRow:
        c = self.counts
        inputs = c["clear"] + c["dead"] + c["accepted"] + c["crash"] + c["unclear"]
        return FuzzRow(
            self.target,
            inputs,
            c["clear"],
            c["dead"],
            c["accepted"],
            c["crash"],
            c["unclear"],
            tuple(self.kinds.most_common()),
            tuple(self.samples),
        )


def _drive(strategy: st.SearchStrategy[T], body: Callable[[T], None], seed: int, examples: int) -> None:
    """Call ``body`` on ``examples`` values drawn from ``strategy`` with a fixed seed (no shrinking:
    ``body`` never raises, it counts)."""
    if examples <= 0:
        return

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def run(value: T) -> None:
        body(value)

    hypothesis_seed(seed)(run)()


# -- shared material -----------------------------------------------------------------------------


class _World:
    """Catalogue, codec, keys and valid encoded events of every type, built once per run."""

    def __init__(self) -> None:
        self.catalogue: Catalogue = load_catalogue()
        self.codec = Codec(self.catalogue)
        self.registry: Registry = load_registry()
        self.types = self.catalogue.event_types()
        self.records = {t: validate(sample(t), catalogue=self.catalogue) for t in self.types}
        self.values = {t: self.codec.encode(t, r) for t, r in self.records.items()}
        self.fingerprints = [self.catalogue.latest(t).fingerprint for t in self.types]
        self.keys = {a: Ed25519PrivateKey.generate() for a in (AGENCY, OTHER_AGENCY)}
        self.signers = {a: Signer(a, k) for a, k in self.keys.items()}
        self.rogue = Signer(AGENCY, Ed25519PrivateKey.generate())  # right name, untrusted key
        self.trusted: dict[str, Ed25519PublicKey] = {
            key_id_for(a, k.public_key()): k.public_key() for a, k in self.keys.items()
        }
        self._ids = 0
        self.signed: set[tuple[str, bytes]] = set()
        """(key id, leaf) of every event a trusted key really signed: what may be accepted."""

    def publishable(self, record: object, identity: str) -> list[Issue]:
        """What the publisher does before sending: validate, then encode (which must then succeed:
        an encoding error after validation passed is a crash of ingest, not a rejected row)."""
        converted, issues = check(record, identity=identity, catalogue=self.catalogue)
        if converted is not None:
            envelope = converted["envelope"]
            entry = self.catalogue.get(envelope["event_type"], envelope["schema_version"])
            self.codec.encode(entry, converted)
        return issues

    def next_id(self) -> uuid.UUID:
        """A fresh event id, the same sequence on every run (so every mutation lands alike)."""
        self._ids += 1
        return uuid.UUID(int=self._ids, version=4)

    def seal(
        self, signer: Signer, events: Sequence[tuple[bytes | None, bytes]]
    ) -> list[list[tuple[str, bytes]]]:
        sealed = signer.seal(events)
        if signer is not self.rogue:
            self.signed.update((signer.key_id, leaf_hash(k, v)) for k, v in events)
        return sealed

    def genuine(self, key_id: str, key: bytes | None, value: bytes) -> bool:
        return (key_id, leaf_hash(key, value)) in self.signed

    def event_value(self, event_type: str, agency: str = AGENCY) -> bytes:
        record = copy.deepcopy(self.records[event_type])
        record["envelope"]["event_id"] = self.next_id()
        record["envelope"]["origin_agency"] = agency
        return self.codec.encode(event_type, record)


def _mutate(data: bytes, op: int, index: int, payload: bytes) -> bytes:
    """One byte-level mutation: overwrite, truncate, insert, append, or drop a slice."""
    if not data:
        return payload
    at = index % (len(data) + 1)
    match op % 5:
        case 0:
            return data[:at] + payload + data[at + len(payload) :]
        case 1:
            return data[:at]
        case 2:
            return data[:at] + payload + data[at:]
        case 3:
            return data + payload
        case _:
            return data[:at] + data[at + 1 + len(payload) :]


_MUTATION = st.tuples(st.integers(0, 4), st.integers(0, 1 << 16), st.binary(min_size=1, max_size=16))


def _varint(n: int) -> bytes:
    """Avro's zig-zag varint, for hand-made length prefixes."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        byte = z & 0x7F
        z >>= 7
        if z:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


# -- codec ---------------------------------------------------------------------------------------


def fuzz_codec(world: _World, seed: int, examples: int) -> FuzzRow:
    """Codec.decode on raw bytes: WireError (which names the fingerprint or the marker) or a record."""
    tally = _Tally("codec")

    def decode(label: str, data: bytes, reader: str | None = None) -> None:
        def body() -> None:
            try:
                world.codec.decode(data, reader=reader)
            except WireError as exc:
                if str(exc):
                    tally.clear(type(exc).__name__)
                else:
                    tally.unclear(label, f"{type(exc).__name__} with no message")
                return
            tally.accepted()

        tally.run(label, body)

    for case, data in _codec_cases(world):
        decode(case, data)
    for a in world.types:  # schema confusion: every event's body under every other type's fingerprint
        for b in world.types:
            if a != b:
                body = world.values[a][10:]
                decode(f"{a} body as {b}", MAGIC + world.catalogue.latest(b).fingerprint + body)
                decode(
                    f"{a} body as {b}, read as latest",
                    MAGIC + world.catalogue.latest(b).fingerprint + body,
                    b,
                )
    values = list(world.values.values())
    strategy = st.one_of(
        st.binary(max_size=256),
        st.tuples(st.sampled_from(world.fingerprints), st.binary(max_size=256)).map(
            lambda t: MAGIC + t[0] + t[1]
        ),
        st.tuples(st.sampled_from(values), _MUTATION).map(lambda t: _mutate(t[0], *t[1])),
        st.tuples(st.sampled_from(values), st.lists(_MUTATION, min_size=2, max_size=6)).map(
            lambda t: _mutate_many(t[0], t[1])
        ),
    )
    _drive(strategy, lambda data: decode("random", data), seed, examples)
    return tally.row()


def _mutate_many(data: bytes, ops: list[tuple[int, int, bytes]]) -> bytes:
    for op in ops:
        data = _mutate(data, *op)
    return data


def _codec_cases(world: _World) -> Iterator[tuple[str, bytes]]:
    fp = world.fingerprints[0]
    yield "empty", b""
    yield "marker only", MAGIC
    yield "short header", MAGIC + fp[:4]
    yield "header, no body", MAGIC + fp
    yield "unknown fingerprint", MAGIC + b"\x00" * 8 + b"\x02"
    yield "huge random", b"\x00" * HUGE
    yield "huge string length", MAGIC + fp + _varint(1 << 62)
    yield "negative length", MAGIC + fp + _varint(-5)
    yield "overlong varint", MAGIC + fp + b"\xff" * 12
    yield "huge array count", MAGIC + fp + b"\x02" * 40 + _varint(1 << 60)
    for name, value in world.values.items():
        yield f"{name} + trailing", value + b"\x00"
        yield f"{name} + huge trailing", value + b"\x01" * HUGE
        for cut in range(11, len(value), max(1, len(value) // 16)):
            yield f"{name} cut at {cut}", value[:cut]
        yield f"{name} invalid UTF-8", value[:40] + b"\xff\xfe\xfd" + value[43:]


# -- provenance ----------------------------------------------------------------------------------


def fuzz_provenance(world: _World, seed: int, examples: int) -> FuzzRow:
    """Verifier.verify: ProvenanceError, or an origin only for bytes the named key really signed."""
    tally = _Tally("provenance")
    verifier = Verifier(world.trusted.get)

    def verify(label: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]] | None) -> None:
        def body() -> None:
            try:
                proven = verifier.verify(key, value, headers)
            except ProvenanceError as exc:
                if str(exc):
                    tally.clear(type(exc).__name__)
                else:
                    tally.unclear(label, f"{type(exc).__name__} with no message")
                return
            if world.genuine(proven.key_id, key, value):
                tally.accepted()
            else:
                tally.unclear(label, f"accepted bytes {proven.key_id} never signed")

        tally.run(label, body)

    batch = [(f"k{i}".encode(), world.event_value(t)) for i, t in enumerate(world.types)]
    sealed = world.seal(world.signers[AGENCY], batch)
    other = world.seal(world.signers[OTHER_AGENCY], batch)
    rogue = world.seal(world.rogue, batch)
    for label, key, value, headers in _provenance_cases(batch, sealed, other, rogue):
        verify(label, key, value, headers)

    names = sorted({name for name, _ in sealed[0]})
    header_value = st.one_of(
        st.binary(max_size=64),
        st.integers(-(10**6), 10**6).map(lambda n: str(n).encode()),
        st.sampled_from([b"", b"\xff\xfe", b"9" * 5000, b"1e9", AGENCY.encode(), OTHER_AGENCY.encode()]),
    )
    edit = st.one_of(
        st.tuples(st.just("set"), st.sampled_from(names), header_value),
        st.tuples(st.just("drop"), st.sampled_from(names), st.just(b"")),
        st.tuples(
            st.just("swap"), st.sampled_from(names), st.integers(0, len(batch) - 1).map(lambda i: bytes([i]))
        ),
        st.tuples(st.just("value"), st.just(""), st.binary(min_size=1, max_size=8)),
        st.tuples(st.just("key"), st.just(""), st.binary(max_size=8)),
    )
    strategy = st.tuples(
        st.integers(0, len(batch) - 1), st.sampled_from(["own", "other", "rogue"]), st.lists(edit, max_size=4)
    )

    def random_case(case: tuple[int, str, list[tuple[str, str, bytes]]]) -> None:
        index, which, edits = case
        source = {"own": sealed, "other": other, "rogue": rogue}[which]
        key: bytes | None = batch[index][0]
        value = batch[index][1]
        headers = list(source[index])
        for kind, name, payload in edits:
            if kind == "set":
                headers = [(n, payload if n == name else v) for n, v in headers]
            elif kind == "drop":
                headers = [(n, v) for n, v in headers if n != name]
            elif kind == "swap":  # a header from another event of the same batch: replayed proof
                donor = dict(source[payload[0] % len(batch)])
                headers = [(n, donor[n] if n == name else v) for n, v in headers]
            elif kind == "value":
                value = _mutate(value, payload[0], len(payload) * 97, payload[1:] or b"!")
            else:
                key = payload or None
        verify("random", key, value, headers)

    _drive(strategy, random_case, seed, examples)
    return tally.row()


def _provenance_cases(
    batch: list[tuple[bytes, bytes]],
    sealed: list[list[tuple[str, bytes]]],
    other: list[list[tuple[str, bytes]]],
    rogue: list[list[tuple[str, bytes]]],
) -> Iterator[tuple[str, bytes | None, bytes, list[tuple[str, bytes]] | None]]:
    key, value = batch[0]
    good = sealed[0]

    def replaced(name: str, new: bytes) -> list[tuple[str, bytes]]:
        return [(n, new if n == name else v) for n, v in good]

    yield "genuine", key, value, good
    yield "no headers", key, value, None
    yield "empty headers", key, value, []
    yield "other event's headers", key, value, sealed[1]
    yield "value of another event", key, batch[1][1], good
    yield "key changed", b"other", value, good
    yield "signed by another agency", key, value, other[0]
    yield "untrusted key, right agency", key, value, rogue[0]
    yield "agency renamed", key, value, replaced("pm-agency", OTHER_AGENCY.encode())
    yield "key id of another agency", key, value, replaced("pm-key", other[0][1][1])
    yield "signature of another agency", key, value, replaced("pm-sig", other[0][3][1])
    yield "invalid UTF-8 agency", key, value, replaced("pm-agency", b"\xff\xfe")
    yield "invalid UTF-8 key id", key, value, replaced("pm-key", b"\xc3\x28")
    yield "size not a number", key, value, replaced("pm-size", b"many")
    yield "size 4,300 digits", key, value, replaced("pm-size", b"9" * 4300)
    yield "size 5,000 digits", key, value, replaced("pm-size", b"9" * 5000)
    yield "negative leaf", key, value, replaced("pm-leaf", b"-1")
    yield "leaf beyond batch", key, value, replaced("pm-leaf", b"100")
    yield "huge proof", key, value, replaced("pm-proof", b"\x00" * (32 * 40_000))
    yield "ragged proof", key, value, replaced("pm-proof", b"\x00" * 33)
    yield "empty signature", key, value, replaced("pm-sig", b"")
    yield "huge signature", key, value, replaced("pm-sig", b"\x01" * HUGE)
    yield "duplicated headers, forged last", key, value, [*good, ("pm-agency", OTHER_AGENCY.encode())]
    yield "huge value", key, value + b"\x00" * HUGE, good


# -- admission (the router's decision on raw ingress records) ------------------------------------


def fuzz_admission(world: _World, seed: int, examples: int) -> FuzzRow:
    """Decider.decide on raw (topic, key, value, headers): a dead letter with a reason from the closed
    list (original bytes kept), or routing, and routing only of events the topic's agency signed."""
    tally = _Tally("admission")
    engine = PolicyEngine.load(
        world.catalogue,
        secrets=PseudonymSecrets.generate(),
        encryptor=InMemoryKeyRing().encryptor(),
        today=date(2026, 1, 1),
    )
    ingress = world.registry.ingress_agencies()
    topic_of = {agency: topic for topic, agency in ingress.items()}
    admission = Admission(ingress, Verifier(world.trusted.get), world.codec)
    decider = Decider(admission, engine, world.codec)
    reasons = {r.value for r in Reason}
    offset = iter(range(1 << 62))

    def decide(
        label: str,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None,
    ) -> None:
        def body() -> None:
            outcome = decider.decide(Source(topic, 0, next(offset)), key, value, headers, now_ms=0)
            if outcome.rejection is not None:
                reason = outcome.rejection.reason.value
                kept = outcome.dead_letter is not None and outcome.dead_letter[1] == value
                if reason in reasons and outcome.rejection.detail and kept:
                    tally.dead(reason)
                else:
                    tally.unclear(label, f"dead letter {reason!r}, detail {outcome.rejection.detail!r}")
                return
            agency = ingress.get(topic)
            signers = _signers_of(world, agency) if agency is not None and value is not None else []
            if any(world.genuine(s.key_id, key, value or b"") for s in signers):
                tally.accepted()
            else:
                tally.unclear(label, "routed an event its agency did not sign")

        tally.run(label, body)

    own = world.signers[AGENCY]
    topic = topic_of[AGENCY]

    def signed(value: bytes, signer: Signer = own, key: bytes = b"k") -> list[tuple[str, bytes]]:
        return world.seal(signer, [(key, value)])[0]

    for label, where, value, headers in _admission_cases(world, topic, topic_of[OTHER_AGENCY], signed):
        decide(label, where, b"k", value, headers)

    values = list(world.values.values())
    mutated = st.tuples(st.sampled_from(values), st.lists(_MUTATION, min_size=1, max_size=3)).map(
        lambda t: _mutate_many(t[0], t[1])
    )
    confused = st.tuples(st.sampled_from(values), st.sampled_from(world.fingerprints)).map(
        lambda t: MAGIC + t[1] + t[0][10:]
    )
    strategy = st.tuples(
        st.one_of(mutated, confused, st.binary(max_size=128), st.sampled_from(values)),
        st.sampled_from(["own", "other", "rogue", "none", "stale"]),
        st.sampled_from([topic, topic_of[OTHER_AGENCY], "pentameter.ingress.unknown"]),
    )

    def random_case(case: tuple[bytes, str, str]) -> None:
        value, how, where = case
        if how == "own":
            headers: list[tuple[str, bytes]] | None = signed(value)
        elif how == "other":
            headers = signed(value, world.signers[OTHER_AGENCY])
        elif how == "rogue":
            headers = signed(value, world.rogue)
        elif how == "stale":  # headers of a genuine event, replayed over these bytes
            headers = signed(values[0])
        else:
            headers = None
        decide("random", where, b"k", value, headers)

    _drive(strategy, random_case, seed, examples)
    return tally.row()


def _signers_of(world: _World, agency: str) -> list[Signer]:
    return [s for a, s in world.signers.items() if a == agency]


def _admission_cases(
    world: _World, topic: str, other_topic: str, signed: Callable[..., list[tuple[str, bytes]]]
) -> Iterator[tuple[str, str, bytes | None, list[tuple[str, bytes]] | None]]:
    codec = world.codec
    for name in world.types:
        value = world.event_value(name)
        yield f"{name} genuine", topic, value, signed(value)
        yield f"{name} to another agency's topic", other_topic, value, signed(value)
        yield (
            f"{name} replayed, re-signed by another agency",
            topic,
            value,
            signed(value, world.signers[OTHER_AGENCY]),
        )
        yield f"{name} re-signed by an untrusted key", topic, value, signed(value, world.rogue)
        yield f"{name} signature over other bytes", topic, value, signed(value + b"!")
        yield f"{name} unsigned", topic, value, None
        yield f"{name} unknown topic", "pentameter.ingress.nobody", value, signed(value)
        foreign = world.event_value(name, OTHER_AGENCY)
        yield f"{name} claims another origin", topic, foreign, signed(foreign)
        for other_name, fp in zip(world.types, world.fingerprints, strict=True):
            if other_name != name:  # schema confusion, validly signed so it reaches the decoder
                confused = MAGIC + fp + value[10:]
                yield f"{name} bytes under {other_name}'s fingerprint", topic, confused, signed(confused)
    record = copy.deepcopy(world.records["IntelligenceReport"])
    record["envelope"]["event_id"] = world.next_id()
    record["narrative"] = "x" * HUGE
    huge = codec.encode("IntelligenceReport", record)
    yield "huge narrative", topic, huge, signed(huge)
    record = copy.deepcopy(world.records["IntelligenceReport"])
    record["envelope"]["review_date"] = date(1990, 1, 1)
    broken = codec.encode("IntelligenceReport", record)
    yield "breaks a domain rule", topic, broken, signed(broken)
    yield "no value", topic, None, None
    yield "empty value", topic, b"", signed(b"")
    yield "random bytes, signed", topic, b"\x00\xff" * 100, signed(b"\x00\xff" * 100)
    yield "headers not UTF-8", topic, world.values["Arrest"], [(n, b"\xff") for n, _ in signed(b"x")]


# -- agreement loader ----------------------------------------------------------------------------


_YAML_VALUES = (
    "",
    "~",
    "[]",
    "{}",
    "- a\n- b",
    "yes",
    "0",
    "-1",
    "1e999",
    "2024-01-01 10:00:00",
    "2024-02-30",
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['true']",
    "&x [*x]",
    "'\t'",
    '"\\ud800"',
    "x" * 10_000,
    "{a: 1, a: 2}",
    "[" * 200,
)


def fuzz_agreements(world: _World, seed: int, examples: int, workdir: Path) -> FuzzRow:
    """load_agreements on a directory holding one mangled agreement: AgreementError whose every
    problem names the file and a line, or agreements that loaded."""
    tally = _Tally("agreements")
    directory = workdir / "agreements"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "fuzz.yaml"
    baselines = [p.read_text(encoding="utf-8") for p in sorted(DEFAULT_AGREEMENTS.glob("*.yaml"))]

    def load(label: str, content: bytes) -> None:
        def body() -> None:
            target.write_bytes(content)
            try:
                load_agreements(world.catalogue, world.registry, directory)
            except AgreementError as exc:
                vague = [p for p in exc.problems if p.file != str(target) or p.line < 1 or not p.message]
                if vague or not exc.problems:
                    tally.unclear(label, f"problem without file and line: {vague[:1] or exc}")
                else:
                    tally.clear(type(exc).__name__)
                return
            tally.accepted()

        tally.run(label, body)

    for label, content in _agreement_cases(baselines[0]):
        load(label, content)

    line_edit = st.tuples(
        st.sampled_from(["replace value", "delete", "duplicate", "insert", "indent"]),
        st.integers(0, 400),
        st.one_of(st.sampled_from(_YAML_VALUES), st.text(max_size=40)),
    )
    text_case = st.tuples(st.integers(0, len(baselines) - 1), st.lists(line_edit, min_size=1, max_size=4))

    def edited(case: tuple[int, list[tuple[str, int, str]]]) -> bytes:
        lines = baselines[case[0]].splitlines()
        for kind, at, text in case[1]:
            i = at % len(lines)
            if kind == "replace value":
                head, sep, _ = lines[i].partition(":")
                lines[i] = f"{head}{sep or ':'} {text}"
            elif kind == "delete":
                del lines[i]
            elif kind == "duplicate":
                lines.insert(i, lines[i])
            elif kind == "insert":
                lines.insert(i, text)
            else:
                lines[i] = "  " + lines[i]
        return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")

    node_edit = st.tuples(st.integers(0, 1 << 16), _json_values(2))
    tree_case = st.tuples(st.integers(0, len(baselines) - 1), st.lists(node_edit, min_size=1, max_size=3))

    def restructured(case: tuple[int, list[tuple[int, Any]]]) -> bytes:
        doc = yaml.safe_load(baselines[case[0]])
        for at, value in case[1]:
            doc = _replace_node(doc, at, value)
        return yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass")

    strategy = st.one_of(text_case.map(edited), tree_case.map(restructured), st.binary(max_size=200))
    _drive(strategy, lambda content: load("random", content), seed, examples)
    return tally.row()


def _agreement_cases(baseline: str) -> Iterator[tuple[str, bytes]]:
    yield "baseline", baseline.encode()
    yield "empty", b""
    yield "a list", b"- 1\n- 2\n"
    yield "a scalar", b"hello\n"
    yield "two documents", baseline.encode() + b"\n---\nid: x\n"
    yield "invalid UTF-8", baseline.encode()[:200] + b"\xff\xfe" + baseline.encode()[200:]
    yield "byte order mark", b"\xef\xbb\xbf" + baseline.encode()
    yield "NUL bytes", baseline.encode().replace(b"\n", b"\x00\n", 3)
    yield "deep flow nesting", b"id: " + b"[" * DEEP + b"]" * DEEP + b"\n"
    yield "deep block nesting", "".join(f"{' ' * i}k{i}:\n" for i in range(0, 3000)).encode()
    yield "huge value", baseline.replace("title:", "title: " + "x" * HUGE + " #", 1).encode()
    yield "python object tag", b"id: !!python/object/apply:os.system ['true']\n"
    yield (
        "alias bomb",
        b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        + (b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n"),
    )
    yield "duplicate key", baseline.encode() + b"\nid: again\n"
    yield (
        "date with a time",
        baseline.replace("valid_from: ", "valid_from: 2020-01-01 10:00:00 #", 1).encode(),
    )
    yield "tabs", baseline.replace("  ", "\t").encode()


def _json_values(depth: int) -> st.SearchStrategy[Any]:
    """Values of every YAML/JSON type: the wrong type for most places they land."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=20),
        st.dates(),
        st.sampled_from(
            ["drop", "clear", "pseudonymise", "GIVEN", "IntelligenceReport", "envelope.event_id"]
        ),
    )
    if depth <= 0:
        return scalars
    inner = _json_values(depth - 1)
    return st.one_of(
        scalars, st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    )


def _replace_node(doc: Any, at: int, value: Any) -> Any:
    """Replace the ``at``-th node (depth first, modulo the count) of a loaded document."""
    nodes: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k in list(node):
                nodes.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                nodes.append((node, i))
                walk(node[i])

    walk(doc)
    if not nodes:
        return value
    parent, slot = nodes[at % len(nodes)]
    parent[slot] = value
    return doc


# -- adapters and validation ---------------------------------------------------------------------


def _row_issues_clear(line: int, problems: Sequence[tuple[str, str]]) -> bool:
    return line >= 1 and bool(problems) and all(reason for _, reason in problems)


def _row_ingester(
    tally: _Tally, world: _World, path: Path, read_rows: Callable[[Path], Iterator[Row]], where: str
) -> Callable[[str, bytes], None]:
    """Judge one input file as an adapter then validation see it: each row a record or problems
    naming its line; validation issues of a row must start with ``where`` (e.g. ``fuzz.csv line``)."""

    def ingest(label: str, content: bytes) -> None:
        def body() -> None:
            path.write_bytes(content)
            worst = "accepted"
            for row in read_rows(path):
                if row.problems or row.record is None:
                    if not _row_issues_clear(row.line, row.problems):
                        tally.unclear(label, f"line {row.line}: {row.problems}")
                        return
                    worst = "rejected row"
                    continue
                issues = world.publishable(row.record, f"{where} {row.line}")
                if issues:
                    if not all(i.where.startswith(where) and i.reason for i in issues):
                        tally.unclear(label, f"line {row.line}: {issues[0]}")
                        return
                    worst = "rejected row"
            if worst == "accepted":
                tally.accepted()
            else:
                tally.clear(worst)

        tally.run(label, body)

    return ingest


def fuzz_csv(world: _World, seed: int, examples: int, workdir: Path) -> FuzzRow:
    """read_csv with the Gloucestershire mapping, then validation, on mangled exports: every row is a
    record, or problems naming its line (and the field or column), never an exception."""
    tally = _Tally("csv")
    mapping: CsvMapping = load_mapping(MAPPING_FILE, world.catalogue)
    path = workdir / "fuzz.csv"
    base = CSV_FILE.read_bytes()
    header, *rows = base.decode("utf-8").splitlines()
    columns = len(header.split(","))

    ingest = _row_ingester(
        tally, world, path, lambda p: read_csv(p, mapping, name="fuzz.csv"), "fuzz.csv line"
    )

    for label, content in _csv_cases(base, header, rows):
        ingest(label, content)

    cell = st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            ["", "0", "-1", "9" * 5000, "31/02/2020 25:61", "£1,2,3.456", "NaN", "\x00", '"', "a,b", "\r\n"]
        ),
        st.binary(max_size=8).map(lambda b: b.decode("latin-1")),
    )
    edit = st.tuples(st.integers(0, len(rows) - 1), st.integers(0, columns + 2), cell)

    def edited(edits: list[tuple[int, int, str]]) -> bytes:
        grid = [next(iter(_csv_rows(r))) for r in rows]
        for r, c, text in edits:
            cells = grid[r]
            while len(cells) <= c:
                cells.append("")
            cells[c] = text
        lines = [header, *(",".join(_quote(c) for c in cells) for cells in grid)]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogatepass")

    strategy = st.one_of(
        st.lists(edit, min_size=1, max_size=6).map(edited),
        st.tuples(st.just(base), _MUTATION).map(lambda t: _mutate(t[0], *t[1])),
    )
    _drive(strategy, lambda content: ingest("random", content), seed, examples)
    return tally.row()


def _csv_rows(line: str) -> Iterator[list[str]]:
    yield from csv.reader([line])


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


def _csv_cases(base: bytes, header: str, rows: list[str]) -> Iterator[tuple[str, bytes]]:
    yield "the example export", base
    yield "empty", b""
    yield "header only", header.encode() + b"\n"
    yield "invalid UTF-8 cell", base.replace(b"Gary Hale", b"Gary \xff\xfeHale")
    yield "invalid UTF-8 header", b"\xff" + base
    yield "huge cell (past the csv field limit)", base.replace(b"Gary Hale", b"G" * HUGE)
    yield "huge quoted cell", base.replace(b"Gary Hale", b'"' + b"G" * HUGE + b'"')
    yield "unterminated quote", base + b'"never closed,' + b"x" * 1000
    yield "NUL byte", base.replace(b"Gary", b"Ga\x00ry")
    yield "extra cells", base.replace(b"GL1 9VX", b"GL1 9VX,extra,cells")
    yield "missing column", base.replace(b"URN,", b"", 1)
    yield "CR line ends", base.replace(b"\n", b"\r")
    yield "wrong types", b"\n".join([header.encode(), b",".join([b"-1e999"] * len(header.split(",")))])
    yield "all blank cells", b"\n".join([header.encode(), b"," * (len(header.split(",")) - 1)])
    yield "binary noise", bytes(range(256)) * 20


def fuzz_jsonl(world: _World, seed: int, examples: int, workdir: Path) -> FuzzRow:
    """read_jsonl then validation on mangled JSON Lines: records or problems naming the line."""
    tally = _Tally("jsonl")
    path = workdir / "fuzz.jsonl"
    lines = [json.dumps(to_json(r)) for r in world.records.values()]

    ingest = _row_ingester(tally, world, path, lambda p: read_jsonl(p, name="fuzz.jsonl"), "line")

    good = "\n".join(lines).encode()
    report = json.dumps(to_json(world.records["IntelligenceReport"]))
    surrogate = report.replace('"narrative": "', '"narrative": "\\ud800', 1).encode()
    for label, content in (
        ("the samples", good),
        ("deep nesting", b"[" * DEEP + b"]" * DEEP),
        ("deep object nesting", b'{"a":' * DEEP + b"1" + b"}" * DEEP),
        ("invalid UTF-8", good.replace(b"Gloucester", b"Glou\xffcester", 1)),
        ("huge integer", b'{"envelope": {"schema_version": ' + b"9" * 5000 + b"}}"),
        ("huge string", json.dumps({"envelope": {"event_type": "x" * HUGE}}).encode()),
        ("NaN and Infinity", b'{"envelope": NaN, "x": Infinity}'),
        ("a list", b"[1, 2, 3]"),
        ("lone surrogate escape", b'{"narrative": "\\ud800"}'),
        ("lone surrogate in a valid report", surrogate),
    ):
        ingest(label, content)
    strategy = st.tuples(st.just(good), st.lists(_MUTATION, min_size=1, max_size=4)).map(
        lambda t: _mutate_many(t[0], t[1])
    )
    _drive(strategy, lambda content: ingest("random", content), seed, examples)
    return tally.row()


def fuzz_records(world: _World, seed: int, examples: int) -> FuzzRow:
    """schemas.validation.check on JSON-form records with wrong types, deep nesting, huge values and
    one event type's body under another's event_type: issues naming the field, never an exception."""
    tally = _Tally("records")
    samples = {t: to_json(r) for t, r in world.records.items()}

    def validate_one(label: str, record: object) -> None:
        def body() -> None:
            issues = world.publishable(record, "record")
            if not issues:
                tally.accepted()
            elif issues and all(i.where and i.reason for i in issues):
                tally.clear("RecordInvalid")
            else:
                tally.unclear(label, f"rejected without a reason: {issues}")

        tally.run(label, body)

    deep: Any = "leaf"
    for _ in range(DEEP):
        deep = {"a": [deep]}
    for name, record in samples.items():
        for other in world.types:
            if other != name:
                confused = copy.deepcopy(record)
                confused["envelope"]["event_type"] = other
                validate_one(f"{name} as {other}", confused)
        wrongs: tuple[object, ...] = (
            deep,
            "x" * HUGE,
            10**100,
            -1,
            1.5,
            float("nan"),
            True,
            None,
            [],
            {},
            b"\xff",
        )
        for wrong in wrongs:
            for key in list(record)[:6]:
                mangled = copy.deepcopy(record)
                mangled[key] = wrong
                validate_one(f"{name}.{key} = {type(wrong).__name__}", mangled)
    types = list(samples)
    strategy = st.tuples(
        st.sampled_from(types),
        st.lists(st.tuples(st.integers(0, 1 << 16), _json_values(2)), min_size=1, max_size=3),
    )

    def random_case(case: tuple[str, list[tuple[int, Any]]]) -> None:
        record = copy.deepcopy(samples[case[0]])
        for at, value in case[1]:
            record = _replace_node(record, at, value)
        validate_one("random", record)

    _drive(strategy, random_case, seed, examples)
    return tally.row()


# -- runner --------------------------------------------------------------------------------------


def run_fuzz(
    seed: int,
    examples: int,
    targets: Sequence[str] = TARGETS,
    on_progress: Callable[[str], None] | None = None,
) -> list[FuzzRow]:
    """Every target's adversarial cases plus ``examples`` random inputs each, drawn from ``seed``.

    Deterministic for a seed (signing keys and batch ids are fresh each run, which only changes
    bytes that no mutation targets). ``on_progress(target)`` is called as each target finishes.
    """
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        raise ValueError(f"unknown fuzz target(s) {unknown} (known: {', '.join(TARGETS)})")
    world = _World()
    rows: list[FuzzRow] = []
    with tempfile.TemporaryDirectory(prefix="pentameter-fuzz-") as tmp:
        workdir = Path(tmp)
        runners: dict[str, Callable[[], FuzzRow]] = {
            "codec": lambda: fuzz_codec(world, seed, examples),
            "provenance": lambda: fuzz_provenance(world, seed, examples),
            "admission": lambda: fuzz_admission(world, seed, examples),
            "agreements": lambda: fuzz_agreements(world, seed, examples, workdir),
            "csv": lambda: fuzz_csv(world, seed, examples, workdir),
            "jsonl": lambda: fuzz_jsonl(world, seed, examples, workdir),
            "records": lambda: fuzz_records(world, seed, examples),
        }
        for target in targets:
            rows.append(runners[target]())
            if on_progress is not None:
                on_progress(target)
    return rows


def fuzz_table_rows(rows: Sequence[FuzzRow]) -> list[tuple[str, ...]]:
    """The rows as text cells (target, inputs, clear errors, dead letters, accepted, crashes, unclear)."""
    return [
        (
            r.target,
            f"{r.inputs:,}",
            f"{r.clear_errors:,}",
            f"{r.dead_letters:,}",
            f"{r.accepted:,}",
            str(r.crashes),
            str(r.unclear),
        )
        for r in rows
    ]
