"""The operation's figures counted from the coordination cell's records, without faust or Kafka."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from consumers.analytics import dashboard, figures
from producers.generator import generate
from schemas.validation import validate


def _record(kind: str, /, force: str = "KENT", region: str = "SOUTH_EAST", **fields: Any) -> dict[str, Any]:
    envelope = {
        "event_id": "e1",
        "event_type": kind,
        "force_area": force,
        "region": region,
        "occurred_at": datetime(2007, 10, 12, 7, 56, tzinfo=UTC),
    }
    return {"envelope": envelope, **fields}


def test_period_is_the_iso_week_or_the_month_when_generalised() -> None:
    assert figures.period(datetime(2007, 12, 31, tzinfo=UTC)) == "2008-W01"
    assert figures.period("2007-10-01T10:00:00+00:00") == "2007-W40"
    assert figures.period("2007-10") == "M2007-10"
    assert figures.period(None) == "unknown"


def test_increments_carry_force_region_and_week() -> None:
    record = _record("PremisesVisit", premises={"premises_type": "MASSAGE_PARLOUR"},
                     potential_victims_identified=3, arrests=0)  # fmt: skip
    keys = dict(figures.increments(record))
    assert keys["premises_visits|KENT|SOUTH_EAST|2007-W41"] == 1
    assert keys["premises_visits:type:MASSAGE_PARLOUR|KENT|SOUTH_EAST|2007-W41"] == 1
    assert keys["premises_visits:potential_victims_identified|KENT|SOUTH_EAST|2007-W41"] == 3
    assert "premises_visits:arrests|KENT|SOUTH_EAST|2007-W41" not in keys  # zero: left out


def test_a_record_sends_one_update_keyed_by_place_and_week() -> None:
    record = _record("PremisesVisit", premises={"premises_type": "HOTEL"}, potential_victims_identified=2)
    groups = figures.grouped(figures.increments(record))
    assert list(groups) == ["KENT|SOUTH_EAST|2007-W41"]
    assert groups["KENT|SOUTH_EAST|2007-W41"]["premises_visits:potential_victims_identified"] == 2
    counts: dict[str, int] = {}
    for where, amounts in groups.items():
        for metric, amount in amounts.items():
            counts[f"{metric}|{where}"] = amount
    assert counts == dict(figures.increments(record))  # the same table as one update per metric


def test_each_figure_is_counted() -> None:
    counts: dict[str, int] = {}
    for record in (
        _record("IntelligenceReport"),
        _record("PotentialVictimEncounter", is_child=True),
        _record("PotentialVictimEncounter", is_child=False, force="DORSET", region="SOUTH_WEST"),
        _record("NRMReferral", is_child=True),
        _record("NRMDecision", stage="REASONABLE_GROUNDS", outcome="POSITIVE"),
        _record("Arrest"),
        _record("AssetSeizure", kind="CASH_SEIZURE", amount_pence=150_00),
        _record("AssetSeizure", kind="RESTRAINT_ORDER", amount_pence=1_000_00),
        _record("DutyToNotify"),
    ):
        figures.add(counts, record)
    result = figures.summarise(counts.items())
    assert result["events"] == 9
    assert result["intelligence_reports"] == 1
    assert result["victims"] == {"total": 2, "adults": 1, "children": 1}
    assert result["nrm_referrals"] == {"total": 1, "adults": 0, "children": 1}
    assert result["nrm_decisions"] == {"REASONABLE_GROUNDS:POSITIVE": 1}
    assert result["arrests"] == 1
    assert (result["cash_seizures"], result["cash_pence"]) == (1, 150_00)
    assert (result["restraint_orders"], result["restraint_pence"]) == (1, 1_000_00)
    assert result["duty_to_notify"] == 1
    assert result["by_force"]["DORSET"] == {"events": 1, "victims": 1}
    assert result["by_region_force"]["SOUTH_EAST"]["KENT"]["victims:children"] == 1
    assert result["by_week"]["2007-W41"]["events"] == 9


def test_figures_of_a_generated_operation_equal_its_ground_truth() -> None:
    generated = generate("pentameter2", seed=3, scale=0.05)
    records = [
        validate(copy.deepcopy(raw))
        for file in generated.lines
        if not file.endswith(".json")
        for raw in generated.good_records(file)
    ]
    counts: dict[str, int] = {}
    for record in records:
        figures.add(counts, record)
    result = figures.summarise(counts.items())
    truth = generated.ground_truth["counts"]
    names = ("events", "by_event_type", "intelligence_reports", "premises_visits", "arrests",
             "cash_seizures", "cash_pence", "restraint_orders", "restraint_pence", "duty_to_notify",
             "nrm_decisions", "nrm_referrals")  # fmt: skip
    for name in names:
        assert result[name] == truth[name], name
    assert result["victims"] == {k: truth["victims"][k] for k in ("total", "adults", "children")}
    assert {f: row["events"] for f, row in result["by_force"].items()} == truth["by_force"]
    assert {r: row["events"] for r, row in result["by_region"].items()} == truth["by_region"]
    assert {w: row["events"] for w, row in result["by_week"].items()} == truth["by_week"]


def test_dashboard_page_shows_figures_trends_and_links() -> None:
    counts: dict[str, int] = {}
    figures.add(counts, _record("Arrest", force="CUMBRIA", region="NORTH_WEST"))
    figures.add(counts, _record("AssetSeizure", kind="CASH_SEIZURE", amount_pence=1_234_56))
    link: dict[str, Any] = {"kind": "phone", "token": "pt1_" + "a" * 32, "forces": ["DORSET", "KENT"],
            "event_ids": ["1", "2"], "first_seen": "2007-10-01", "last_seen": "2007-11-01"}  # fmt: skip
    summary = figures.summarise(counts.items())
    page = dashboard.render(summary, [link])
    assert (
        '<tr data-region="NORTH_WEST" data-force="CUMBRIA"><td>North West</td><td>Cumbria Constabulary</td>'
        in page
    )
    assert '<div class="figure" data-metric="arrests" data-value="1">' in page
    assert 'data-metric="cash_pence" data-value="123456"' in page and "£1,234.56" in page
    assert f'data-kind="phone" data-token="{link["token"]}" data-forces="DORSET,KENT"' in page
    assert '<p data-metric="links" data-value="1">' in page
    assert '<rect data-week="2007-W41" data-value="2"' in page  # both events in the week of 12 Oct
    assert (
        "api/dashboard" in page
        and "<script src" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )  # nothing fetched from elsewhere
    assert dashboard.headline_values(summary)["cash_pence"] == 1_234_56
    assert set(dashboard.sections(summary, [])) == set(dashboard.SECTIONS)
    assert dashboard.render({}, []).startswith("<!doctype html>")
    assert "<script>alert" not in dashboard.render({"by_region_force": {"<script>alert": {}}}, [])
