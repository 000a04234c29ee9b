"""The `pentameter` command: one front door that mounts each package's own commands.

This module is the top of the dependency graph; it only wires sub-applications together.
"""

from __future__ import annotations

import typer

from infra.cli import broker_app
from pentameter import demo

app = typer.Typer(
    help=(
        "Pentameter: agencies publish schema-validated intelligence and victim-referral events to "
        "Kafka; a policy-enforcing router releases to each partner only what its data-sharing "
        "agreement allows. Environment: KAFKA_BOOTSTRAP_SERVERS (use an existing cluster), "
        "PENTAMETER_HOME (state directory, default .pentameter/)."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(broker_app, name="broker")
demo.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
