"""`pentameter bench codec`: the native core against its Python references, per record and text.

The workload is ``bench policy``'s: varied valid records of every event type, routed with the
baseline agreements. Figures are CPU microseconds (one thread, best of several rounds):

* decode: an ingress body into its record, with the writer's schema;
* encode: the event record, and each partner record in its projection schema;
* per event: the router's codec work, one decode and the encoding of that event's partner records;
* find: rule 11's search of each string of a record for every value the record holds (the most
  any partner can have withheld). Both sides get the record's ``ValueIndex``; the native figure
  includes turning it into its own index once per record (what :class:`TextSearch` does), which
  is also shown alone.

Native is :mod:`schemas.native` (Rust), the references are fastavro and
:func:`policies.textmatch.find`. Both produce the same bytes, values and matches (the
differential tests prove it); this measures only what each costs.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer
from fastavro import schemaless_reader, schemaless_writer

from bench.policy import bench_engine, workload
from clikit.exits import NOT_DONE
from policies.collect import collector
from policies.forms import forms_of
from policies.textmatch import Atoms, ValueIndex, find
from schemas import native
from schemas.catalogue import load_catalogue
from schemas.entry import SchemaEntry

ROUNDS = 5


def _best(work: Callable[[], int], rounds: int = ROUNDS) -> float:
    """CPU microseconds per item of ``work`` (which returns how many items it did), best round."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        items = work()
        best = min(best, (time.process_time() - started) / max(items, 1) * 1e6)
    return best


def _compiled(entry: SchemaEntry) -> native.core.Program:
    program = entry.program
    if program is None:
        raise RuntimeError(f"{entry.label} is not run by the native codec")
    return program


def _writer(entry: SchemaEntry, record: Any) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, entry.parsed, record)
    return out.getvalue()


def bench_codec(size: int = 400) -> dict[str, Any]:
    """Measure the native codec and search against fastavro and the Python search (see the
    module doc); raises RuntimeError when the native core is not built."""
    if not native.AVAILABLE:
        raise RuntimeError("the native core is not available (not built, or PENTAMETER_NATIVE=0)")
    catalogue = load_catalogue()
    engine = bench_engine(catalogue)
    events: list[tuple[SchemaEntry, Any, bytes, list[tuple[SchemaEntry, Any]]]] = []
    for event_type, record in workload(engine.registry, size, catalogue=catalogue):
        entry = catalogue.latest(event_type)
        deliveries = [
            (catalogue.by_fingerprint(d.schema_fingerprint), d.record)
            for d in engine.route(event_type, record).deliveries
        ]
        events.append((entry, record, _writer(entry, record), deliveries))
    partner_records = [pair for *_, deliveries in events for pair in deliveries]

    def programs(pairs: list[tuple[SchemaEntry, Any]]) -> list[tuple[Any, Any]]:
        return [(_compiled(e), r) for e, r in pairs]

    event_pairs = [(e, r) for e, r, _, _ in events]
    native_events, native_partners = programs(event_pairs), programs(partner_records)
    bodies = [(e, _compiled(e), body) for e, _, body, _ in events]

    def fastavro_encode(pairs: list[tuple[SchemaEntry, Any]]) -> Callable[[], int]:
        return lambda: sum(1 for e, r in pairs if _writer(e, r))

    def native_encode(pairs: list[tuple[Any, Any]]) -> Callable[[], int]:
        encode = native.core.encode
        return lambda: sum(1 for p, r in pairs if encode(p, r))

    def fastavro_decode() -> int:
        for e, _, body in bodies:
            schemaless_reader(io.BytesIO(body), e.parsed, None)
        return len(bodies)

    def native_decode() -> int:
        decode = native.core.decode
        for _, p, body in bodies:
            decode(p, body)
        return len(bodies)

    def fastavro_route() -> int:
        for e, _, body, deliveries in events:
            schemaless_reader(io.BytesIO(body), e.parsed, None)
            for pe, pr in deliveries:
                _writer(pe, pr)
        return len(events)

    compiled = [(_compiled(e), r, body, programs(d)) for e, r, body, d in events]

    def native_route() -> int:
        encode, decode = native.core.encode, native.core.decode
        for e, _, body, deliveries in compiled:
            decode(e, body)
            for pe, pr in deliveries:
                encode(pe, pr)
        return len(events)

    searches = _searches(events)
    texts = sum(len(t) for _, t in searches)

    def python_find() -> int:
        for index, strings in searches:
            for text in strings:
                find(Atoms(text), index)
        return texts

    def native_find() -> int:
        search, text_index = native.core.find, native.core.TextIndex
        for index, strings in searches:
            built = text_index(index)
            for text in strings:
                search(text, built)
        return texts

    def native_index() -> int:
        for index, _ in searches:
            native.core.TextIndex(index)
        return len(searches)

    return {
        "events": len(events),
        "partner_records": len(partner_records),
        "texts": texts,
        "decode_us": {"fastavro": _best(fastavro_decode), "native": _best(native_decode)},
        "encode_event_us": {
            "fastavro": _best(fastavro_encode(event_pairs)),
            "native": _best(native_encode(native_events)),
        },
        "encode_partner_us": {
            "fastavro": _best(fastavro_encode(partner_records)),
            "native": _best(native_encode(native_partners)),
        },
        "per_event_us": {"fastavro": _best(fastavro_route), "native": _best(native_route)},
        "find_us": {"python": _best(python_find), "native": _best(native_find)},
        "native_index_us_per_record": _best(native_index),
        "deliveries_per_event": round(len(partner_records) / max(len(events), 1), 2),
    }


