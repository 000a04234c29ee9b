"""`pentameter bench report` in a tiny configuration: every part runs against the real broker and both
documents carry its figures, targets and the commands that reproduce them."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

import bench
from bench.faults import FaultResult
from bench.report import ReportConfig, run_report, write_documents

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TINY = ReportConfig(
    publish_events=300,
    policy_seconds=0.3,
    route_events=300,
    route_rate=100,
    route_latency_seconds=2.0,
    scale_events=600,
    soak_minutes=0.25,
    soak_rate=50,
    faults=True,
    fault_events=50,
    fuzz_seed=3,
    fuzz_examples=15,
)


def _stub_fault_suite(monkeypatch: pytest.MonkeyPatch, calls: list[dict[str, Any]]) -> None:
    """The fault suite needs a private three-node cluster; its API is stood in for here (its own
    tests run it for real), so the report's handling of its results is what is tested."""

    def run_fault_suite(workdir: Path, faults: tuple[str, ...], **options: Any) -> list[FaultResult]:
        calls.append({"workdir": workdir, "faults": faults, **options})
        return [FaultResult(f, 50, 50, 50, 0, 0, 0, 0, 1.5) for f in faults]

    stub = types.SimpleNamespace(FAULTS=("kill-leader", "pause-broker"), run_fault_suite=run_fault_suite)
    monkeypatch.setitem(sys.modules, "bench.faults", stub)
    monkeypatch.setattr(bench, "faults", stub)  # `from bench import faults` reads the package's attribute


def test_tiny_report_writes_both_documents_with_every_figure(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    _stub_fault_suite(monkeypatch, calls)
    steps: list[str] = []
    results = run_report(kafka_bootstrap, TINY, steps.append)
    bench_path, reliability_path = write_documents(results, tmp_path / "out")
    bench = bench_path.read_text(encoding="utf-8")
    reliability = reliability_path.read_text(encoding="utf-8")

    assert [s for s in steps if ":" not in s] == [
        "publish",
        "policy",
        "route",
        "scale",
        "soak",
        "faults",
        "fuzz",
    ]
    assert calls and calls[0]["events"] == 50 and calls[0]["faults"] == ("kill-leader", "pause-broker")
    assert results.faults_missing is None

    machine = results.machine
    for doc in (bench, reliability):
        assert f"| cores | {machine['cores']} |" in doc
        assert machine["cpu"] in doc and machine["kafka"] in doc and machine["python"] in doc
        assert "--publish-events 300" in doc and "--fuzz-examples 15" in doc  # reproduces this run

    e2e = results.publish["end_to_end"]
    assert e2e["events"] == 300 and f"{e2e['events_per_second']:,.0f} events/s" in bench
    assert f"{results.policy['decisions_per_second']:,} record x partner decisions/s" in bench
    routed = results.route["router"]
    assert routed["events"] == 300 and routed["lost"] == 0
    assert f"| events/s in | {results.route['pass_through']['events_per_second']:,.0f} |" in bench
    assert f"{results.route['router_vs_pass_through']:.1%}" in bench
    for stage, us in results.route["router_stages_us_per_event"].items():
        assert f"| {stage} | {us:,.1f} |" in bench
    latency = results.route["latency"]
    assert f"{latency['p50_ms']:.1f} / {latency['p95_ms']:.1f} / {latency['p99_ms']:.1f}" in bench
    scale = results.scale
    assert scale["one"]["consumed"] == scale["two"]["consumed"] == 600
    assert f"| two / one |  | {scale['ratio']:.2f}x |" in bench
    soak = results.soak
    assert soak["published"] > 0 and soak["drained"]
    assert f"{soak['rss_peak_mib']} MiB" in bench and f"peak {soak['rss_peak_mib']} MiB" in reliability
    assert f"{soak['rss_growth_mib_per_minute']:+.2f} MiB/min over the whole run" in reliability
    assert f"{soak['rss_growth_second_half_mib_per_minute']:+.2f}" in bench
    for heading in (
        "## Targets",
        "## Publish",
        "## Policy",
        "## Route",
        "## Scale",
        "## Soak",
        "## Reproduce",
    ):
        assert heading in bench
    assert bench.count(" met |") + bench.count("**missed** |") == 6
    assert "`.venv/bin/pentameter bench scale --events 600`" in bench

    assert "| kill-leader | 50 | 50 | 50 | 0 | 0 | 0 | 0 | 1.5 |" in reliability
    assert "nothing lost, duplicated or unexplained under any fault: met" in reliability
    assert "`.venv/bin/pentameter bench faults --events 50`" in reliability
    assert [row["target"] for row in results.fuzz] == [
        "codec", "provenance", "admission", "agreements", "csv", "jsonl", "records"
    ]  # fmt: skip
    for row in results.fuzz:
        assert row["crashes"] == 0 and row["unclear"] == 0
        assert f"| {row['target']} | {row['inputs']:,} | {row['clear_errors']:,} |" in reliability
    assert "No crash and no unclear outcome in this run." in reliability


def test_a_missing_fault_suite_is_said_in_the_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "bench.faults", None)  # import fails as if the file were absent
    monkeypatch.delattr(bench, "faults", raising=False)
    from bench.report import _faults

    found, missing = _faults(TINY, lambda _: None)
    assert found is None and missing is not None and "not available" in missing


def test_a_failing_fault_suite_is_said_in_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    def run_fault_suite(workdir: Path, faults: tuple[str, ...], **options: Any) -> list[FaultResult]:
        raise TimeoutError("timed out after 120s waiting for sync")

    stub = types.SimpleNamespace(FAULTS=("kill-leader",), run_fault_suite=run_fault_suite)
    monkeypatch.setitem(sys.modules, "bench.faults", stub)
    monkeypatch.setattr(bench, "faults", stub)  # `from bench import faults` reads the package's attribute
    from bench.report import _faults

    found, missing = _faults(TINY, lambda _: None)
    assert found is None
    assert missing == "the fault suite stopped with TimeoutError: timed out after 120s waiting for sync"
