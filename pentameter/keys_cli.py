"""`pentameter keys rotate|list`: new keys for agencies, partners and the router; what the store holds.

Rotation makes a new key current and keeps the old one, retired: events signed before stay
verifiable (verifiers look keys up by the id in each record's headers) and fields encrypted before
stay decryptable (each ciphertext names its key id). Publishers, routers and partner readers
started after a rotation use the new key. Listing shows ids and status only, never key bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from clikit.choices import require
from clikit.group import command_group
from clikit.humane import when
from clikit.output import JSON_OPTION, print_json
from consumers.runtime import ROUTER_IDENTITY
from infra.keys import KeyInfo, KeyRevoked, KeyStore
from infra.settings import load_settings
from policies.registry import load_registry
from schemas.provenance import key_id_for

keys_app = command_group(
    help="The key store: rotate agency signing, partner encryption and router keys; list key ids.",
)
console = Console(stderr=True, highlight=False)


def _store() -> KeyStore:
    return KeyStore(load_settings().home / "keys")


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {message}")
    return typer.Exit(code=2)


@keys_app.command()
def rotate(
    agency: str | None = typer.Option(None, "--agency", "-a", help="Agency id whose signing key to rotate."),
    partner: str | None = typer.Option(
        None, "--partner", "-p", help="Partner id whose encryption key to rotate."
    ),
    router: bool = typer.Option(False, "--router", help="Rotate the router's signing key."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make a new key current for one agency, partner or the router; the old key is kept, retired."""
    chosen = [
        name for name, given in (("--agency", agency), ("--partner", partner), ("--router", router)) if given
    ]
    if len(chosen) != 1:
        raise _fail("name exactly one of --agency A, --partner P or --router")
    store = _store()
    registry = load_registry()
    require("agency", agency, sorted(set(registry.ingress_agencies().values())))
    require("partner", partner, registry.partners)
    if agency is not None:
        owner, kind, label = agency, "agency signing", f"agency {agency}"
        key_id = key_id_for(agency, store.rotate_signing_key(agency).public_key())
    elif partner is not None:
        try:
            store.rotate_partner_key(partner)
        except KeyRevoked as exc:
            raise _fail(f"{exc.args[0]}; a revoked partner gets no new key") from exc
        owner, kind, label = partner, "partner encryption", f"partner {partner}"
        key_id, _ = store.partner_public_key(partner)
    else:
        owner, kind, label = ROUTER_IDENTITY, "router signing", ROUTER_IDENTITY
        key_id = key_id_for(ROUTER_IDENTITY, store.rotate_signing_key(ROUTER_IDENTITY).public_key())
    if as_json:
        print_json({"owner": owner, "kind": kind, "key_id": key_id, "old_keys": "retired"})
    else:
        typer.echo(f"{label}: new {kind.split()[1]} key {key_id} (old keys retired)")


def _row(info: KeyInfo) -> dict[str, object]:
    return {
        "kind": info.kind,
        "owner": info.owner,
        "key_id": info.key_id,
        "status": "current" if info.current else "retired",
        "created": datetime.fromtimestamp(info.created, UTC).isoformat(timespec="seconds"),
    }


@keys_app.command("list")
def list_keys(
    owner: str | None = typer.Option(
        None, "--owner", help="Only the keys of this agency, partner or router."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Every key id in the store with its owner, kind and status (current or retired)."""
    registry = load_registry()
    require("owner", owner, [*registry.ingress_agencies().values(), *registry.partners, ROUTER_IDENTITY])
    rows = [_row(k) for k in _store().list_keys() if owner is None or k.owner == owner]
    if as_json:
        print_json(rows)
        return
    table = Table(title="Keys (ids only; private keys never leave the store)")
    for column in ("kind", "owner", "key id", "status", "created"):
        table.add_column(column)
    for row in rows:
        cells = [str(row[k]) for k in ("kind", "owner", "key_id", "status")]
        table.add_row(*cells, when(str(row["created"])))
    Console(highlight=False).print(table)
    if not rows:
        console.print("no keys yet: they are created on first use")