def _searches(
    events: list[tuple[SchemaEntry, Any, bytes, list[tuple[SchemaEntry, Any]]]],
) -> list[tuple[ValueIndex, list[str]]]:
    """Per record: an index of every value it holds, and its distinct strings."""
    out = []
    collectors: dict[bytes, Any] = {}
    for entry, record, _, _ in events:
        collect = collectors.get(entry.fingerprint)
        if collect is None:
            collect = collectors[entry.fingerprint] = collector(entry.schema, entry.names)
        found: list[tuple[Any, str]] = []
        if collect is not None:
            collect(record, found)
        index = ValueIndex((key, f) for key in dict.fromkeys(found) if (f := forms_of(*key)) is not None)
        strings = list(dict.fromkeys(v for v, _ in found if isinstance(v, str)))
        if index and strings:
            out.append((index, strings))
    return out


def codec_command(
    size: Annotated[int, typer.Option("--events", min=10, help="Records in the workload.")] = 400,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure the native core against its Python references: Avro decode and encode (native
    against fastavro) in CPU microseconds per record and per routed event, and rule 11's search
    (native against policies.textmatch) per text."""
    try:
        figures = bench_codec(size)
    except RuntimeError as exc:  # nothing to compare against without the native core
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(NOT_DONE) from exc
    if as_json:
        typer.echo(json.dumps(figures))
        return
    rows = [
        ("decode ingress event", "decode_us", "fastavro"),
        ("encode event record", "encode_event_us", "fastavro"),
        ("encode partner record", "encode_partner_us", "fastavro"),
        (f"per event (decode + {figures['deliveries_per_event']} encodes)", "per_event_us", "fastavro"),
        ("rule 11 find, per text", "find_us", "python"),
    ]
    counts = f"{figures['events']} events, {figures['partner_records']} partner records"
    typer.echo(f"{counts}, {figures['texts']} texts; CPU us, best of {ROUNDS}")
    typer.echo(f"{'':44} {'reference':>10} {'native':>10} {'speed-up':>9}")
    for label, key, reference in rows:
        ref, nat = figures[key][reference], figures[key]["native"]
        typer.echo(f"{label:44} {ref:10.2f} {nat:10.2f} {ref / nat:8.1f}x")
    typer.echo(
        f"{'native index, built once per record':44} {'':10} {figures['native_index_us_per_record']:10.2f}"
    )
