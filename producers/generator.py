"""Seeded scenario generator: one JSON Lines file per agency plus ``ground_truth.json``.

In process (a demo or a test)::

    from producers.generator import generate
    result = generate("pentameter2", seed=7, scale=0.1, bad_rows=5, out=Path("out/p2"))
    result.ground_truth["counts"]["victims"]        # what the files contain
    result.paths["police.metropolitan.jsonl"]        # written when out is given

From the shell: ``pentameter generate --scenario pentameter2 --seed 7 --scale 0.1 --bad-rows 5``.

The same scenario, seed, scale, bad-row count and launch day always give the same files, byte for
byte: every random choice comes from one ``random.Random`` seeded with a string, records are
written with a fixed key order, and nothing depends on the machine or hash randomisation. The
launch day defaults to one that ends the operation two weeks before today (so its records are
current: rule 12); pass ``launch`` to pin it.

``ground_truth.json`` holds:

* ``scenario``, ``seed``, ``scale``, ``operation`` (launch date, days, the forces note) and the
  published ``figures`` the scenario reproduces at scale 1;
* ``files``: per file, its agency, ingress topic, and rows, good and bad;
* ``counts``: counted from the good rows (see :func:`producers.truth.tally`): events by type,
  agency, force, region and ISO week; premises visits by type; victims (adults, children,
  youngest child, forced labour, nationality, consent); arrests; cash seized and restrained in
  pence; NRM referrals; Duty to Notify; NRM decisions by stage and outcome;
* ``networks``: the planted organised-crime networks (forces, raw phones, vehicles, premises);
* ``cross_force_links``: every phone, vehicle or premises mentioned in intelligence reports of two
  or more forces (raw values, not tokens), with forces, agencies and event ids; these are exactly
  the planted network entities;
* ``bad_rows``: each injected bad row's file, line (1-based), event id (null when the line is
  not JSON), event type, defect and the field its rejection must name (null for malformed JSON).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from producers import pentameter2
from producers.agencies import ingress_topic
from producers.badrows import BadRow, make_bad_rows
from producers.exceptions import ScenarioError
from producers.truth import cross_force_links, premises_value, tally

Record = dict[str, Any]
GROUND_TRUTH = "ground_truth.json"

Builder = Callable[[int, float, datetime], pentameter2.Scenario]
SCENARIOS: dict[str, Builder] = {"pentameter2": pentameter2.build}
"""Scenario name -> builder(seed, scale, launch)."""


def dumps(record: Record) -> str:
    """One JSON Lines row: compact, UTF-8, keys in the order the record was built."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Generated:
    """A generated scenario in memory: file name -> lines, and the ground truth."""

    scenario: str
    seed: int
    scale: float
    lines: dict[str, list[str]]
    ground_truth: dict[str, Any]
    paths: dict[str, Path] = field(default_factory=dict)
    """Where each file (and ground_truth.json) was written; empty until written."""

    def agency_of(self, file: str) -> str:
        agency: str = self.ground_truth["files"][file]["agency"]
        return agency

    def good_records(self, file: str) -> list[Record]:
        """The file's good rows, parsed (bad rows left out)."""
        bad = {row["line"] for row in self.ground_truth["bad_rows"] if row["file"] == file}
        return [json.loads(text) for number, text in enumerate(self.lines[file], 1) if number not in bad]

    def write(self, out: Path) -> dict[str, Path]:
        """Write every file and ground_truth.json under ``out`` (created if missing)."""
        out.mkdir(parents=True, exist_ok=True)
        for name, lines in self.lines.items():
            path = out / name
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            self.paths[name] = path
        truth = out / GROUND_TRUTH
        truth.write_text(json.dumps(self.ground_truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.paths[GROUND_TRUTH] = truth
        return self.paths


def generate(
    scenario: str = "pentameter2",
    *,
    seed: int = 0,
    scale: float = 1.0,
    bad_rows: int = 0,
    out: Path | None = None,
    launch: datetime | None = None,
) -> Generated:
    """Build a scenario; write it under ``out`` when given. See the module docstring for the shape."""
    build = SCENARIOS.get(scenario)
    if build is None:
        raise ScenarioError(f"unknown scenario {scenario!r} (known: {', '.join(sorted(SCENARIOS))})")
    if not 0.01 <= scale <= 5:
        raise ScenarioError(f"scale {scale} is out of range: use a value between 0.01 and 5")
    if bad_rows < 0:
        raise ScenarioError("--bad-rows cannot be negative")
    launch = launch or pentameter2.recent_launch()
    built = build(seed, scale, launch)
    files = {f"{agency}.jsonl": records for agency, records in sorted(built.records.items())}
    rng = random.Random(f"{scenario}:{seed}:bad-rows")
    bad = make_bad_rows(files, bad_rows, rng, dumps)
    lines, placed = _interleave(files, bad)
    good = [record for records in files.values() for record in records]
    links = cross_force_links(good)
    _check_planted(built.networks, links)
    truth = {
        "scenario": scenario,
        "seed": seed,
        "scale": scale,
        "operation": {
            "name": "Pentameter 2 (fictional reconstruction)",
            "launched": launch.date().isoformat(),
            "days": pentameter2.DAYS,
            "forces": "the 46 ForceArea symbols of the schema stand in for the 55 UK police forces",
        },
        "figures": asdict(pentameter2.FIGURES),
        "files": {
            name: {
                "agency": name.removesuffix(".jsonl"),
                "topic": ingress_topic(name.removesuffix(".jsonl")),
                "rows": len(lines[name]),
                "good": len(files[name]),
                "bad": sum(1 for row in placed if row["file"] == name),
            }
            for name in files
        },
        "counts": tally(good),
        "networks": [_network(n) for n in built.networks],
        "cross_force_links": links,
        "bad_rows": placed,
    }
    result = Generated(scenario, seed, scale, lines, truth)
    if out is not None:
        result.write(out)
    return result


def _interleave(
    files: dict[str, list[Record]], bad: list[BadRow]
) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
    """Write good rows in order with each bad row inserted at its position; number the lines."""
    lines: dict[str, list[str]] = {}
    placed: list[dict[str, Any]] = []
    for name, records in files.items():
        inserts: dict[int, list[BadRow]] = {}
        for row in bad:
            if row.file == name:
                inserts.setdefault(row.position, []).append(row)
        out: list[str] = []
        for index in range(len(records) + 1):
            for row in inserts.get(index, []):
                out.append(row.line_text)
                placed.append(
                    {
                        "file": name,
                        "line": len(out),
                        "event_id": row.event_id,
                        "event_type": row.event_type,
                        "defect": row.defect,
                        "field": row.field,
                    }
                )
            if index < len(records):
                out.append(dumps(records[index]))
        lines[name] = out
    placed.sort(key=lambda r: (r["file"], r["line"]))
    return lines, placed


def _network(network: pentameter2.Network) -> dict[str, Any]:
    return {
        "id": network.id,
        "forces": sorted(network.forces),
        "members": len(network.members),
        "phones": sorted(network.phones),
        "vehicles": sorted(v[0] for v in network.vehicles),
        "premises": sorted(premises_value(p) for p in network.premises),
    }


def _check_planted(networks: list[pentameter2.Network], links: list[dict[str, Any]]) -> None:
    """The links found must be exactly the planted ones; anything else is a generator bug."""
    planted = {("phone", p) for n in networks for p in n.phones}
    planted |= {("vehicle", v[0]) for n in networks for v in n.vehicles}
    planted |= {("premises", premises_value(p)) for n in networks for p in n.premises}
    found = {(link["kind"], link["value"]) for link in links}
    if planted != found:
        raise ScenarioError(
            f"cross-force links differ from the planted ones: missing {sorted(planted - found)[:3]}, "
            f"unplanned {sorted(found - planted)[:3]}"
        )
