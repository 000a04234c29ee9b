"""Every `pentameter bench` command, registered in this one place.

The product's root command looks this module up by name when the tooling tree is present (a
checkout with the dev install); a new benchmark or fault tool adds one line to :func:`register`.
"""

from __future__ import annotations

import typer

from bench.codec import codec_command
from bench.faults import bench_faults
from bench.policy import policy_command
from bench.publish import publish_command
from bench.report import report_command
from bench.route import bench_route
from bench.scale import scale_command
from bench.soak import soak_command
from clikit.group import command_group

HELP = "Benchmarks that print figures, run against the real broker."


def register(group: typer.Typer) -> None:
    """Mount each proving tool's command on the ``bench`` group."""
    group.command(name="publish")(publish_command)
    group.command(name="policy")(policy_command)
    group.command(name="route")(bench_route)
    group.command(name="codec")(codec_command)
    group.command(name="faults")(bench_faults)
    group.command(name="soak")(soak_command)
    group.command(name="scale")(scale_command)
    group.command(name="report")(report_command)


def bench_group() -> typer.Typer:
    """The ``bench`` group with every command mounted, for the root command to add."""
    group = command_group(help=HELP)
    register(group)
    return group
