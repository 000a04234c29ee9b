"""`pentameter dlq ...`: list, inspect and replay dead letters (see :mod:`consumers.dlq`)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from clikit.choices import require
from clikit.group import command_group
from clikit.humane import when
from clikit.output import JSON_OPTION, print_json
from consumers.deadletter import DEAD_LETTER_HEADERS, Reason
from consumers.dlq import DeadLetter, ReplayResult, load_dead_letters, replay, select
from consumers.runtime import Runtime, build_runtime
from schemas.provenance import PROVENANCE_HEADERS
from schemas.wire import Codec

dlq_app = command_group(
    help=(
        "Dead letters: ingress records the router refused, kept whole with the reason. List and "
        "filter them, inspect one, and replay those whose cause has been fixed, exactly once."
    ),
)
console = Console()
REASONS = ", ".join(r.value for r in Reason)


def _check_filters(runtime: Runtime, agency: str | None, reason: str | None) -> None:
    """An unknown agency or reason is refused in one line, instead of an empty listing."""
    require("agency", agency, runtime.engine.registry.ingress_agencies().values())
    require("reason", reason, [r.value for r in Reason])


def _letters(runtime: Runtime) -> list[DeadLetter]:
    try:
        return load_dead_letters(runtime)
    except LookupError as exc:
        console.print(f"[red]{exc}[/]; run `pentameter router run` once to create the topics")
        raise typer.Exit(code=1) from exc


@dlq_app.command("list")
def list_(
    agency: str | None = typer.Option(
        None, "--agency", help="Only dead letters read from this agency's ingress topic."
    ),
    reason: str | None = typer.Option(None, "--reason", help=f"Only this reason ({REASONS})."),
    wide: bool = typer.Option(
        False, "--wide", help="One line per dead letter, as wide as it needs (for grep and wide screens)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the dead letters on the dead-letter topic, oldest first.

    Each row gives the dead letter's offset, when it was refused, the ingress record it was
    (topic/partition@offset), the agency that owns that ingress topic, the reason, the detail and
    the event id when the value still decodes. Filter with --agency and --reason. Ids and sources
    are never shortened: a narrow terminal wraps them; --wide keeps each row on one line.
    """
    runtime = build_runtime()
    _check_filters(runtime, agency, reason)
    letters = select(_letters(runtime), agency, reason)
    if as_json:
        print_json([d.summary() for d in letters])
        return
    table = Table("offset", "refused", "source", "agency", "reason", "detail", "event id")
    for column in table.columns:
        column.overflow = "fold"  # wrapped, never cut with an ellipsis
    for d in letters:
        offset = str(d.offset) if d.partition == 0 else f"{d.partition}:{d.offset}"
        table.add_row(offset, when(d.at_ms), d.source, d.agency or "-", d.reason, d.detail, d.event_id or "-")
    out = Console(width=100_000, soft_wrap=True) if wide else console
    out.print(table, crop=not wide)
    by_reason: dict[str, int] = {}
    for d in letters:
        by_reason[d.reason] = by_reason.get(d.reason, 0) + 1
    counts = ", ".join(f"{r}: {n}" for r, n in sorted(by_reason.items()))
    console.print(f"{len(letters)} dead letter(s)" + (f" ({counts})" if counts else ""))


