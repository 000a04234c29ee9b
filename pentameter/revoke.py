"""`pentameter partner revoke P --confirm`: end a partner's data sharing at once, on the secure cluster.

In this order, each step idempotent so a second call (or one after a failure) finishes the job:

1. P is added to the revocation list (``consumers/revocation.py``): routers deny P every event from
   then on (running ones within a second), and ``acls apply`` never grants P again;
2. every ACL naming ``partner-P``, its SCRAM credential and the router's WRITE on P's topic are
   deleted through the Admin API: the broker refuses P's next authentication and every request on
   its open connections, and no router can write to P's topic any more. P's mutual-TLS client
   certificate and key files are deleted too, but a copy of them would still pass the TLS
   handshake until it expires: Kafka checks no revocation list, so it is the deleted ACLs that
   shut such a certificate out (it maps to ``User:partner-P``, which is granted nothing);
3. P's private decryption keys are destroyed in the key store (crypto-shredding): records already
   delivered to P can no longer be decrypted with keys from this store. A partner that exported
   its private key, or kept a backup of it, is outside this guarantee;
4. a ``revocation`` entry, sealed, goes to the audit ledger on its own chain.
"""

from __future__ import annotations

import getpass
import time
from dataclasses import dataclass
from typing import Any

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console

from clikit.choices import require
from consumers.revocation import (
    TRANSACTIONAL_ID,
    WATCH_INTERVAL,
    RevocationStore,
    read_chain,
    record_revocation,
)
from consumers.runtime import ROUTER_IDENTITY, Runtime, build_runtime
from infra.acls import Acl, actual_acls, delete_acls, existing_scram_users, revoke_principal, user
from infra.broker.local import LocalCluster
from infra.connection import principal_config
from infra.credentials import CredentialError
from infra.keys import ENCRYPTION, KeyStore
from infra.security import OPERATOR_PRINCIPAL
from infra.settings import load_settings
from infra.topics import AUDIT_TOPIC
from pentameter.acls_cli import ROUTER_PRINCIPAL, operator_admin, partner_principal
from schemas.provenance import Signer

EXIT_NOT_CONFIRMED = 2
console = Console(stderr=True, highlight=False)


@dataclass(frozen=True)
class RevocationPlan:
    """What revoking a partner still has to do (empty when it is fully revoked)."""

    partner: str
    listed: bool
    acls: tuple[Acl, ...]  # the partner's own and the router's WRITE on its topic
    credential: bool
    certificate: bool  # P's client certificate or key files still exist
    keys: tuple[str, ...]
    ledger_entry: dict[str, Any] | None

    @property
    def done(self) -> bool:
        return (
            self.listed
            and not self.acls
            and not self.credential
            and not self.certificate
            and not self.keys
            and bool(self.ledger_entry)
        )


@dataclass(frozen=True)
class RevocationResult:
    """What one call did."""

    acls_removed: int
    credential_deleted: bool
    certificate_deleted: bool
    keys_destroyed: tuple[str, ...]
    entry: dict[str, Any]


def _partner_keys(keys: KeyStore, partner: str) -> tuple[str, ...]:
    return tuple(k.key_id for k in keys.list_keys() if k.kind == ENCRYPTION and k.owner == partner)


def _router_writes(runtime: Runtime, partner: str) -> Acl:
    topic = runtime.partner_topics[partner]
    return Acl(user(ROUTER_PRINCIPAL), "TOPIC", "LITERAL", topic, "WRITE")


def plan_revocation(runtime: Runtime, admin: AdminClient, partner: str) -> RevocationPlan:
    """Look at the list, the cluster, the key store and the ledger (changes nothing)."""
    principal = partner_principal(partner)
    chain = read_chain(runtime.client, runtime.topic(AUDIT_TOPIC))
    cluster = actual_acls(admin)
    files = LocalCluster(runtime.settings, secure=True).tls.client_files(principal)
    return RevocationPlan(
        partner,
        partner in RevocationStore.under(runtime.settings.home).partners(),
        tuple(
            sorted(
                a for a in cluster if a.principal == user(principal) or a == _router_writes(runtime, partner)
            )
        ),
        principal in existing_scram_users(admin),
        files.certificate.exists() or files.key.exists(),
        _partner_keys(runtime.keys, partner),
        chain.entries.get(partner),
    )


