"""The Pentameter 2 generator: the published figures at scale 1, valid rows, planted links,
known bad rows, and the same bytes for the same seed."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from producers.checks import check_event
from producers.generator import GROUND_TRUTH, Generated, generate
from producers.pentameter2 import DAYS, FIGURES
from producers.truth import tally
from schemas.codes import UK_POSTCODE


def test_scale_one_reproduces_the_published_figures(full_scenario: Generated) -> None:
    counts = full_scenario.ground_truth["counts"]
    assert counts["intelligence_reports"] == FIGURES.intelligence_reports == 6400
    visits = counts["premises_visits"]
    assert visits["total"] == 822
    assert visits["by_type"]["MASSAGE_PARLOUR_SAUNA"] == 157
    assert visits["by_type"]["RESIDENTIAL"] == 582
    victims = counts["victims"]
    assert (victims["total"], victims["adults"], victims["children"]) == (167, 154, 13)
    assert victims["youngest_child_age"] == 14
    assert (victims["forced_labour"], victims["forced_labour_children"]) == (5, 3)
    assert counts["arrests"] == 528
    assert 500_000_00 < counts["cash_pence"] < 510_000_00  # just over 500,000 pounds
    assert counts["restraint_pence"] >= 3_000_000_00  # several millions
    assert counts["by_event_type"]["PotentialVictimEncounter"] == 167


def test_referrals_follow_consent_and_children_never_get_a_duty_to_notify(full_scenario: Generated) -> None:
    counts = full_scenario.ground_truth["counts"]
    consent = counts["victims"]["consent"]
    assert counts["nrm_referrals"] == {
        "total": consent["GIVEN"] + 13,
        "adults": consent["GIVEN"],
        "children": 13,
    }
    assert counts["duty_to_notify"] == consent["REFUSED"]
    assert consent["NOT_REQUIRED_CHILD"] == 13
    decisions = counts["nrm_decisions"]
    reasonable = decisions["REASONABLE_GROUNDS:POSITIVE"] + decisions["REASONABLE_GROUNDS:NEGATIVE"]
    assert reasonable == counts["nrm_referrals"]["total"]


def test_every_force_and_partner_publishes(full_scenario: Generated) -> None:
    truth = full_scenario.ground_truth
    assert len(truth["counts"]["by_force"]) == 46
    files = truth["files"]
    for partner in (
        "nca.ukhtc",
        "border.intel",
        "hmrc",
        "ngo.poppy",
        "ngo.salvation_army",
        "la.gloucestershire_childrens",
        "sca",
    ):
        assert files[f"{partner}.jsonl"]["good"] > 0
    assert set(truth["counts"]["by_agency"]) == {f.removesuffix(".jsonl") for f in files}
    sca = {
        json.loads(line)["envelope"]["event_type"]
        for line in full_scenario.lines["sca.jsonl"]
        if line.startswith("{") and line.endswith("}")
    }
    assert sca <= {"NRMDecision", "Sighting"}


def test_counts_add_up(full_scenario: Generated) -> None:
    counts = full_scenario.ground_truth["counts"]
    for key in ("by_event_type", "by_agency", "by_force", "by_region", "by_week"):
        assert sum(counts[key].values()) == counts["events"], key
    weeks = list(counts["by_week"])
    launched = date.fromisoformat(full_scenario.ground_truth["operation"]["launched"])
    year, week, _ = launched.isocalendar()
    assert weeks[0] == f"{year}-W{week:02d}" and len(weeks) >= 26


def test_the_operation_ends_two_weeks_ago_unless_a_launch_day_is_given() -> None:
    recent = generate("pentameter2", seed=1, scale=0.05)
    launched = date.fromisoformat(recent.ground_truth["operation"]["launched"])
    assert launched == date.today() - timedelta(days=DAYS + 14)
    pinned = generate("pentameter2", seed=1, scale=0.05, launch=datetime(2007, 10, 3, tzinfo=UTC))
    assert pinned.ground_truth["operation"]["launched"] == "2007-10-03"
    again = generate("pentameter2", seed=1, scale=0.05, launch=datetime(2007, 10, 3, tzinfo=UTC))
    assert again.lines == pinned.lines


def test_every_good_row_is_valid_for_its_agency(full_scenario: Generated) -> None:
    problems: list[str] = []
    for name in full_scenario.lines:
        agency = full_scenario.agency_of(name)
        for record in full_scenario.good_records(name):
            _, issues = check_event(record, agency)
            problems.extend(f"{name}: {issue}" for issue in issues)
    assert problems == []


def test_planted_links_span_forces_and_are_the_only_shared_values(full_scenario: Generated) -> None:
    truth = full_scenario.ground_truth
    links = truth["cross_force_links"]
    assert links and all(len(link["forces"]) >= 2 for link in links)
    assert {link["kind"] for link in links} == {"phone", "vehicle", "premises"}
    planted = {
        (kind, value)
        for n in truth["networks"]
        for kind, values in (("phone", n["phones"]), ("vehicle", n["vehicles"]), ("premises", n["premises"]))
        for value in values
    }
    assert {(link["kind"], link["value"]) for link in links} == planted
    networks = truth["networks"]
    assert len(networks) == 12 and all(len(n["forces"]) >= 2 for n in networks)
    # the links are really in the records: each event id named mentions the value
    events = {
        r["envelope"]["event_id"]: r for name in full_scenario.lines for r in full_scenario.good_records(name)
    }
    for link in links:
        for event_id in link["event_ids"]:
            assert link["value"].split(",")[0] in json.dumps(events[event_id]), link


DRAMA = re.compile(
    r"^\+44(7700900|1632960|2079460|2896496|2920180|1[1-9]1496[0-9]|1[1-9]{2}4960|1914980)\d{3}$"
)
"""Ofcom's ranges for drama (mobile 07700 900, no area 01632 960, and the city ranges)."""


