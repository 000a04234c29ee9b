"""`pentameter audit export` / `audit verify-export`: what went to one partner, verifiable offline.

The export is a JSON Lines file:

- line 1, ``{"type": "header", ...}``: partner, date range (inclusive, UTC, by the router's decision
  time ``at``), the audit topic it was read from, counts;
- ``{"type": "decision", ...}``: one per ledger entry that decided for the partner in the range:
  event id and type, time, ``delivered`` or ``denied``, agreement id and version, fields released,
  fields withheld with their rules (deliveries), rule and reason (denials), and the full ledger
  entry (``entry``) it was taken from;
- ``{"type": "chain", ...}``: the ledger records needed to check those entries, as stored (``raw``):
  for every chain with an exported decision, all its entries from seq 0 up to the first seal after
  the last exported entry of that chain, in order.

:func:`verify_export` re-checks the chains with :func:`consumers.ledger.verify_entries` (hashes,
links, sequence numbers, seal signatures against keys the verifier trusts, not keys in the file),
then checks that every decision line is exactly what its sealed ledger entry says and that no
decision for the partner in the range is missing. Altering, adding or removing any line is caught.

Note: the chain records are whole ledger entries, so the file also shows which other partners an
exported event went to and which field names they received (never any field value).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console

from clikit.choices import require
from clikit.output import JSON_OPTION, print_json
from consumers.ledger import verify_entries
from consumers.topic_reader import read_topic
from infra.connection import client_config
from infra.keys import KeyStore
from infra.settings import load_settings
from infra.topics import AUDIT_TOPIC
from policies.registry import load_registry

ROUTER_IDENTITY = "router"
FORMAT = "pentameter-audit-export/v1"
console = Console(highlight=False)

TrustedLookup = Callable[[str], Ed25519PublicKey | None]


def _day_bounds(date_from: date | None, date_to: date | None) -> tuple[int, int]:
    """The range as ``[start_ms, end_ms)`` in UTC (unbounded where a day is not given)."""

    def midnight_ms(day: date) -> int:
        return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)

    start = midnight_ms(date_from) if date_from else 0
    end = midnight_ms(date_to) + 24 * 3600 * 1000 if date_to else 2**62
    return start, end


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def decision_for(entry: Mapping[str, Any], partner: str) -> dict[str, Any] | None:
    """The export line for ``partner`` from one ledger entry (None when it decided nothing for it)."""
    common = {
        "type": "decision",
        "event_id": entry.get("event_id"),
        "event_type": entry.get("event_type"),
        "at": entry.get("at"),
        "time": _iso(int(entry.get("at") or 0)),
        "chain": entry.get("chain"),
        "seq": entry.get("seq"),
        "hash": entry.get("hash"),
    }
    for d in entry.get("delivered") or []:
        if d.get("partner") == partner:
            return {
                **common,
                "decision": "delivered",
                "agreement": d.get("agreement"),
                "version": d.get("version"),
                "fields_released": list(d.get("fields") or []),
                "fields_withheld": [{"field": f, "rule": rule} for f, rule in d.get("withheld") or []],
                "entry": dict(entry),
            }
    for n in entry.get("denied") or []:
        if n.get("partner") == partner:
            return {
                **common,
                "decision": "denied",
                "agreement": n.get("agreement"),
                "version": n.get("version"),
                "rule": n.get("rule"),
                "reason": n.get("reason"),
                "entry": dict(entry),
            }
    return None


def select(
    chain_records: Iterable[bytes], partner: str, start_ms: int, end_ms: int
) -> tuple[list[dict[str, Any]], dict[str, list[bytes]]]:
    """From ledger records (in partition order): the partner's decisions in range, and per chain
    with such a decision, its records from the start to the first seal after the last decision."""
    chains: dict[str, list[tuple[dict[str, Any], bytes]]] = {}
    for raw in chain_records:
        try:
            entry = json.loads(raw)
            chain = str(entry["chain"])
        except (ValueError, KeyError, TypeError):
            continue  # unreadable: `audit verify` reports it; it cannot be part of a verifiable chain
        chains.setdefault(chain, []).append((entry, raw))
    decisions: list[dict[str, Any]] = []
    kept: dict[str, list[bytes]] = {}
    for chain, items in chains.items():
        last = -1
        for index, (entry, _) in enumerate(items):
            at = entry.get("at")
            if entry.get("kind") == "seal" or not isinstance(at, int) or not start_ms <= at < end_ms:
                continue
            decision = decision_for(entry, partner)
            if decision is not None:
                decisions.append(decision)
                last = index
        if last < 0:
            continue
        end = next((i for i in range(last, len(items)) if items[i][0].get("kind") == "seal"), len(items) - 1)
        kept[chain] = [raw for _, raw in items[: end + 1]]
    decisions.sort(key=lambda d: (d["at"], d["chain"], d["seq"]))
    return decisions, kept


def write_export(
    out: Path,
    partner: str,
    date_from: date | None,
    date_to: date | None,
    records: Iterable[bytes],
    source: str = "",
) -> tuple[int, int]:
    """Write the export file; returns (decisions, chain records)."""
    start, end = _day_bounds(date_from, date_to)
    decisions, chains = select(records, partner, start, end)
    chain_entries = sum(len(v) for v in chains.values())
    header: dict[str, Any] = {
        "type": "header",
        "format": FORMAT,
        "partner": partner,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "audit_topic": source,
        "decisions": len(decisions),
        "chains": sorted(chains),
        "chain_entries": chain_entries,
    }
    with out.open("w", encoding="utf-8") as fh:
        fh.write(_line(header))
        for decision in decisions:
            fh.write(_line(decision))
        for chain in sorted(chains):
            for raw in chains[chain]:
                fh.write(_line({"type": "chain", "chain": chain, "raw": raw.decode("utf-8")}))
    return len(decisions), chain_entries


def _line(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


@dataclass
class ExportReport:
    """Outcome of checking an export file offline."""

    partner: str = ""
    decisions: int = 0
    chains: int = 0
    chain_entries: int = 0
    seals: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.decisions > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "partner": self.partner,
            "decisions": self.decisions,
            "chains": self.chains,
            "chain_entries": self.chain_entries,
            "seals": self.seals,
            "problems": self.problems,
        }


def _read_lines(path: Path, report: ExportReport) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                report.problems.append(f"line {number}: unreadable ({exc})")
                continue
            yield number, obj


def verify_export(path: Path, trusted_lookup: TrustedLookup) -> ExportReport:
    """Check an export file without the cluster: the included chains verify (hashes, links, seals
    signed by a key ``trusted_lookup`` returns), and the decision lines are exactly the partner's
    decisions that those sealed entries record in the header's date range."""
    report = ExportReport()
    header: dict[str, Any] | None = None
    decisions: list[tuple[int, dict[str, Any]]] = []
    chain_raw: list[tuple[int, str, bytes]] = []
    for number, obj in _read_lines(path, report):
        kind = obj.get("type")
        if kind == "header":
            if header is not None:
                report.problems.append(f"line {number}: a second header")
            header = obj
        elif kind == "decision":
            decisions.append((number, obj))
        elif kind == "chain" and isinstance(obj.get("raw"), str):
            chain_raw.append((number, str(obj.get("chain")), obj["raw"].encode("utf-8")))
        else:
            report.problems.append(f"line {number}: unknown line type {kind!r}")
    if header is None or header.get("format") != FORMAT:
        report.problems.append(f"no {FORMAT} header")
        return report
    partner = str(header.get("partner"))
    report.partner = partner

    ledger = verify_entries(((n, raw) for n, _, raw in chain_raw), trusted_lookup)
    report.chains, report.chain_entries, report.seals = ledger.chains, ledger.entries, ledger.seals
    report.problems += [
        f"line {p.offset}: chain {p.chain}" + (f" seq {p.seq}" if p.seq is not None else "") + f": {p.what}"
        for p in ledger.problems
    ]
    for number, chain, raw in chain_raw:
        try:
            if json.loads(raw).get("chain") != chain:
                report.problems.append(f"line {number}: chain label does not match its entry")
        except ValueError:
            pass  # reported by verify_entries
    if sorted({c for _, c, _ in chain_raw}) != sorted(header.get("chains") or []):
        report.problems.append("the header's list of chains does not match the chain lines")

    date_from = date.fromisoformat(header["from"]) if header.get("from") else None
    date_to = date.fromisoformat(header["to"]) if header.get("to") else None
    start, end = _day_bounds(date_from, date_to)
    expected, _ = select((raw for _, _, raw in chain_raw), partner, start, end)
    by_key = {(d["chain"], d["seq"]): d for d in expected}
    seen = set()
    for number, decision in decisions:
        key = (decision.get("chain"), decision.get("seq"))
        want = by_key.get(key)
        if want is None:
            report.problems.append(f"line {number}: decision not found in the sealed chains")
        elif want != decision:
            report.problems.append(f"line {number}: decision differs from its ledger entry")
        if key in seen:
            report.problems.append(f"line {number}: decision listed twice")
        seen.add(key)
    for key in sorted(set(by_key) - seen, key=str):
        report.problems.append(f"decision missing from the export: chain {key[0]} seq {key[1]}")
    if header.get("decisions") != len(decisions):
        report.problems.append(f"header says {header.get('decisions')} decisions, file has {len(decisions)}")
    report.decisions = len(decisions)
    return report


