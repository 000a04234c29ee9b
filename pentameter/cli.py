"""The `pentameter` command: one front door that mounts each package's own commands.

This module is the top of the dependency graph; it only wires sub-applications together.
"""

from __future__ import annotations

from importlib.metadata import version as installed_version

import typer

from clikit.group import CommandGroup, command_group
from consumers.analytics.cli import analytics_app
from consumers.audit_cli import audit_app
from consumers.audit_export import export as audit_export
from consumers.audit_export import verify_export_command
from consumers.cli import partner_app, router_app
from consumers.dlq_cli import dlq_app
from infra.cli import broker_app
from pentameter import demo
from pentameter.acls_cli import acls_app, creds_app
from pentameter.bench_codec import codec_command
from pentameter.bench_report import report_command
from pentameter.bench_route import bench_route
from pentameter.bench_scale import scale_command
from pentameter.bench_soak import soak_command
from pentameter.faults import bench_faults
from pentameter.keys_cli import keys_app
from pentameter.revoke import revoke_command
from pentameter.status import status
from pentameter.topics_cli import topics_app
from policies.bench import policy_command
from policies.cli import app as policy_app
from producers.cli import register as register_producers
from schemas.cli import app as schemas_app

app = typer.Typer(
    help=(
        "Pentameter: agencies publish schema-validated intelligence and victim-referral events to "
        "Kafka; a policy-enforcing router releases to each partner only what its data-sharing "
        "agreement allows. Environment: KAFKA_BOOTSTRAP_SERVERS (use an existing cluster), "
        "PENTAMETER_HOME (state directory, default .pentameter/), PENTAMETER_PRINCIPAL (connect to "
        "the secure cluster as this principal) with PENTAMETER_AUTH=scram|tls (password or client "
        "certificate), PENTAMETER_TOPIC_PREFIX (a namespace on a shared cluster)."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=CommandGroup,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"pentameter {installed_version('pentameter')}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
    ),
) -> None:
    """Mounts every sub-app; only --version is handled here."""


app.add_typer(broker_app, name="broker")
app.add_typer(schemas_app, name="schemas")
app.add_typer(policy_app, name="policy")
app.add_typer(router_app, name="router")
app.add_typer(partner_app, name="partner")
app.add_typer(audit_app, name="audit")
app.add_typer(analytics_app, name="analytics")
audit_app.command(name="export")(audit_export)
audit_app.command(name="verify-export")(verify_export_command)
app.add_typer(topics_app, name="topics")
app.add_typer(dlq_app, name="dlq")
app.add_typer(acls_app, name="acls")
app.add_typer(creds_app, name="creds")
app.add_typer(keys_app, name="keys")
partner_app.command(name="revoke")(revoke_command)
app.command(name="status")(status)
demo.register(app)
bench_app = command_group(help="Benchmarks that print figures, run against the real broker.")
app.add_typer(bench_app, name="bench")
register_producers(app, bench_app)
bench_app.command(name="policy")(policy_command)
bench_app.command(name="route")(bench_route)
bench_app.command(name="codec")(codec_command)
bench_app.command(name="faults")(bench_faults)
bench_app.command(name="soak")(soak_command)
bench_app.command(name="scale")(scale_command)
bench_app.command(name="report")(report_command)


def main() -> None:
    """Console-script entry point."""
    app()
