"""An operator's status check: one line saying whether the deployment needs attention.

    python examples/operator_status.py [--max-lag 1000]

Runs ``pentameter status --json`` (so it connects as every other client: ``KAFKA_BOOTSTRAP_SERVERS``,
``PENTAMETER_PRINCIPAL``, ``PENTAMETER_TOPIC_PREFIX``) and judges the report: every broker
reachable, no under-replicated partition, the router no more than ``--max-lag`` records behind its
ingress topics, no dead letter waiting, the audit ledger verified. Prints ``OK: ...`` and exits 0,
or ``ATTENTION: ...`` naming each problem and exits 1 (also when no broker answers), so a cron job
or a monitoring probe can run it as it is.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any


def status_report(timeout: float = 120.0) -> dict[str, Any]:
    """The deployment's status as ``pentameter status --json`` reports it."""
    done = subprocess.run(
        [sys.executable, "-m", "pentameter", "status", "--json"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"up": False, "error": (done.stderr.strip().splitlines() or ["no report"])[-1]}
    return report


def problems(report: dict[str, Any], max_lag: int) -> list[str]:
    """What needs an operator's attention in ``report``, one phrase each."""
    if not report.get("up"):
        return [f"no broker answers at {report.get('bootstrap', '?')} ({report.get('error', '')})"]
    found = [f"broker {b['id']} unreachable" for b in report["brokers"] if not b["reachable"]]
    if report["under_replicated"]:
        found.append(f"{len(report['under_replicated'])} under-replicated partition(s)")
    router = report["lag"][0] if report["lag"] else None
    if router is not None and router["lag"] > max_lag:
        found.append(f"router {router['lag']} record(s) behind (limit {max_lag})")
    dead = report["dead_letters"]
    if dead["depth"]:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(dead["by_reason"].items()))
        found.append(f"{dead['depth']} dead letter(s) waiting ({reasons})")
    ledger = report["ledger"]
    if ledger.get("verified") and not ledger.get("ok"):
        found.append(f"audit ledger does not verify ({ledger.get('problem_count', '?')} problem(s))")
    return found


def summary(report: dict[str, Any]) -> str:
    """The healthy deployment in a phrase."""
    router = report["lag"][0]["lag"] if report["lag"] else 0
    entries, agreements = report["ledger"].get("entries", 0), len(report["agreements"])
    return (
        f"{len(report['brokers'])} broker(s), router lag {router}, no dead letters, "
        f"ledger verified ({entries} entries), {agreements} agreement(s) in force"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-lag", type=int, default=1000, help="router records behind that are still fine")
    args = parser.parse_args()
    report = status_report()
    found = problems(report, args.max_lag)
    if found:
        print("ATTENTION: " + "; ".join(found))
        return 1
    print("OK: " + summary(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
