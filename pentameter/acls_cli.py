"""`pentameter acls plan|apply` and `pentameter creds show`: who may do what on the secure cluster.

The ACLs are derived from the partner registry and the runtime (topic prefix, router group and
transactional ids), so they live here, above ``infra``:

- ``agency-<id>`` may WRITE and DESCRIBE its own ingress topic only, and READ the governance
  topic. Idempotent producing needs no cluster grant: since Kafka 3.0 WRITE on a topic is enough
  for ``InitProducerId`` without a transactional id (KIP-679).
- ``router`` may READ every ingress topic and its consumer group, WRITE every partner topic, the
  audit and the dead-letter topics, READ the audit topic (a worker taking over partitions rebuilds
  its window of routed events from it), WRITE and DESCRIBE its transactional ids (prefix
  ``<group>-worker-``), and READ and WRITE the governance topic (it publishes the catalogue).
- ``partner-<id>`` may READ its own topic only, with its own consumer group
  (``<prefix>pentameter-partner-<id>`` or a group starting ``<prefix>pentameter-partner-<id>-``),
  and READ the governance topic.
- the coordination cell's partner principal (``partner-ncc``) also runs the analytics worker:
  its group, internal topics and transactional ids (prefix ``<prefix>pentameter.analytics``) and
  WRITE on the links topic.
- every principal may use consumer groups starting ``pentameter-reader-<principal>-``: the
  whole-topic reader (``consumers/topic_reader.py``) commits nothing but needs a group id.
- a revoked partner (``pentameter partner revoke``) is granted nothing and gets no user, and the
  router may no longer WRITE its topic.
- ``operator`` and the brokers' ``broker`` are super users (server.properties), so have no ACLs.

``apply`` also creates the SCRAM credential of every principal that has none yet (the password is
generated into the secure broker's 0600 credential store) and removes every ACL on the cluster
that this derivation does not grant. With a topic prefix (``PENTAMETER_TOPIC_PREFIX``, several
deployments sharing one cluster) it removes only ACLs on resources named with that prefix, so
deployments do not remove each other's grants; the deployment without a prefix owns them all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console

from clikit.exits import ATTENTION
from clikit.group import command_group
from clikit.output import JSON_OPTION, print_json
from consumers.partner import partner_group
from consumers.runtime import Runtime, build_runtime
from consumers.topic_reader import reader_group_prefix
from infra.acls import Acl, AclPlan, actual_acls, apply_plan, diff, existing_scram_users, user
from infra.broker.local import LocalCluster
from infra.connection import principal_config
from infra.credentials import CredentialError
from infra.security import OPERATOR_PRINCIPAL, SUPER_USERS
from infra.settings import Settings, load_settings
from infra.topics import GOVERNANCE_TOPIC

EXIT_CHANGES_PENDING = ATTENTION
"""`acls plan` exit status when the cluster's ACLs differ from the registry's (as `git diff --exit-code`)."""
ROUTER_PRINCIPAL = "router"
ANALYTICS_PARTNER = "ncc"
ANALYTICS_APP = "pentameter.analytics"
ANALYTICS_LINKS_TOPIC = "pentameter.links"
"""The analytics worker's partner, app id and output topic (``consumers/analytics/app.py``; named
here rather than imported so ACLs do not pull in faust)."""


def agency_principal(agency: str) -> str:
    return f"agency-{agency}"


def partner_principal(partner: str) -> str:
    return f"partner-{partner}"


def principals(runtime: Runtime) -> list[str]:
    """Every client principal of the deployment (super users and revoked partners not included)."""
    agencies = sorted(agency_principal(a) for a in set(runtime.ingress_topics.values()))
    partners = sorted(partner_principal(p) for p in runtime.partner_topics if p not in runtime.revoked)
    return [*agencies, *partners, ROUTER_PRINCIPAL]


def _analytics(runtime: Runtime, who: str) -> set[Acl]:
    """The faust analytics worker's resources: its app id prefixes its group, internal topics
    (created by the worker) and transactional ids; it writes link alerts to the links topic."""
    app = runtime.topic(ANALYTICS_APP)
    acls = {Acl(user(who), "GROUP", "PREFIXED", app, "READ")}
    acls.update(
        Acl(user(who), "TOPIC", "PREFIXED", app, op) for op in ("CREATE", "READ", "WRITE", "DESCRIBE")
    )
    acls.update(Acl(user(who), "TRANSACTIONAL_ID", "PREFIXED", app, op) for op in ("WRITE", "DESCRIBE"))
    acls.update(_topic(who, runtime.topic(ANALYTICS_LINKS_TOPIC), "CREATE", "WRITE", "DESCRIBE"))
    return acls


def _topic(who: str, name: str, *operations: str) -> list[Acl]:
    return [Acl(user(who), "TOPIC", "LITERAL", name, op) for op in operations]


def desired_acls(runtime: Runtime) -> set[Acl]:
    """The ACLs of the deployment (see the module doc)."""
    governance = runtime.topic(GOVERNANCE_TOPIC)
    acls: set[Acl] = set()
    for topic, agency in runtime.ingress_topics.items():
        who = agency_principal(agency)
        acls.update(_topic(who, topic, "WRITE", "DESCRIBE"))
        acls.update(_topic(who, governance, "READ", "DESCRIBE"))
    for partner, topic in runtime.partner_topics.items():
        if partner in runtime.revoked:
            continue
        who = partner_principal(partner)
        group = partner_group(partner, runtime.settings.topic_prefix)
        acls.update(_topic(who, topic, "READ", "DESCRIBE"))
        acls.update(_topic(who, governance, "READ", "DESCRIBE"))
        acls.add(Acl(user(who), "GROUP", "LITERAL", group, "READ"))
        acls.add(Acl(user(who), "GROUP", "PREFIXED", f"{group}-", "READ"))
        if partner == ANALYTICS_PARTNER:
            acls.update(_analytics(runtime, who))
    settings = runtime.router_settings()
    router = ROUTER_PRINCIPAL
    for topic in runtime.ingress_topics:
        acls.update(_topic(router, topic, "READ", "DESCRIBE"))
    outputs = [*runtime.partner_topics.values(), settings.audit_topic, settings.dead_letter_topic]
    for topic in outputs:
        acls.update(_topic(router, topic, "WRITE", "DESCRIBE"))
    acls.update(_topic(router, settings.audit_topic, "READ"))  # a worker taking over rebuilds its window
    for partner in runtime.revoked:  # the router no longer writes there (DESCRIBE stays: topics as code)
        acls.discard(Acl(user(router), "TOPIC", "LITERAL", runtime.partner_topics[partner], "WRITE"))
    acls.update(_topic(router, governance, "READ", "WRITE", "DESCRIBE"))
    acls.add(Acl(user(router), "GROUP", "LITERAL", settings.group_id, "READ"))
    for op in ("WRITE", "DESCRIBE"):
        acls.add(Acl(user(router), "TRANSACTIONAL_ID", "PREFIXED", f"{settings.group_id}-worker-", op))
    for who in principals(runtime):
        acls.add(Acl(user(who), "GROUP", "PREFIXED", reader_group_prefix(who), "READ"))
    return acls


def operator_admin(settings: Settings) -> AdminClient:
    """An Admin client authenticated as the operator (a super user)."""
    return AdminClient({**principal_config(OPERATOR_PRINCIPAL, settings), "socket.timeout.ms": "10000"})


def managed(actual: Iterable[Acl], desired: set[Acl], prefix: str) -> set[Acl]:
    """The cluster's ACLs this deployment answers for: all of them without a topic prefix; with one,
    those on resources named with the prefix (another prefix's deployment answers for its own), and
    any it wants that exist already (shared ones such as reader groups)."""
    return {a for a in actual if not prefix or a.resource_name.startswith(prefix) or a in desired}


def compute_plan(runtime: Runtime, admin: AdminClient) -> AclPlan:
    """The difference between the derived ACLs (and SCRAM users) and the cluster's."""
    desired = desired_acls(runtime)
    actual = managed(actual_acls(admin), desired, runtime.settings.topic_prefix)
    return diff(desired, actual, principals(runtime), existing_scram_users(admin))


def plan_report(plan: AclPlan) -> dict[str, Any]:
    return {
        "create": [a.describe() for a in plan.create],
        "delete": [a.describe() for a in plan.delete],
        "new_users": list(plan.new_users),
    }


acls_app = command_group(
    help=(
        "ACLs of the secure cluster as code, derived from the partner registry: each agency writes "
        "only its ingress topic, each partner reads only its own topic, the router reads ingress "
        "and its audit ledger and writes partner, audit and dead-letter topics. Connects as the operator."
    ),
)
creds_app = command_group(help="Credentials of the secure cluster's principals.")
console = Console(stderr=True, highlight=False)


def _print_plan(plan: AclPlan) -> None:
    out = Console(highlight=False)
    for name in plan.new_users:
        out.print(f"[green]+ user[/] {name} (SCRAM-SHA-512 credential)")
    for acl in plan.create:
        out.print(f"[green]+ allow[/] {acl.describe()}")
    for acl in plan.delete:
        out.print(f"[red]- remove[/] {acl.describe()}")
    if plan.empty:
        out.print("no difference: the cluster's ACLs and users match the registry")


def _session() -> tuple[Runtime, AdminClient]:
    settings = load_settings()
    try:
        admin = operator_admin(settings)
    except CredentialError as exc:
        console.print(f"[red]error:[/] {exc}; has `pentameter broker up --secure` run?")
        raise typer.Exit(code=2) from exc
    return build_runtime(settings), admin


@acls_app.command()
def plan(as_json: bool = JSON_OPTION) -> None:
    """Show the ACLs and users to create and the ACLs to remove; exit 1 when there are any."""
    runtime, admin = _session()
    result = compute_plan(runtime, admin)
    if as_json:
        print_json(plan_report(result))
    else:
        _print_plan(result)
    if not result.empty:
        raise typer.Exit(code=EXIT_CHANGES_PENDING)


APPLY_SETTLE_SECONDS = 60.0
"""How long ``acls apply`` waits for the broker's view of ACLs and users to show what it applied:
the controller has committed them, the broker serving ``describe_acls`` may lag on a busy machine."""


def _settled_plan(runtime: Runtime, admin: AdminClient, timeout: float) -> AclPlan:
    """The plan once it is empty, or the last one seen when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    pause = 0.1
    while True:
        remaining = compute_plan(runtime, admin)
        if remaining.empty or time.monotonic() >= deadline:
            return remaining
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


@acls_app.command()
def apply(as_json: bool = JSON_OPTION) -> None:
    """Create missing users and ACLs and remove ACLs the registry does not grant; exit 1 when the
    cluster still differs afterwards."""
    runtime, admin = _session()
    result = compute_plan(runtime, admin)
    if not as_json:
        _print_plan(result)
    if not result.empty:
        store = LocalCluster(runtime.settings, secure=True).credentials
        passwords = store.ensure(*result.new_users) if result.new_users else {}
        apply_plan(admin, result, passwords)
    after = _settled_plan(runtime, admin, APPLY_SETTLE_SECONDS)
    if as_json:
        print_json({"applied": plan_report(result), "still_different": plan_report(after)})
    if not after.empty:
        console.print(f"[red]the cluster still differs {APPLY_SETTLE_SECONDS:.0f} s after apply:[/]")
        _print_plan(after)
        raise typer.Exit(code=ATTENTION)
    if as_json or result.empty:
        return
    console.print(
        f"applied: {len(result.new_users)} user(s), {len(result.create)} ACL(s) added, "
        f"{len(result.delete)} removed"
    )


@creds_app.command()
def show(
    principal: str = typer.Argument(..., help="e.g. agency-police.met, partner-sca, router"),
    tls: bool = typer.Option(
        False,
        "--tls",
        help=(
            "Mutual TLS instead of SCRAM: the TLS listeners and the paths of PRINCIPAL's client "
            "certificate (subject CN=PRINCIPAL, issued by the cluster CA on first use), key and CA."
        ),
    ),
) -> None:
    """Print the client settings (with the password, or with --tls the certificate paths) to
    connect as PRINCIPAL, as JSON. Same ACLs either way (``PENTAMETER_AUTH=tls`` picks TLS)."""
    settings = load_settings()
    store = LocalCluster(settings, secure=True).credentials
    try:
        runtime = build_runtime(settings)
        if principal in {partner_principal(p) for p in runtime.revoked}:
            raise CredentialError(f"{principal!r} was revoked: it has no credentials any more")
        if principal not in store.principals():
            known = set(principals(runtime)) | set(SUPER_USERS)
            if principal not in known:
                raise CredentialError(f"unknown principal {principal!r}")
            if not tls:
                store.ensure(principal)
                console.print(
                    f"note: new credential for {principal}; run `pentameter acls apply` to create it"
                )
        config = principal_config(principal, settings, tls=tls)
    except CredentialError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    typer.echo(json.dumps(config, indent=2))