def _values(node: object, key: str) -> list[object]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == key] + [x for v in node.values() for x in _values(v, key)]
    if isinstance(node, list):
        return [x for v in node for x in _values(v, key)]
    return []


def test_identifiers_are_fictional(small_scenario: Generated) -> None:
    records = [r for name in small_scenario.lines for r in small_scenario.good_records(name)]
    phones = [v for r in records for key in ("number", "phone") for v in _values(r, key) if v]
    vrms = [v for r in records for v in _values(r, "vrm")]
    postcodes = [v for r in records for v in _values(r, "postcode")]
    assert phones and vrms and postcodes
    assert [p for p in phones if not DRAMA.match(str(p))] == []
    assert [v for v in vrms if "Q" not in str(v)[4:]] == []  # the DVLA never issues Q there
    assert [p for p in postcodes if not (UK_POSTCODE.match(str(p)) and "V" in str(p).split()[1])] == []


def test_bad_rows_are_rejected_on_the_expected_field(small_scenario: Generated) -> None:
    bad = small_scenario.ground_truth["bad_rows"]
    assert len(bad) == 14
    assert len({row["defect"] for row in bad}) >= 10  # varied, not one mistake fourteen times
    assert len({row["file"] for row in bad}) == 14  # spread across files
    for row in bad:
        text = small_scenario.lines[row["file"]][row["line"] - 1]
        if row["field"] is None:
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
            continue
        record = json.loads(text)
        assert record["envelope"]["event_id"] == row["event_id"]
        _, issues = check_event(record, small_scenario.agency_of(row["file"]))
        assert [i.path for i in issues] == [row["field"]], (row, [str(i) for i in issues])


def test_bad_rows_leave_the_good_rows_and_counts_alone() -> None:
    clean = generate(seed=5, scale=0.05)
    dirty = generate(seed=5, scale=0.05, bad_rows=9)
    assert clean.ground_truth["counts"] == dirty.ground_truth["counts"]
    for name in clean.lines:
        assert clean.lines[name] == [
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in dirty.good_records(name)
        ]
    files = dirty.ground_truth["files"]
    assert sum(f["bad"] for f in files.values()) == 9
    assert all(f["rows"] == f["good"] + f["bad"] for f in files.values())


def test_ground_truth_is_recounted_from_the_written_files(tmp_path: Path) -> None:
    result = generate(seed=3, scale=0.05, bad_rows=4, out=tmp_path)
    truth = json.loads((tmp_path / GROUND_TRUTH).read_text(encoding="utf-8"))
    assert truth == result.ground_truth
    bad = {(row["file"], row["line"]) for row in truth["bad_rows"]}
    records = []
    for name in truth["files"]:
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) == truth["files"][name]["rows"]
        records += [json.loads(text) for number, text in enumerate(lines, 1) if (name, number) not in bad]
    assert tally(records) == truth["counts"]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first = generate(seed=42, scale=0.05, bad_rows=6, out=tmp_path / "a")
    generate(seed=42, scale=0.05, bad_rows=6, out=tmp_path / "b")
    for name in [*first.lines, GROUND_TRUTH]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    other = generate(seed=43, scale=0.05, bad_rows=6)
    assert other.lines != first.lines


def test_scale_shrinks_every_figure_in_proportion(small_scenario: Generated) -> None:
    counts = small_scenario.ground_truth["counts"]
    assert counts["intelligence_reports"] == 640
    assert counts["premises_visits"]["total"] == 82
    assert counts["victims"]["total"] == 17 and counts["victims"]["children"] == 1
    assert counts["arrests"] == 53
    assert 50_000_00 < counts["cash_pence"] < 51_000_00
    child_files = Counter(r["file"] for r in small_scenario.ground_truth["bad_rows"])
    assert max(child_files.values()) == 1