def _parse_day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from exc


def _trusted() -> TrustedLookup:
    settings = load_settings()
    return KeyStore(settings.home / "keys").trusted_signing_keys([ROUTER_IDENTITY]).get


def export(
    partner: str = typer.Option(..., "--partner", help="Partner id (as in the registry) to export for."),
    date_from: str = typer.Option(
        "", "--from", help="First day (YYYY-MM-DD, UTC, by decision time), inclusive; default: the start."
    ),
    date_to: str = typer.Option("", "--to", help="Last day (YYYY-MM-DD, UTC), inclusive; default: the end."),
    out: Path = typer.Option(..., "--out", help="JSON Lines file to write."),
    topic: str = typer.Option("", help="Audit topic to read (default: the deployment's audit topic)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Export what went to one partner and what was withheld from it, verifiable offline.

    Writes JSON Lines: a header, one line per decision for the partner (event id and type, time,
    agreement id and version, fields released, fields withheld with their rules, or the denial's
    rule and reason, plus the full ledger entry), and the ledger chains those entries sit in up to
    their seal. Check the file anywhere with `pentameter audit verify-export FILE`.
    """
    start = _parse_day(date_from, "--from")
    end = _parse_day(date_to, "--to")
    if start and end and end < start:
        raise typer.BadParameter("--to is before --from", param_hint="--to")
    require("partner", partner, load_registry().partner_ids())
    settings = load_settings()
    source = topic or settings.topic_prefix + AUDIT_TOPIC
    records = (r.value for r in read_topic(client_config(settings), source) if r.value)
    count, entries = write_export(out, partner, start, end, records, source)
    if as_json:
        print_json({"partner": partner, "decisions": count, "ledger_entries": entries, "file": out})
        return
    console.print(f"{count} decision(s) for {partner} and {entries} ledger entries written to {out}")
    if count == 0:
        console.print(f"[yellow]no decision for {partner} in that range[/]")


def verify_export_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Export file to check."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check an audit export offline: the included ledger chains (hashes, links, seals signed by
    the router's key from this machine's key store) and that every decision line is exactly what
    its sealed ledger entry says, with none added or missing. Exits 1 on any problem."""
    report = verify_export(file, _trusted())
    if as_json:
        print_json(report.to_json())
    else:
        for problem in report.problems:
            console.print(f"[red]✗[/] {problem}")
        status = "[green]export verified[/]" if report.ok else "[red]export NOT verified[/]"
        console.print(
            f"{status}: {report.decisions} decision(s) for {report.partner}, {report.chain_entries} "
            f"ledger entries in {report.chains} chain(s), {report.seals} seal(s), "
            f"{len(report.problems)} problem(s)"
        )
    if not report.ok:
        raise typer.Exit(code=1)
