"""`pentameter policy` check / explain / diff / matrix, driven through typer's runner."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policies.cli import app
from schemas.samples import sample_json

runner = CliRunner(env={"COLUMNS": "400"})


def test_check_passes_on_the_baseline() -> None:
    result = runner.invoke(app, ["check", "--date", "2026-06-01", "--rails"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "isa.ncc" in result.output and "R2-source" in result.output


def test_check_fails_with_file_and_line(agreements_copy: Path) -> None:
    path = agreements_copy / "ncc.yaml"
    text = path.read_text().replace(
        "      people[].age: keep\n", "      people[].age: keep\n      people[].shoe: keep\n"
    )
    path.write_text(text)
    line = text[: text.index("people[].shoe")].count("\n") + 1
    result = runner.invoke(app, ["check", "--agreements", str(agreements_copy)])
    assert result.exit_code == 1
    assert (
        f"ncc.yaml:{line}: agreement isa.ncc v1: IntelligenceReport has no field 'people[].shoe'"
        in result.output
    )


def test_explain_shows_each_field_and_what_decided_it(tmp_path: Path) -> None:
    event = tmp_path / "encounter.json"
    record = sample_json("PotentialVictimEncounter")
    record["consent"] = "REFUSED"
    event.write_text(json.dumps(record))
    result = runner.invoke(app, ["explain", "--partner", "nca.ukhtc", str(event), "--date", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "DELIVERED" in result.output
    assert re.search(r"victim\.name\s.*released", result.output)
    assert "pseudonymise(name)" in result.output
    assert "current_address.postcode" in result.output and "R1-default-deny" in result.output
    assert "Elena Popescu" not in result.output


def test_explain_a_denial(tmp_path: Path) -> None:
    event = tmp_path / "arrest.json"
    event.write_text(json.dumps(sample_json("Arrest")))
    result = runner.invoke(app, ["explain", "-p", "ngo.poppy", str(event), "--date", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "DENIED" in result.output and "R1-default-deny" in result.output


def test_explain_refuses_an_invalid_event(tmp_path: Path) -> None:
    event = tmp_path / "bad.json"
    event.write_text(json.dumps({"envelope": {"event_type": "Arrest"}}))
    result = runner.invoke(app, ["explain", "-p", "ncc", str(event)])
    assert result.exit_code == 2


def _changed_copy(agreements_copy: Path, tmp_path: Path) -> Path:
    """A copy of the agreements as they were, while ``agreements_copy`` gets a new ncc version."""
    old = tmp_path / "old"
    shutil.copytree(agreements_copy, old)
    path = agreements_copy / "ncc.yaml"
    path.write_text(
        path.read_text()
        .replace("version: 1", "version: 2", 1)
        .replace("      narrative: scrub\n", "", 1)
        .replace(
            "      people[].age: keep\n", "      people[].age: {transform: generalise, to: age_band}\n", 1
        )
    )
    return old


def test_diff_shows_what_changes_for_each_partner(agreements_copy: Path, tmp_path: Path) -> None:
    old = _changed_copy(agreements_copy, tmp_path)
    result = runner.invoke(app, ["diff", str(old), str(agreements_copy), "--date", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "ncc" in result.output
    assert "~ isa.ncc version: 1 -> 2" in result.output
    assert "- IntelligenceReport narrative: scrub" in result.output
    assert "~ IntelligenceReport people[].age: keep -> generalise(age_band)" in result.output
    assert "police.gloucestershire" not in result.output


def test_matrix_table_and_csv(tmp_path: Path) -> None:
    out = tmp_path / "matrix.csv"
    result = runner.invoke(
        app, ["matrix", "--event", "DutyToNotify", "--csv", str(out), "--date", "2026-06-01"]
    )
    assert result.exit_code == 0, result.output
    assert "DutyToNotify" in result.output and "age_band" in result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {(r["partner"], r["field"]): r for r in rows}
    assert by_key[("sca", "envelope.occurred_at")]["how"] == "generalise"
    assert by_key[("ngo.poppy", "age_band")]["released"] == "False"
    assert by_key[("ncc", "envelope.case_id")]["rule"] == "R1-default-deny"


@pytest.mark.parametrize("command", ["check", "explain", "diff", "matrix"])
def test_every_command_explains_itself(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    body = result.output.split("Usage:", 1)[1]
    assert len([w for w in body.split() if w.isalpha()]) > 15


def test_diff_exit_code_says_whether_anything_changed(agreements_copy: Path, tmp_path: Path) -> None:
    same = runner.invoke(app, ["diff", str(agreements_copy), str(agreements_copy), "--exit-code"])
    assert same.exit_code == 0, same.output
    old = _changed_copy(agreements_copy, tmp_path)
    args = ["diff", str(old), str(agreements_copy), "--date", "2026-06-01"]
    assert runner.invoke(app, args).exit_code == 0  # without --exit-code a diff is not a failure
    changed = runner.invoke(app, [*args, "--exit-code", "--json"])
    assert changed.exit_code == 1
    document = json.loads(changed.output)
    assert list(document) == ["ncc"]
    assert {"partner": "ncc", "event_type": "IntelligenceReport", "field": "narrative", "kind": "removed",
            "old": "scrub", "new": None} in document["ncc"]  # fmt: skip


@pytest.mark.parametrize(
    ("option", "given", "message"),
    [
        ("--event", "NoSuchEvent", "unknown event type 'NoSuchEvent'; known: Arrest, AssetSeizure,"),
        ("--event", "IntelligenceReprot", "(did you mean 'IntelligenceReport'?)"),
        ("--partner", "no.such", "unknown partner 'no.such'; known: border.intel, hmrc,"),
        ("--partner", "nca.ukhct", "unknown partner 'nca.ukhct' (did you mean 'nca.ukhtc'?)"),
    ],
)
def test_matrix_refuses_an_unknown_name_in_one_line(option: str, given: str, message: str) -> None:
    result = runner.invoke(app, ["matrix", option, given])
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_matrix_json_has_every_cell() -> None:
    result = runner.invoke(app, ["matrix", "--event", "DutyToNotify", "--partner", "sca", "--json"])
    assert result.exit_code == 0, result.output
    cells = {c["field"]: c for c in json.loads(result.output)}
    assert cells["envelope.occurred_at"]["how"] == "generalise" and cells["envelope.occurred_at"][
        "code"
    ].startswith("G")


def test_explain_json_is_one_document(tmp_path: Path) -> None:
    event = tmp_path / "encounter.json"
    event.write_text(json.dumps(sample_json("PotentialVictimEncounter")))
    result = runner.invoke(app, ["explain", "-p", "nca.ukhtc", str(event), "--date", "2026-06-01", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["decision"] == "delivered" and document["agreement"]
    fates = {f["path"]: f["outcome"] for f in document["fields"]}
    assert fates["current_address.postcode"] == "withheld"
    assert "current_address" not in document["record"] or not document["record"]["current_address"]


def test_check_json_lists_the_agreements() -> None:
    result = runner.invoke(app, ["check", "--date", "2026-06-01", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["ok"] and document["day"] == "2026-06-01"
    assert any(a["id"] == "isa.ncc" and a["in_force"] for a in document["agreements"])
    assert document["guard_rails"] is None
