"""`pentameter bench report`: run every benchmark, the fault suite and the fuzz suite once, and write
what they measured to ``docs/benchmarks.md`` and ``docs/reliability.md``.

The documents are generated, never edited by hand: each figure in them comes from the run that
wrote them, next to the machine it ran on, the method, the target it is held to, and the exact
command that reproduces it. Durations are configurable so a test can run the whole report in a
tiny configuration; the defaults take about ten minutes on a 2-core machine.

The fault suite (:mod:`bench.faults`) and the fuzz runner (:mod:`bench.fuzzing`, which
needs the development dependency hypothesis) are imported only when the report runs.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import re
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import confluent_kafka
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench import publish as publish_bench
from bench.policy import bench_policy
from bench.route import run_route_bench
from bench.scale import run_scale, scale_rows
from bench.soak import run_soak, soak_rows
from infra.broker.jars import KAFKA_VERSION
from infra.connection import bootstrap_servers
from infra.settings import PROJECT_ROOT

PUBLISH_TARGET = publish_bench.TARGET_RATE
POLICY_TARGET = 100_000
"""Record x partner decisions per second per core."""
ROUTE_TARGET = 50_000
"""Events per second into the router."""
ROUTE_RATIO_TARGET = 0.5
"""Router throughput over a bare transactional pass-through."""
SOAK_GROWTH_LIMIT = 1.0
"""MiB per minute: more than this over a soak is treated as a leak."""
SCALE_RATIO_TARGET = 1.5
"""Two workers over one: what a second process should buy with cores to spare."""
DOCS = PROJECT_ROOT / "docs"


@dataclass(frozen=True)
class ReportConfig:
    """How long each part runs. The defaults are the committed report's; tests shrink them."""

    publish_events: int = 20_000
    policy_seconds: float = 3.0
    route_events: int = 20_000
    route_rate: int = 500
    route_latency_seconds: float = 10.0
    scale_events: int = 12_000
    soak_minutes: float = 3.0
    soak_rate: int = 200
    faults: bool = True
    fault_events: int = 0
    """Events per fault (0: the fault suite's own default)."""
    fuzz_seed: int = 20261124
    fuzz_examples: int = 500

    def options(self) -> list[str]:
        """The command-line options that reproduce this configuration."""
        defaults = ReportConfig()
        out = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == getattr(defaults, f.name):
                continue
            flag = "--" + f.name.replace("_", "-")
            if isinstance(value, bool):
                out.append(flag if value else "--no-" + f.name.replace("_", "-"))
            else:
                out += [flag, str(value)]
        return out


@dataclass
class ReportResults:
    """Everything one report run measured."""

    config: ReportConfig
    machine: dict[str, Any]
    started: str
    seconds: dict[str, float] = field(default_factory=dict)
    publish: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    route: dict[str, Any] = field(default_factory=dict)
    scale: dict[str, Any] = field(default_factory=dict)
    soak: dict[str, Any] = field(default_factory=dict)
    faults: list[dict[str, Any]] | None = None
    faults_missing: str | None = None
    """Why the fault suite did not run (None when it ran)."""
    fuzz: list[dict[str, Any]] = field(default_factory=list)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


# -- the machine ---------------------------------------------------------------------------------


def _first(path: str, pattern: str) -> str | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else "java"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    first = (out.stderr or out.stdout).strip().splitlines()
    return first[0] if first else "unknown"


