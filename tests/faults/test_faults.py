"""Faults on a private three-node cluster under a live pipeline: nothing acknowledged is lost,
duplicated or reordered, nothing unexplained reaches a partner, and each fault really happened.

One cluster serves the four faults (each in its own topic namespace); the router runs as a
subprocess so it can be killed. See ``bench/faults.py`` for how each fault is injected and
proven.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bench.faults import FAULTS, STALL_EXIT, FaultLab, FaultResult, FaultRun, fault_table
from consumers.router import REWIND_FAILED, STALLED_CONSUMER
from infra.ports import free_port_range
from pentameter.cli import app
from tests.support.orphans import claim

pytestmark = [pytest.mark.faults, pytest.mark.slow]
EVENTS = 600


@pytest.fixture(scope="module")
def results() -> Iterator[list[FaultResult]]:
    """Collects each fault's figures and prints the table once the module is done."""
    collected: list[FaultResult] = []
    yield collected
    if collected:
        Console(file=sys.stderr, width=120).print(fault_table(collected))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    started = time.monotonic()
    workdir = tmp_path_factory.mktemp("faults")
    claim(workdir)
    with FaultLab(
        workdir,
        base_port=free_port_range(6, first=29300),
        on_progress=lambda line: print(f"[{time.monotonic() - started:6.1f}s] {line}", file=sys.stderr),
    ) as running:
        yield running


def _run(lab: FaultLab, results: list[FaultResult], fault: str) -> FaultRun:
    run = lab.run(fault, EVENTS)
    results.append(run.result)
    result, why = run.result, f"{run.result} {dict(run.facts)}"
    assert result.sent == EVENTS and result.acked == EVENTS, why  # acks=all with min ISR 2 survives
    assert result.delivered == result.acked, why
    assert (result.lost, result.duplicated, result.out_of_order, result.unexplained) == (0, 0, 0, 0), why
    assert run.not_entitled == 0, why
    assert run.ledger_problems == (), run.ledger_problems
    assert not run.repeated, f"events or records on the ledger twice: {dict(run.repeated)}"
    assert run.ledger_decisions == EVENTS, f"one committed ledger decision per event, none twice: {why}"
    # a copy of an event the agency's producer wrote twice is refused as a dead letter, never a
    # second decision; every extra ingress record is such a copy, and nothing else is dead-lettered
    copies = run.ingress_records - EVENTS
    assert dict(run.ledger_dead_letters) == ({"duplicate_event": copies} if copies else {}), why
    assert run.happened, f"the fault did not happen as intended: {dict(run.facts)}"
    reasons = run.facts["router_exit_reasons"]
    assert len(reasons) == run.router_exits
    # a fatal producer error (e.g. INVALID_TXN_STATE on an abort after a whole-cluster restart) stops
    # the worker too: its restarted successor's init settles the transaction
    deliberate = (
        "fatal consumer error", "fatal transaction error", STALL_EXIT, STALLED_CONSUMER, REWIND_FAILED,
    )  # fmt: skip
    assert all(any(kind in reason for kind in deliberate) for reason in reasons), (
        "a router only ever stops by itself on a fatal consumer or transaction error, a stalled "
        f"transaction or a consumer reading nothing while input waits (restarted): {reasons}"
    )
    return run


def test_killing_the_leader_of_a_busy_ingress_partition_moves_leadership_and_loses_nothing(
    lab: FaultLab, results: list[FaultResult]
) -> None:
    run = _run(lab, results, "kill-leader")
    facts = run.facts
    assert facts["leader_after"] != facts["killed_node"], "leadership moved to a surviving node"
    assert facts["node_pid_after"] != facts["node_pid_before"], "the killed node was started again"
    # the router rides it out, except when librdkafka 2.16 blocks the offsets step on the group
    # coordinator it cached before the kill (librdkafka issues 5456 and 5511): then its offsets-step
    # stall exit stops it once and the supervisor restarts it, the batch uncommitted
    reasons = facts["router_exit_reasons"]
    assert run.router_exits <= 1 and len(facts["router_pids"]) == 1 + run.router_exits, reasons
    assert all(STALL_EXIT in reason for reason in reasons), reasons


def test_killing_the_router_mid_transaction_aborts_that_transaction_and_loses_nothing(
    lab: FaultLab, results: list[FaultResult]
) -> None:
    run = _run(lab, results, "kill-router")
    facts = run.facts
    assert facts["open_transaction_at_kill"], "the router was frozen with a transaction open, then killed"
    assert facts["router_pid_after"] != facts["router_pid_before"]
    assert facts["router_pids"] == [facts["router_pid_before"], facts["router_pid_after"]]
    assert facts["aborted_records"] > 0, "the open transaction's records were written, then aborted"
    assert run.router_exits == 0


def test_pausing_the_group_coordinator_past_the_session_timeout_loses_nothing(
    lab: FaultLab, results: list[FaultResult]
) -> None:
    run = _run(lab, results, "pause-broker")
    facts = run.facts
    assert facts["led_before"] > 0 and facts["led_while_paused"] == 0, "the controller fenced the node"
    assert facts["coordinator_while_paused"] != facts["paused_node"], "the group moved coordinator"
    assert facts["seconds_paused"] > 9.0, "paused past broker.session.timeout.ms"
    # deliberate stops only: a static member fenced by the stall, and the offsets step blocked on the
    # coordinator cached before the pause (librdkafka issues 5456 and 5511)
    assert run.router_exits <= 2, facts["router_exit_reasons"]


def test_restarting_the_whole_cluster_loses_nothing(lab: FaultLab, results: list[FaultResult]) -> None:
    run = _run(lab, results, "restart-cluster")
    facts = run.facts
    assert facts["all_down"], "every node was stopped at once"
    assert set(facts["pids_after"]).isdisjoint(facts["pids_before"]) and len(facts["pids_after"]) == 3
    # deliberate stops only: a static member fenced by the outage, a batch stuck past the stall limit,
    # a consumer reading nothing while input waits
    assert run.router_exits <= 3, run


def test_killing_two_brokers_at_once_stalls_writes_then_loses_nothing(
    lab: FaultLab, results: list[FaultResult]
) -> None:
    run = _run(lab, results, "kill-two-brokers")
    facts = run.facts
    assert len(facts["killed_nodes"]) == 2 and facts["seconds_down"] >= 20.0
    assert facts["acked_while_down"] == 0, "no write is acknowledged while two of three replicas are gone"
    assert set(facts["node_pids_after"]).isdisjoint(facts["node_pids_before"])
    assert run.router_exits <= 3, facts["router_exit_reasons"]


def test_pausing_the_active_controller_for_40_seconds_loses_nothing(
    lab: FaultLab, results: list[FaultResult]
) -> None:
    run = _run(lab, results, "pause-controller")
    facts = run.facts
    assert facts["controller_while_paused"] != facts["paused_controller"], "the quorum elected another leader"
    assert facts["seconds_paused"] >= 40.0
    assert run.router_exits <= 2, facts["router_exit_reasons"]


def test_every_fault_of_the_suite_is_covered_here() -> None:
    assert set(FAULTS) == {
        "kill-leader", "kill-router", "pause-broker", "restart-cluster",
        "kill-two-brokers", "pause-controller",
    }  # fmt: skip


def test_bench_faults_refuses_an_unknown_fault_before_starting_anything() -> None:
    outcome = CliRunner().invoke(app, ["bench", "faults", "--fault", "unplug-the-moon"])
    assert outcome.exit_code == 2
    assert "unknown fault" in outcome.output and "kill-leader" in outcome.output
