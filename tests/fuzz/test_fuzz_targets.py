"""Bad input against every door: decoder, provenance, admission, agreement loader, CSV and JSON Lines
adapters, validation. Fixed seed, so the run is the same everywhere; the report runs more examples."""

from __future__ import annotations

import pytest

from bench.fuzzing import TARGETS, FuzzRow, fuzz_table_rows, run_fuzz

pytestmark = pytest.mark.fuzz

SEED = 20261124
EXAMPLES = 150


@pytest.fixture(scope="module")
def rows() -> dict[str, FuzzRow]:
    found = {row.target: row for row in run_fuzz(SEED, EXAMPLES)}
    for cells in fuzz_table_rows(list(found.values())):
        print(" | ".join(cells))
    return found


@pytest.mark.parametrize("target", TARGETS)
def test_no_input_crashes_or_ends_unexplained(rows: dict[str, FuzzRow], target: str) -> None:
    row = rows[target]
    assert row.crashes == 0, row.samples
    assert row.unclear == 0, row.samples
    assert row.inputs >= EXAMPLES
    assert row.inputs == row.clear_errors + row.dead_letters + row.accepted
    assert sum(count for _, count in row.outcomes) == row.inputs


def test_hostile_input_is_refused_and_genuine_input_accepted(rows: dict[str, FuzzRow]) -> None:
    """Each target both refuses (most fuzz) and accepts (the untouched cases): it is really exercised."""
    for row in rows.values():
        assert row.accepted > 0, row.target
        assert row.clear_errors + row.dead_letters > row.accepted, row.target


def test_the_router_gives_dead_letters_only_and_with_many_reasons(rows: dict[str, FuzzRow]) -> None:
    admission = rows["admission"]
    assert admission.clear_errors == 0  # the router never raises: everything is a decision
    reasons = {
        kind.removeprefix("dead letter: ") for kind, _ in admission.outcomes if kind.startswith("dead")
    }
    assert {
        "undecodable",
        "unknown_fingerprint",
        "missing_signature",
        "bad_signature",
        "unknown_agency",
        "agency_mismatch",
        "schema_violation",
    } <= reasons


def test_each_decoder_error_is_a_documented_type(rows: dict[str, FuzzRow]) -> None:
    codec = {kind for kind, _ in rows["codec"].outcomes}
    assert codec <= {"accepted", "NotSingleObjectEncoded", "UnknownFingerprint", "UndecodableBody"}
    assert {"NotSingleObjectEncoded", "UnknownFingerprint", "UndecodableBody"} <= codec
    provenance = {kind for kind, _ in rows["provenance"].outcomes}
    assert provenance <= {"accepted", "MissingProvenance", "UnknownKey", "KeyOfAnotherAgency", "BadSignature"}
    assert {kind for kind, _ in rows["agreements"].outcomes} <= {"accepted", "AgreementError"}


def test_same_seed_same_counts() -> None:
    first = run_fuzz(7, 30, targets=("provenance", "agreements"))
    again = run_fuzz(7, 30, targets=("provenance", "agreements"))
    assert [(r.inputs, r.outcomes) for r in first] == [(r.inputs, r.outcomes) for r in again]


def test_unknown_target_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fuzz target"):
        run_fuzz(1, 1, targets=("nonsense",))