def revoke_partner(runtime: Runtime, admin: AdminClient, partner: str, by: str) -> RevocationResult:
    """Revoke ``partner`` (see the module doc); ``runtime.client`` must be the operator's."""
    at_ms = int(time.time() * 1000)
    store = RevocationStore.under(runtime.settings.home)
    if partner not in store.partners():
        store.add(partner, {"at": at_ms, "by": by})
        time.sleep(WATCH_INTERVAL)  # running routers stop encrypting to P before its keys go
    principal = partner_principal(partner)
    removed, deleted = revoke_principal(admin, principal)
    removed += delete_acls(admin, [_router_writes(runtime, partner)])
    cluster = LocalCluster(runtime.settings, secure=True)
    cluster.credentials.remove(principal)
    certificate = cluster.tls.remove_client(principal)
    destroyed = tuple(runtime.keys.destroy_partner_keys(partner))
    # What every call so far did, kept with the list, so a call finishing an interrupted revocation
    # still records all of it on the ledger.
    done = store.load()[partner]
    done["acls_removed"] = sorted({*done.get("acls_removed", []), *(a.describe() for a in removed)})
    done["credential_deleted"] = bool(done.get("credential_deleted")) or deleted
    done["certificate_deleted"] = bool(done.get("certificate_deleted")) or certificate
    done["keys_destroyed"] = sorted({*done.get("keys_destroyed", []), *destroyed})
    store.add(partner, done)
    signer = Signer(ROUTER_IDENTITY, runtime.keys.signing_key(ROUTER_IDENTITY))
    body = {
        "principal": principal,
        "by": done.get("by", by),
        "acls_removed": done["acls_removed"],
        "credential_deleted": done["credential_deleted"],
        "certificate_deleted": done["certificate_deleted"],
        "keys_destroyed": done["keys_destroyed"],
        "note": "keys destroyed in this key store; copies exported from it are not covered",
    }
    entry = record_revocation(
        runtime.client,
        runtime.topic(AUDIT_TOPIC),
        runtime.topic(TRANSACTIONAL_ID),
        signer,
        partner,
        body,
        int(done.get("at", at_ms)),
    )
    return RevocationResult(len(removed), deleted, certificate, destroyed, entry)


def _describe(plan: RevocationPlan) -> None:
    out = Console(highlight=False)
    if not plan.listed:
        out.print(f"[red]- deny[/] every event to {plan.partner} from now on (routers and acls apply)")
    for acl in plan.acls:
        out.print(f"[red]- remove[/] {acl.describe()}")
    if plan.credential:
        out.print(f"[red]- delete[/] SCRAM credential of {partner_principal(plan.partner)}")
    if plan.certificate:
        out.print(f"[red]- delete[/] TLS client certificate and key of {partner_principal(plan.partner)}")
    for key_id in plan.keys:
        out.print(f"[red]- destroy[/] private key {key_id} (records encrypted to it become unreadable)")
    if plan.ledger_entry is None:
        out.print(f"[green]+ ledger[/] revocation entry for {plan.partner}")


def revoke_command(
    partner: str = typer.Argument(..., help="Partner id from the registry, e.g. ngo.poppy."),
    confirm: bool = typer.Option(
        False, "--confirm", help="Do it. Without it, show what would be removed and destroyed."
    ),
) -> None:
    """Revoke PARTNER at once: its ACLs and credential, its decryption keys, and its deliveries.

    Irreversible: the partner's private keys in the key store are destroyed, so records it had
    received can no longer be decrypted with them (a key the partner exported is beyond reach).
    Recorded on the audit ledger. Run again to finish an interrupted revocation.
    """
    settings = load_settings()
    try:
        admin = operator_admin(settings)
        operator = principal_config(OPERATOR_PRINCIPAL, settings)
    except CredentialError as exc:
        console.print(f"[red]error:[/] {exc}; revocation works on the secure cluster (`broker up --secure`)")
        raise typer.Exit(code=2) from exc
    runtime = build_runtime(settings).as_principal(operator)
    require("partner", partner, runtime.engine.registry.partner_ids())
    try:
        plan = plan_revocation(runtime, admin, partner)
    except LookupError as exc:
        console.print(
            f"[red]error:[/] {exc}; create the deployment's topics first (`pentameter topics apply`)"
        )
        raise typer.Exit(code=2) from exc
    if plan.done:
        at = plan.ledger_entry.get("at") if plan.ledger_entry else None
        console.print(f"{partner} is already revoked (ledger entry at {at}); nothing left to do")
        return
    _describe(plan)
    if not confirm:
        console.print("[yellow]irreversible[/]: re-run with --confirm to revoke")
        raise typer.Exit(code=EXIT_NOT_CONFIRMED)
    result = revoke_partner(runtime, admin, partner, by=getpass.getuser())
    console.print(
        f"revoked {partner}: {result.acls_removed} ACL(s) removed, credential "
        f"{'deleted' if result.credential_deleted else 'already gone'}, TLS certificate "
        f"{'deleted' if result.certificate_deleted else 'none'}, "
        f"{len(result.keys_destroyed)} key(s) destroyed, ledger entry seq {result.entry.get('seq')} "
        f"on chain {result.entry.get('chain')}"
    )