def _parse_offset(text: str) -> tuple[int, int]:
    """``OFFSET`` (partition 0, the dead-letter topic has one) or ``PARTITION:OFFSET``."""
    try:
        if ":" in text:
            partition, offset = text.split(":", 1)
            return int(partition), int(offset)
        return 0, int(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an offset (N or PARTITION:N)") from exc


def _find(letters: list[DeadLetter], text: str) -> DeadLetter | None:
    partition, offset = _parse_offset(text)
    return next((d for d in letters if (d.partition, d.offset) == (partition, offset)), None)


def _header_text(value: bytes) -> str:
    try:
        text = value.decode()
    except UnicodeDecodeError:
        return "0x" + value.hex()
    return text if text.isprintable() else "0x" + value.hex()


def _hexdump(data: bytes, limit: int = 256) -> str:
    lines = []
    for start in range(0, min(len(data), limit), 16):
        chunk = data[start : start + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:08x}  {chunk.hex(' '):<47}  {text}")
    if len(data) > limit:
        lines.append(f"... {len(data) - limit} more byte(s)")
    return "\n".join(lines)


def _preview(codec: Codec, value: bytes | None) -> dict[str, Any]:
    if value is None:
        return {"bytes": 0, "decoded": None, "hex": None}
    try:
        entry, record = codec.decode(value)
        decoded: Any = json.loads(json.dumps(record, default=str))
        schema: str | None = entry.label
        error = None
    except Exception as exc:  # the point of a dead letter is often that it does not decode
        decoded, schema, error = None, None, f"{type(exc).__name__}: {exc}"
    return {"bytes": len(value), "schema": schema, "decoded": decoded, "error": error, "hex": _hexdump(value)}


@dlq_app.command()
def show(
    offset: str = typer.Argument(..., help="The dead letter's offset (or PARTITION:OFFSET)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Everything about one dead letter.

    Its reason and detail, where it was read, when it was refused, every header (the provenance
    headers the agency sent are marked, missing ones named), and a preview of the value: the
    decoded event as JSON when it decodes, otherwise a hex dump. Exits 1 if there is none.
    """
    runtime = build_runtime()
    letter = _find(_letters(runtime), offset)
    if letter is None:
        console.print(f"[red]no dead letter at offset {offset}[/]")
        raise typer.Exit(code=1)
    preview = _preview(Codec(runtime.catalogue), letter.value)
    provenance = sorted({k for k, _ in letter.original_headers if k in PROVENANCE_HEADERS})
    if as_json:
        report = {
            **letter.summary(),
            "key": _header_text(letter.key) if letter.key is not None else None,
            "headers": [[k, _header_text(v)] for k, v in letter.headers],
            "provenance_headers": provenance,
            "value": preview,
        }
        print_json(report)
        return
    console.print(f"[bold]dead letter {letter.partition}:{letter.offset}[/]")
    console.print(f"reason: [red]{letter.reason}[/]")
    console.print(f"detail: {letter.detail}")
    console.print(f"source: {letter.source} (agency {letter.agency or 'unknown'})")
    console.print(f"refused: {when(letter.at_ms)}")
    console.print(f"event: {letter.event_type or '-'} {letter.event_id or ''}")
    key = _header_text(letter.key) if letter.key is not None else "(none)"
    console.print(f"key: {key}")
    missing = sorted(PROVENANCE_HEADERS - set(provenance))
    console.print(
        f"provenance headers present: {', '.join(provenance) or 'none'}"
        + (f"; missing: {', '.join(missing)}" if missing else "")
    )
    table = Table("header", "value", "from")
    for name, value in letter.headers:
        origin = "router" if name in DEAD_LETTER_HEADERS else "agency"
        origin += " (provenance)" if name in PROVENANCE_HEADERS else ""
        table.add_row(name, _header_text(value), origin)
    console.print(table)
    if preview["decoded"] is not None:
        console.print(f"value ({preview['bytes']} bytes, {preview['schema']}):")
        console.print_json(json.dumps(preview["decoded"]))
    else:
        console.print(f"value ({preview['bytes']} bytes, does not decode: {preview.get('error')}):")
        console.print(preview["hex"] or "", markup=False, highlight=False)


@dlq_app.command("replay")
def replay_command(
    offsets: list[str] = typer.Argument(None, help="Offsets of the dead letters to replay."),
    reason: str | None = typer.Option(None, "--reason", help="Replay every dead letter with this reason."),
    agency: str | None = typer.Option(None, "--agency", help="With --reason: only this agency's."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Re-validate and report; produce nothing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-validate dead letters now and send those that pass back to their ingress topic, once.

    Select by OFFSET... or by --reason (optionally narrowed by --agency). Each one is checked again
    with the router's admission (provenance, schema, rules, agency) and policy; those that pass are
    produced with their original key, value and headers to the ingress partition they came from,
    in one Kafka transaction that also writes a signed `replay` note per record to the audit ledger
    (chain `dlq-replay`). A dead letter already named in a note is not replayed again. Those still
    invalid are reported with their current reason and not replayed. Exits 1 when any selected dead
    letter is still invalid or does not exist.
    """
    if not offsets and reason is None:
        raise typer.BadParameter("give dead-letter offsets or --reason", param_hint="OFFSET...")
    if offsets and (reason is not None or agency is not None):
        raise typer.BadParameter("give offsets or --reason/--agency, not both", param_hint="OFFSET...")
    runtime = build_runtime()
    _check_filters(runtime, agency, reason)
    letters = _letters(runtime)
    missing: list[str] = []
    if offsets:
        chosen = []
        for text in offsets:
            found = _find(letters, text)
            if found is None:
                missing.append(text)
            else:
                chosen.append(found)
    else:
        chosen = select(letters, agency, reason)
    results = replay(runtime, chosen, dry_run=dry_run)
    if as_json:
        rows: list[dict[str, Any]] = [r.as_dict() for r in results]
        rows += [{"offset": m, "status": "not_found"} for m in missing]
        print_json(rows)
    else:
        _print_results(results, missing, dry_run)
    if missing or any(r.status == "still_invalid" for r in results):
        raise typer.Exit(code=1)


def _print_results(results: list[ReplayResult], missing: list[str], dry_run: bool) -> None:
    table = Table("offset", "source", "outcome", "reason / event id", "detail")
    styles = {
        "replayed": "green",
        "would_replay": "cyan",
        "already_replayed": "yellow",
        "still_invalid": "red",
    }
    for r in results:
        style = styles.get(r.status, "white")
        what = r.reason if r.status == "still_invalid" else (r.event_id or "-")
        table.add_row(
            str(r.letter.offset), r.letter.source, f"[{style}]{r.status}[/]", what or "-", r.detail or ""
        )
    for m in missing:
        table.add_row(m, "-", "[red]not_found[/]", "-", "no dead letter at this offset")
    console.print(table)
    done = sum(r.status in ("replayed", "would_replay") for r in results)
    verb = "would be replayed (dry run)" if dry_run else "replayed"
    console.print(
        f"{done} {verb}, {sum(r.status == 'still_invalid' for r in results)} still invalid, "
        f"{sum(r.status == 'already_replayed' for r in results)} already replayed"
    )
