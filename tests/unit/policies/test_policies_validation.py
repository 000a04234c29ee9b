"""Invalid agreements fail at load with the promised message: file, line and agreement, every
problem at once, guard-rail breaches with their rule id."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import AgreementError, GuardRailViolation, InMemoryKeyRing, PolicyEngine, PseudonymSecrets
from policies.agreements import load_agreements
from policies.registry import load_registry
from schemas.catalogue import Catalogue
from tests.unit.policies.conftest import TODAY


def _edit(directory: Path, file: str, old: str, new: str) -> int:
    path = directory / file
    text = path.read_text()
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text)
    return text[: text.index(new)].count("\n") + 1


def _load(catalogue: Catalogue, directory: Path) -> PolicyEngine:
    return PolicyEngine.load(
        catalogue,
        directory,
        secrets=PseudonymSecrets.generate(),
        encryptor=InMemoryKeyRing().encryptor(),
        today=TODAY,
    )


NCC_AGE = "      people[].age: keep\n"

CASES = [
    # (id, file, old, new, line offset of the bad line within `new`, expected text, rule id or None)
    (
        "unknown field",
        "ncc.yaml",
        NCC_AGE,
        NCC_AGE + "      people[].shoe_size: keep\n",
        1,
        "IntelligenceReport has no field 'people[].shoe_size'",
        None,
    ),
    (
        "unknown transform",
        "ncc.yaml",
        NCC_AGE,
        "      people[].age: blur\n",
        0,
        "unknown transform 'blur'",
        None,
    ),
    (
        "transform on the wrong type",
        "ncc.yaml",
        NCC_AGE,
        "      people[].age: {transform: generalise, to: month}\n",
        0,
        "people[].age: generalise to month applies to dates, not int",
        None,
    ),
    (
        "bad transform parameter",
        "ncc.yaml",
        NCC_AGE,
        "      people[].age: {transform: keep, to: year}\n",
        0,
        "keep takes no parameter(s) ['to']",
        None,
    ),
    (
        "unknown normaliser",
        "ncc.yaml",
        "      phones[].number: {transform: pseudonymise, normalise: phone}\n",
        "      phones[].number: {transform: pseudonymise, normalise: morse}\n",
        0,
        "unknown normaliser 'morse'",
        None,
    ),
    (
        "unknown partner",
        "ncc.yaml",
        "partner: ncc\nparties:\n  providers: all\n  recipient: ncc\n",
        "partner: ncc.typo\nparties:\n  providers: all\n  recipient: ncc.typo\n",
        0,
        "unknown partner 'ncc.typo'",
        None,
    ),
    (
        "unknown event type",
        "ncc.yaml",
        "  PremisesVisit:\n",
        "  Kidnap:\n    fields: {envelope: keep}\n  PremisesVisit:\n",
        0,
        "unknown event type 'Kidnap'",
        None,
    ),
    (
        "dates in the wrong order",
        "ncc.yaml",
        "valid_to: 2028-03-31\n",
        "valid_to: 2024-03-31\n",
        0,
        "valid_to 2024-03-31 is before valid_from 2025-04-01",
        None,
    ),
    (
        "not a date",
        "ncc.yaml",
        "valid_from: 2025-04-01\n",
        "valid_from: next tuesday\n",
        0,
        "valid_from must be a date written YYYY-MM-DD",
        None,
    ),
    (
        "unknown top-level key",
        "ncc.yaml",
        "onward_sharing:",
        "onward_sharng: none\nonward_sharing:",
        0,
        "unrecognised key 'onward_sharng'",
        None,
    ),
    (
        "unknown purpose",
        "ncc.yaml",
        "purposes: [INTELLIGENCE_DEVELOPMENT,",
        "purposes: [GOSSIP, INTELLIGENCE_DEVELOPMENT,",
        0,
        "unknown purpose(s) ['GOSSIP']",
        None,
    ),
    (
        "condition on an unknown field",
        "ncc.yaml",
        "        all: [{field: grading.scheme,",
        "        all: [{field: grading.colour,",
        0,
        "condition field 'grading.colour' is not a field",
        None,
    ),
    (
        "condition value not in the enum",
        "ncc.yaml",
        "{field: grading.scheme, in: [G3X5X2]}",
        "{field: grading.scheme, in: [G9X9X9]}",
        0,
        "'G9X9X9' is not a value of grading.scheme",
        None,
    ),
    (
        "regime without its lawful basis",
        "ngo_poppy.yaml",
        "regime: UK_GDPR\nlawful_basis:\n",
        "regime: DPA2018_PART3\nlawful_basis:\n",
        1,
        "a DPA 2018 Part 3 agreement needs lawful_basis.law_enforcement",
        None,
    ),
    (
        "unreachable case",
        "ncc.yaml",
        NCC_AGE,
        "      people[].age:\n        - {transform: generalise, to: age_band}\n        - keep\n",
        2,
        "this case is never reached",
        None,
    ),
    (
        "releasing a source field",
        "ncc.yaml",
        NCC_AGE,
        NCC_AGE + "      source: keep\n",
        1,
        "source data: it never leaves",
        "R2-source",
    ),
    (
        "releasing a structural field transformed",
        "ncc.yaml",
        NCC_AGE,
        NCC_AGE + "      envelope.review_date: {transform: generalise, to: year}\n",
        1,
        "carried unchanged by every delivery",
        "R12-review-date",
    ),
    (
        "free text transformed",
        "nca_ukhtc.yaml",
        "      notes: scrub\n",
        "      notes: {transform: pseudonymise}\n",
        0,
        "free text is released only with 'scrub'",
        None,
    ),
    (
        "free text kept unscrubbed",
        "nca_ukhtc.yaml",
        "      notes: scrub\n",
        "      notes: keep\n",
        0,
        "free text is released only with 'scrub'",
        None,
    ),
    (
        "scrub on a field that is not free text",
        "nca_ukhtc.yaml",
        "      accommodated: keep\n      notes: scrub\n",
        "      accommodated: scrub\n      notes: scrub\n",
        0,
        "scrub names free text only",
        None,
    ),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "offset", "expected", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_agreement_names_file_line_and_agreement(
    catalogue: Catalogue,
    agreements_copy: Path,
    file: str,
    old: str,
    new: str,
    offset: int,
    expected: str,
    rule: str | None,
) -> None:
    line = _edit(agreements_copy, file, old, new) + offset
    with pytest.raises(AgreementError) as caught:
        _load(catalogue, agreements_copy)
    problems = [p for p in caught.value.problems if expected in p.message]
    assert problems, str(caught.value)
    problem = problems[0]
    assert problem.file.endswith(file)
    assert problem.line == line, str(caught.value)
    agreement_id = {
        "ncc.yaml": "isa.ncc",
        "ngo_poppy.yaml": "isa.ngo.poppy",
        "nca_ukhtc.yaml": "isa.nca.ukhtc",
    }[file]
    assert problem.agreement == f"{agreement_id} v1"
    assert f"{file}:{line}: agreement {agreement_id} v1: " in str(caught.value)
    assert problem.rule_id == rule
    if rule is not None:
        assert isinstance(caught.value, GuardRailViolation)
        assert f"[{rule}]" in str(caught.value)


def test_every_problem_of_every_file_is_reported_at_once(catalogue: Catalogue, agreements_copy: Path) -> None:
    _edit(agreements_copy, "ncc.yaml", NCC_AGE, "      people[].age: blur\n")
    _edit(agreements_copy, "hmrc.yaml", "      court: keep\n", "      court: keep\n      judge: keep\n")
    with pytest.raises(AgreementError) as caught:
        _load(catalogue, agreements_copy)
    files = {Path(p.file).name for p in caught.value.problems}
    assert files == {"ncc.yaml", "hmrc.yaml"}


def test_yaml_syntax_errors_and_duplicate_keys_name_the_line(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    line = _edit(agreements_copy, "ncc.yaml", NCC_AGE, NCC_AGE + "      people[].age: drop\n") + 1
    with pytest.raises(AgreementError, match=rf"ncc.yaml:{line}: .*duplicate key 'people\[\].age'"):
        _load(catalogue, agreements_copy)
    (agreements_copy / "hmrc.yaml").write_text("id: [unclosed\n")
    with pytest.raises(AgreementError, match=r"hmrc.yaml:2: "):
        _load(catalogue, agreements_copy)


def test_two_agreements_for_one_partner_and_event_type_at_once_are_refused(
    catalogue: Catalogue, agreements_copy: Path
) -> None:
    text = (agreements_copy / "ncc.yaml").read_text().replace("id: isa.ncc\n", "id: isa.ncc.second\n")
    (agreements_copy / "ncc_second.yaml").write_text(text)
    with pytest.raises(AgreementError, match=r"also covered by isa\.ncc v1"):
        _load(catalogue, agreements_copy)


def test_successive_agreements_take_over_on_their_dates(catalogue: Catalogue, agreements_copy: Path) -> None:
    original = (agreements_copy / "ncc.yaml").read_text()
    (agreements_copy / "ncc.yaml").write_text(
        original.replace("valid_to: 2028-03-31", "valid_to: 2026-06-30")
    )
    later = (
        original.replace("id: isa.ncc\n", "id: isa.ncc.2026\n")
        .replace("valid_from: 2025-04-01", "valid_from: 2026-07-01")
        .replace("      narrative: keep\n", "")
    )
    (agreements_copy / "ncc_2026.yaml").write_text(later)
    engine = _load(catalogue, agreements_copy)
    from datetime import date

    assert engine.plan("IntelligenceReport", "ncc", date(2026, 6, 30)).agreement.id == "isa.ncc"  # type: ignore[union-attr]
    assert engine.plan("IntelligenceReport", "ncc", date(2026, 7, 1)).agreement.id == "isa.ncc.2026"  # type: ignore[union-attr]


def test_the_baseline_agreements_are_valid(catalogue: Catalogue) -> None:
    agreements = load_agreements(catalogue, load_registry())
    partners = {a.partner for a in agreements}
    assert len(partners) >= 8
    assert partners == set(load_registry().partners)