def machine_facts() -> dict[str, Any]:
    """Cores, CPU model, memory, load, Python, Java, Kafka: what the figures depend on."""
    mem_kb = _first("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    return {
        "cores": os.cpu_count(),
        "cpu": _first("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.processor() or "unknown",
        "ram_gib": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb else None,
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "java": _java(),
        "kafka": KAFKA_VERSION,
        "confluent_kafka": str(confluent_kafka.__version__),
        "librdkafka": confluent_kafka.libversion()[0],
        "load_before": tuple(round(x, 2) for x in os.getloadavg()),
    }


# -- running -------------------------------------------------------------------------------------


def run_report(
    bootstrap: str, config: ReportConfig, on_step: Callable[[str], None] | None = None
) -> ReportResults:
    """Run every part in turn; ``on_step`` hears each part's name as it starts and progress lines."""
    say = on_step or (lambda _: None)
    results = ReportResults(config, machine_facts(), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    def timed(name: str, body: Callable[[], Any]) -> Any:
        say(name)
        started = time.perf_counter()
        value = body()
        results.seconds[name] = round(time.perf_counter() - started, 1)
        return value

    results.publish = timed(
        "publish", lambda: publish_bench.run(bootstrap, events=config.publish_events).to_json()
    )
    results.policy = timed("policy", lambda: bench_policy(config.policy_seconds))
    results.route = timed(
        "route",
        lambda: run_route_bench(
            bootstrap, config.route_events, config.route_rate, config.route_latency_seconds
        ),
    )
    results.scale = timed(
        "scale", lambda: run_scale(bootstrap, config.scale_events, lambda text: say(f"scale: {text}"))
    )
    results.soak = timed(
        "soak",
        lambda: run_soak(
            bootstrap,
            config.soak_minutes,
            config.soak_rate,
            on_progress=lambda done, text: say(f"soak: {done:.0%} {text}"),
        ),
    )
    if config.faults:
        results.faults, results.faults_missing = timed("faults", lambda: _faults(config, say))
    else:
        results.faults_missing = "not run in this configuration (--no-faults)"
    results.fuzz = timed("fuzz", lambda: _fuzz(config, say))
    results.load_after = tuple(round(x, 2) for x in os.getloadavg())  # type: ignore[assignment]
    return results


def _faults(
    config: ReportConfig, say: Callable[[str], None]
) -> tuple[list[dict[str, Any]] | None, str | None]:
    try:
        from bench import faults
    except ImportError as exc:
        return None, f"the fault suite (bench/faults.py) is not available: {exc}"
    with tempfile.TemporaryDirectory(prefix="pentameter-faults-") as tmp:
        kwargs: dict[str, Any] = {"on_progress": lambda text: say(f"faults: {text}")}
        if config.fault_events:
            kwargs["events"] = config.fault_events
        try:
            found = faults.run_fault_suite(Path(tmp), faults.FAULTS, **kwargs)
        except Exception as exc:  # the other figures are still worth writing down
            return None, f"the fault suite stopped with {type(exc).__name__}: {exc}"
    return [_plain(r) for r in found], None


def _plain(result: object) -> dict[str, Any]:
    names = (
        "fault",
        "sent",
        "acked",
        "delivered",
        "lost",
        "duplicated",
        "out_of_order",
        "unexplained",
        "seconds",
    )
    return {name: getattr(result, name) for name in names}


def _fuzz(config: ReportConfig, say: Callable[[str], None]) -> list[dict[str, Any]]:
    from bench.fuzzing import run_fuzz

    rows = run_fuzz(config.fuzz_seed, config.fuzz_examples, on_progress=lambda t: say(f"fuzz: {t} done"))
    return [row.to_json() for row in rows]


# -- writing -------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def _command(*args: str) -> str:
    return ".venv/bin/pentameter " + " ".join(shlex.quote(a) for a in args)


def _machine_section(r: ReportResults) -> str:
    m = r.machine
    rows = [
        ("cores", m["cores"]),
        ("CPU", m["cpu"]),
        ("RAM", f"{m['ram_gib']} GiB"),
        ("OS", m["os"]),
        ("Python", m["python"]),
        ("Java", m["java"]),
        ("Kafka (broker jars)", m["kafka"]),
        ("confluent-kafka / librdkafka", f"{m['confluent_kafka']} / {m['librdkafka']}"),
        ("load average before / after (1, 5, 15 min)", f"{m['load_before']} / {r.load_after}"),
    ]
    return (
        f"Generated by `{_report_command(r.config)}` on {r.started}; "
        f"the parts took {sum(r.seconds.values()):.0f} s in all.\n\n"
        + _table(("machine", ""), rows)
        + "\n\nThe broker is the local single-node KRaft broker (`pentameter broker up`) on the same "
        "machine, so it competes with the benchmark for the same cores; the load average shows "
        "whether anything else did too (other test runs share this machine)."
    )


def _report_command(config: ReportConfig) -> str:
    return _command("bench", "report", *config.options())


def benchmarks_markdown(r: ReportResults) -> str:
    """docs/benchmarks.md: throughput and latency figures, targets, method, how to reproduce."""
    c, pub, pol, route, scale, soak = r.config, r.publish, r.policy, r.route, r.scale, r.soak
    e2e = pub["end_to_end"]
    late = soak["rss_growth_second_half_mib_per_minute"]
    raw, routed, lat = route["pass_through"], route["router"], route["latency"]
    targets = [
        (
            "publish (events/s, one core)",
            f"{e2e['events_per_second']:,.0f}",
            f"{PUBLISH_TARGET:,}",
            _verdict(e2e["events_per_second"] >= PUBLISH_TARGET),
        ),
        (
            "policy (decisions/s, one core)",
            f"{pol['decisions_per_second']:,}",
            f"{POLICY_TARGET:,}",
            _verdict(pol["decisions_per_second"] >= POLICY_TARGET),
        ),
        (
            "route (events/s in)",
            f"{routed['events_per_second']:,.0f}",
            f"{ROUTE_TARGET:,}",
            _verdict(routed["events_per_second"] >= ROUTE_TARGET),
        ),
        (
            "route / pass-through",
            f"{route['router_vs_pass_through']:.2f}",
            f"{ROUTE_RATIO_TARGET}",
            _verdict(route["router_vs_pass_through"] >= ROUTE_RATIO_TARGET),
        ),
        (
            "scale (two workers / one)",
            f"{scale['ratio']:.2f}",
            f"{SCALE_RATIO_TARGET}",
            _verdict(scale["ratio"] >= SCALE_RATIO_TARGET),
        ),
        (
            "soak (router RSS growth in the second half, MiB/min)",
            f"{late:+.2f}",
            f"< {SOAK_GROWTH_LIMIT}",
            _verdict(late < SOAK_GROWTH_LIMIT),
        ),
    ]
    stages = [
        (
            name,
            f"{s['events']:,}",
            f"{s['events_per_second']:,.0f}",
            f"{s['microseconds_per_event']:.1f}",
            f"{s['share']:.0%}",
        )
        for name, s in pub["stages"].items()
    ]
    route_rows = [
        ("events/s in", f"{raw['events_per_second']:,.0f}", f"{routed['events_per_second']:,.0f}"),
        ("records/s out", f"{raw['records_per_second']:,.0f}", f"{routed['records_per_second']:,.0f}"),
        ("events", f"{raw['events']:,}", f"{routed['events']:,}"),
        ("records out", f"{raw['records_out']:,}", f"{routed['records_out']:,}"),
        ("transactions", f"{raw['transactions']:,}", f"{routed['transactions']:,}"),
        (
            "lost / dead letters / aborts",
            "",
            f"{routed['lost']} / {routed['dead_letters']} / {routed['aborts']}",
        ),
    ]
    stage_rows = [(stage, f"{us:,.1f}") for stage, us in route["router_stages_us_per_event"].items()]
    latency_rows = [
        ("publish rate asked / achieved", f"{lat['rate']:,} / {lat['achieved_rate']:,.0f} events/s"),
        ("events timed to " + lat["partner"], f"{lat['samples']:,} of {lat['expected']:,}"),
        (
            "p50 / p95 / p99 / max",
            f"{lat['p50_ms']:.1f} / {lat['p95_ms']:.1f} / {lat['p99_ms']:.1f} / {lat['max_ms']:.1f} ms",
        ),
        (
            "router mean batch / transaction",
            f"{lat['router_mean_batch_events']} events / {lat['router_mean_transaction_ms']} ms",
        ),
        ("backlog drained after the last publish", f"{lat['drain_seconds']:.2f} s"),
    ]
    reproduce = [
        ("publish", _command("bench", "publish", "--events", str(c.publish_events))),
        ("policy", _command("bench", "policy", "--seconds", str(c.policy_seconds))),
        (
            "route",
            _command(
                "bench",
                "route",
                "--events",
                str(c.route_events),
                "--rate",
                str(c.route_rate),
                "--latency-seconds",
                str(c.route_latency_seconds),
            ),
        ),
        ("scale", _command("bench", "scale", "--events", str(c.scale_events))),
        ("soak", _command("bench", "soak", "--minutes", str(c.soak_minutes), "--rate", str(c.soak_rate))),
        ("this whole report", _report_command(c)),
    ]
    parts = [
        "# Benchmarks",
        "",
        "Generated by `pentameter bench report`; do not edit by hand (run it again instead).",
        "",
        "## Machine",
        "",
        _machine_section(r),
        "",
        "## Targets",
        "",
        _table(("benchmark", "measured", "target", ""), targets),
        "",
        "The publish, policy and route targets are the project's; the scale and soak criteria are "
        "this report's (a second worker should add at least half a worker's throughput when it has "
        "a core of its own; memory should not grow by a mebibyte a minute once the run has warmed up).",
        "",
        f"## Publish: validate, sign, encode, produce ({pub['event_type']})",
        "",
        f"One thread publishes {e2e['events']:,} of the generator's intelligence reports (mean "
        f"{pub['mean_value_bytes']:.0f} bytes encoded) through `AgencyPublisher` to a topic made for "
        f"the run, in signed batches of {pub['batch_size']}. Each stage is first timed alone over the "
        "same records, so the shares show where the time goes.",
        "",
        _table(("stage", "events", "events/s", "µs/event", "share"), stages),
        "",
        f"End to end: **{e2e['events_per_second']:,.0f} events/s** ({e2e['microseconds_per_event']:.1f} "
        f"µs/event, {e2e['thread_cpu_seconds']} s CPU of the publishing thread); the broker "
        f"acknowledged at {pub['broker_acknowledged']['events_per_second']:,.0f} events/s "
        "(`acks=all`, idempotent).",
        "",
        "## Policy: agreements applied per core",
        "",
        f"The baseline agreements ({pol['partners']} partners, {pol['plans']} compiled plans) route a "
        f"varied workload of valid example records on one thread for {pol['seconds']} s "
        f"({pol['cpu_seconds']} s CPU): **{pol['events_per_second']:,} events/s**, "
        f"**{pol['decisions_per_second']:,} record x partner decisions/s**, "
        f"{pol['projections_per_second']:,} projections/s ({pol['deliveries_per_event']} deliveries per "
        "event). Rates are per CPU second of the routing thread.",
        "",
        "## Route: the router against a bare transactional pass-through",
        "",
        f"{route['events']:,} events from {route['workload']['agencies']} agencies "
        f"({route['workload']['distinct_records']} distinct generator records, cycled with fresh ids; "
        f"fan-out {route['fan_out']:.2f} partner records per event) are published and signed first, "
        "then read by (a) a consume-transform-produce loop with the router's batching and "
        "transactions that copies bytes without decoding, policy, signing or audit, and (b) the real "
        "router (provenance checked, baseline agreements, audit ledger, one transaction per batch).",
        "",
        _table(("", "pass-through (a)", "router (b)"), route_rows),
        "",
        f"Where the router's CPU went ({route['router_stage_samples']:,} samples of its thread at each "
        "millisecond of process CPU; `bench.stages`):",
        "",
        _table(("stage", "CPU µs per event"), stage_rows),
        "",
        f"Router / pass-through: **{route['router_vs_pass_through']:.1%}**. Latency: the router runs "
        f"while the agencies publish at a fixed rate for {lat['seconds']} s; a read_committed partner "
        "consumer times each event from the publish call to its arrival (same process, same clock).",
        "",
        _table(("latency", ""), latency_rows),
        "",
        "## Scale: one router process against two",
        "",
        f"The same {scale['events']:,} events, published once every worker holds partitions (159 "
        "ingress partitions: 53 agencies x 3), routed by one `pentameter router run` process and then "
        "by two (`--worker 0` and `--worker 1`, one consumer group). Throughput is events over the "
        "time from the first publish to the last audit record the routers committed.",
        "",
        _table(("", "1 worker", "2 workers"), scale_rows(scale)),
        "",
        "Both workers, the publisher and the broker share this machine's cores, so the ratio is what "
        "a second process buys here; on a machine with a core per worker (and the broker elsewhere) "
        "it would be closer to the number of workers, since workers share nothing but the broker.",
        "",
        "## Soak: the router for minutes at a steady rate",
        "",
        f"A router process routes events published at {soak['rate']:,}/s for {soak['minutes']} min; "
        f"its resident memory is read from /proc every {soak['sample_seconds']} s.",
        "",
        _table(("figure", "value"), soak_rows(soak)),
        "",
        "RSS samples (seconds, MiB): " + ", ".join(f"{t:g}: {m:g}" for t, m in soak["rss_samples"]),
        "",
        "## Reproduce",
        "",
        "Each part alone, with the figures above (a running broker is needed: `pentameter broker up`, or "
        "set `KAFKA_BOOTSTRAP_SERVERS`):",
        "",
        _table(("part", "command"), [(name, f"`{cmd}`") for name, cmd in reproduce]),
        "",
        "Every benchmark makes its own topics under a fresh prefix and deletes them afterwards; "
        "`--json` prints all figures of one part.",
        "",
        "Seconds per part in this run: " + ", ".join(f"{k} {v:g}" for k, v in r.seconds.items()),
        "",
    ]
    return "\n".join(parts)


def reliability_markdown(r: ReportResults) -> str:
    """docs/reliability.md: faults, fuzzing, and memory over time, with how to reproduce each."""
    c, soak = r.config, r.soak
    if r.faults is None:
        faults_text = f"The fault suite did not run: {r.faults_missing}."
    else:
        rows = [
            (
                f["fault"],
                f"{f['sent']:,}",
                f"{f['acked']:,}",
                f"{f['delivered']:,}",
                f["lost"],
                f["duplicated"],
                f["out_of_order"],
                f["unexplained"],
                f"{f['seconds']:.1f}",
            )
            for f in r.faults
        ]
        clean = all(f["lost"] == 0 and f["duplicated"] == 0 and f["unexplained"] == 0 for f in r.faults)
        faults_text = (
            "Each fault is injected on a private three-node cluster (RF 3, min ISR 2, `acks=all`) while "
            "agencies publish and router workers route; afterwards every acknowledged event is looked "
            "for on the partner topics it is entitled to.\n\n"
            + _table(
                (
                    "fault",
                    "sent",
                    "acked",
                    "delivered",
                    "lost",
                    "duplicated",
                    "out of order",
                    "unexplained",
                    "seconds",
                ),
                rows,
            )
            + f"\n\nTarget: nothing lost, duplicated or unexplained under any fault: {_verdict(clean)}."
        )
    fuzz_rows = [
        (
            f["target"],
            f"{f['inputs']:,}",
            f"{f['clear_errors']:,}",
            f"{f['dead_letters']:,}",
            f"{f['accepted']:,}",
            f["crashes"],
            f["unclear"],
        )
        for f in r.fuzz
    ]
    fuzz_clean = all(f["crashes"] == 0 and f["unclear"] == 0 for f in r.fuzz)
    outcomes = [
        (f["target"], ", ".join(f"{kind} {count:,}" for kind, count in f["outcomes"].items())) for f in r.fuzz
    ]
    samples = [s for f in r.fuzz for s in f["samples"]]
    late = soak["rss_growth_second_half_mib_per_minute"]
    growth_ok = late < SOAK_GROWTH_LIMIT
    fault_command = _command(
        "bench", "faults", *(["--events", str(c.fault_events)] if c.fault_events else [])
    )
    parts = [
        "# Reliability",
        "",
        "Generated by `pentameter bench report`; do not edit by hand (run it again instead).",
        "",
        "## Machine",
        "",
        _machine_section(r),
        "",
        "## Faults",
        "",
        faults_text,
        "",
        "## Bad input (fuzzing)",
        "",
        f"Every door of the pipeline gets hand-written adversarial inputs (huge fields, deep nesting, "
        "invalid UTF-8, wrong types, one event type's bytes under another's fingerprint, events "
        "replayed to another agency's topic or re-signed by another agency's or an untrusted key, "
        f"signatures over other bytes) plus {c.fuzz_examples:,} random inputs each drawn by hypothesis "
        f"from seed {c.fuzz_seed} (deterministic). Each input must end as a clear error (the target's "
        "documented error type, naming the file and line or the record and field), a dead letter with "
        "a reason from the closed list and the original bytes, or accepted, and accepted only when "
        "genuine (nothing a trusted key did not sign is admitted). A *crash* is any other exception; "
        "*unclear* is an error that names nothing, a dead letter without a reason, or a forgery "
        "accepted.",
        "",
        _table(
            ("target", "inputs", "clear errors", "dead letters", "accepted", "crashes", "unclear"), fuzz_rows
        ),
        "",
        f"Target: no crash and nothing unclear: {_verdict(fuzz_clean)}.",
        "",
        _table(("target", "how the inputs ended"), outcomes),
        "",
        ("Crashes and unclear outcomes found in this run:\n\n" + "\n".join(f"- `{s}`" for s in samples))
        if samples
        else "No crash and no unclear outcome in this run.",
        "",
        "Targets: `codec` is `schemas.wire.Codec.decode`; `provenance` is `schemas.provenance.Verifier`; "
        "`admission` is the router's whole decision on one raw ingress record "
        "(`consumers.decisions.Decider`: topic, provenance, decoding, domain rules, policy); "
        "`agreements` is `policies.agreements.load_agreements` on a mangled agreement file; `csv` and "
        "`jsonl` are the ingest adapters followed by what the publisher does (validation, then encoding); "
        "`records` is the same on JSON-form records.",
        "",
        "When the suite was written it found, and these were fixed: YAML with control characters, "
        "nesting deeper than the recursion limit or an impossible date (2024-02-30) crashed the "
        "agreement reader; an agreement date with a time crashed the date comparison; a list or "
        "mapping where a transform's normaliser name belongs crashed the parameter check; CSV and "
        "JSON Lines files with bytes that are not UTF-8, a cell past the csv module's field size limit, "
        "JSON nested too deeply or a 5,000-digit number crashed the adapters; a value too deep to "
        "print crashed the validation message; and a lone surrogate (JSON `\\ud800`) passed validation, "
        "then failed the publisher's encoding and stopped the whole ingest run. Each now ends as an "
        "error naming the file and line or "
        "the row and column (tests in `tests/fuzz/test_fuzz_regressions.py`).",
        "",
        "## Memory over time (soak)",
        "",
        f"Router process RSS over a {soak['minutes']} min soak at {soak['rate']:,} events/s: start "
        f"{soak['rss_start_mib']} MiB, end {soak['rss_end_mib']} MiB, peak {soak['rss_peak_mib']} MiB, "
        f"growth {soak['rss_growth_mib_per_minute']:+.2f} MiB/min over the whole run and {late:+.2f} "
        "MiB/min over its second half (least squares; the first minutes include caches and client "
        f"buffers filling); criterion for the second half < {SOAK_GROWTH_LIMIT} MiB/min: "
        f"{_verdict(growth_ok)}. Events read by the router: "
        f"{soak['router_consumed'] or 0:,} for {soak['published']:,} published (a batch read again after "
        "an aborted transaction counts again); the router kept up (every "
        f"event at the partner by 30 s after the last publish): {'yes' if soak['drained'] else 'no'}"
        + ("" if soak["drained"] else " (a backlog fills the clients' buffers, so memory then includes it)")
        + ". Details in benchmarks.md.",
        "",
        "## Reproduce",
        "",
        _table(
            ("part", "command"),
            [
                ("fault suite", f"`{fault_command}` (its tests: `make test-faults`)"),
                ("fuzz suite (tests, fewer examples)", "`.venv/bin/pytest tests/fuzz`"),
                (
                    "fuzz runner with this run's seed and size",
                    f"`.venv/bin/python -c 'from bench.fuzzing import run_fuzz; "
                    f"print(run_fuzz({c.fuzz_seed}, {c.fuzz_examples}))'`",
                ),
                (
                    "soak",
                    "`"
                    + _command("bench", "soak", "--minutes", str(c.soak_minutes), "--rate", str(c.soak_rate))
                    + "`",
                ),
                ("this whole report", f"`{_report_command(c)}`"),
            ],
        ),
        "",
    ]
    return "\n".join(parts)


def write_documents(results: ReportResults, out: Path) -> tuple[Path, Path]:
    """Write benchmarks.md and reliability.md into ``out`` (created if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    bench, reliability = out / "benchmarks.md", out / "reliability.md"
    bench.write_text(benchmarks_markdown(results), encoding="utf-8")
    reliability.write_text(reliability_markdown(results), encoding="utf-8")
    return bench, reliability


# -- command -------------------------------------------------------------------------------------

_STEPS = ("publish", "policy", "route", "scale", "soak", "faults", "fuzz")


def report_command(
    out: Path = typer.Option(DOCS, "--out", help="Directory for benchmarks.md and reliability.md."),
    publish_events: int = typer.Option(
        ReportConfig.publish_events, min=1, help="Events in the publish benchmark."
    ),
    policy_seconds: float = typer.Option(
        ReportConfig.policy_seconds, min=0.1, help="Seconds of policy routing."
    ),
    route_events: int = typer.Option(
        ReportConfig.route_events, min=1, help="Events the route benchmark routes."
    ),
    route_rate: int = typer.Option(ReportConfig.route_rate, min=1, help="Publish rate for route latency."),
    route_latency_seconds: float = typer.Option(
        ReportConfig.route_latency_seconds, min=0.1, help="Seconds of publishing for route latency."
    ),
    scale_events: int = typer.Option(
        ReportConfig.scale_events, min=100, help="Events per scale configuration."
    ),
    soak_minutes: float = typer.Option(ReportConfig.soak_minutes, min=0.1, help="Minutes of soak."),
    soak_rate: int = typer.Option(ReportConfig.soak_rate, min=1, help="Soak publish rate (events/s)."),
    faults: bool = typer.Option(
        True, "--faults/--no-faults", help="Run the fault suite (three-node cluster)."
    ),
    fault_events: int = typer.Option(0, min=0, help="Events per fault (0: the suite's default)."),
    fuzz_seed: int = typer.Option(ReportConfig.fuzz_seed, help="Seed of the fuzz runner."),
    fuzz_examples: int = typer.Option(
        ReportConfig.fuzz_examples, min=1, help="Random inputs per fuzz target."
    ),
) -> None:
    """Run the publish, policy, route, scale and soak benchmarks, the fault suite and the fuzz suite,
    and write docs/benchmarks.md and docs/reliability.md with the machine, the method, every figure,
    the targets met or missed, and the command that reproduces each.

    About ten minutes on a 2-core machine with the defaults; every duration is an option.
    """
    config = ReportConfig(
        publish_events,
        policy_seconds,
        route_events,
        route_rate,
        route_latency_seconds,
        scale_events,
        soak_minutes,
        soak_rate,
        faults,
        fault_events,
        fuzz_seed,
        fuzz_examples,
    )
    servers = bootstrap_servers()
    err = Console(stderr=True)
    with Progress(
        TextColumn("report"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        task = progress.add_task("starting", total=len(_STEPS))

        def step(text: str) -> None:
            if text in _STEPS:
                progress.update(task, completed=_STEPS.index(text), description=text)
            else:
                progress.update(task, description=text[:70])

        results = run_report(servers, config, step)
        progress.update(task, completed=len(_STEPS), description="writing")
    bench, reliability = write_documents(results, out)
    if results.faults_missing:
        err.print(f"[yellow]fault suite not included:[/] {results.faults_missing}")
    err.print(f"wrote {bench} and {reliability} in {sum(results.seconds.values()):.0f} s")
