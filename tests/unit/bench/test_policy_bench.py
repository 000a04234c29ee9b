"""The benchmark runs, and its workload is made of valid records."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from bench.commands import register
from bench.policy import bench_policy, policy_command, workload
from policies.registry import load_registry
from schemas.catalogue import load_catalogue
from schemas.validation import validate


def test_bench_reports_rates() -> None:
    figures = bench_policy(0.3)
    for key in (
        "events_per_second",
        "decisions_per_second",
        "projections_per_second",
        "deliveries_per_event",
    ):
        assert figures[key] > 0
    assert figures["partners"] == len(load_registry().partners)


def test_the_workload_is_valid() -> None:
    catalogue = load_catalogue()
    for event_type, record in workload(load_registry(), size=80, catalogue=catalogue):
        validate(record, event_type, catalogue=catalogue)


def test_the_command_mounts_on_a_bench_group() -> None:
    bench = typer.Typer()
    register(bench)
    bench.command(name="noop")(lambda: None)
    result = CliRunner().invoke(bench, ["policy", "--seconds", "0.2", "--json"])
    assert result.exit_code == 0, result.output
    assert "decisions_per_second" in result.output
    assert policy_command.__doc__ and "per second" in policy_command.__doc__
