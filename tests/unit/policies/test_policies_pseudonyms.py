"""Keyed pseudonyms: stable within a partner, unrelated across partners, the same for the same
phone, vehicle, premises or person whichever force reported it (the coordination cell's need)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies import PolicyEngine, PseudonymError, PseudonymSecrets
from policies.pseudonyms import TOKEN_PREFIX, normalise_address, normalise_name, normalise_phone
from schemas.samples import sample

SECRETS = PseudonymSecrets(b"k" * 32)


@given(value=st.text(min_size=1, max_size=40), a=st.sampled_from(["ncc", "nca.ukhtc"]))
def test_tokens_are_stable_within_a_partner(value: str, a: str) -> None:
    assert SECRETS.token(a, "text", value) == SECRETS.token(a, "text", value)
    assert SECRETS.token(a, "text", value).startswith(TOKEN_PREFIX)


@given(value=st.text(min_size=1, max_size=40))
def test_tokens_differ_across_partners_and_secrets(value: str) -> None:
    assert SECRETS.token("ncc", "text", value) != SECRETS.token("nca.ukhtc", "text", value)
    assert SECRETS.token("ncc", "text", value) != PseudonymSecrets(b"j" * 32).token("ncc", "text", value)


def test_tokens_differ_across_normalisers_for_the_same_characters() -> None:
    assert SECRETS.token("ncc", "vrm", "AB12CDE") != SECRETS.token("ncc", "postcode", "AB12CDE")


@pytest.mark.parametrize("variant", ["07700 900123", "+44 7700 900123", "0044-7700-900123", "447700900123"])
def test_phone_spellings_are_one_number(variant: str) -> None:
    assert normalise_phone(variant) == "447700900123"
    assert SECRETS.token("ncc", "phone", variant) == SECRETS.token("ncc", "phone", "+447700900123")


def test_names_and_addresses_ignore_case_accents_and_spacing() -> None:
    assert normalise_name("  Elena   POPESCU ") == normalise_name("Eléna Popescu")
    a = {"lines": ["Unit 4", "Station  Road"], "postcode": "gl1 2ab"}
    b = {"lines": ["UNIT 4", "station road"], "postcode": "GL12AB"}
    assert normalise_address(a) == normalise_address(b)


def test_secrets_must_be_long_enough_and_never_show() -> None:
    with pytest.raises(PseudonymError):
        PseudonymSecrets(b"short")
    with pytest.raises(PseudonymError):
        PseudonymSecrets.from_hex("zz")
    assert "6b6b" not in repr(SECRETS) and "kkkk" not in repr(SECRETS)
    assert PseudonymSecrets.from_hex("00" * 32).token("ncc", "text", "x").startswith(TOKEN_PREFIX)


def test_the_coordination_cell_links_one_phone_reported_by_two_forces(engine: PolicyEngine) -> None:
    def report(origin: str, number: str, area: str, region: str) -> dict[str, object]:
        record = sample("IntelligenceReport")
        record["grading"]["handling_code"] = "P"
        record["handling_conditions"] = None
        record["envelope"].update(origin_agency=origin, force_area=area, region=region)
        record["phones"][0]["number"] = number
        record["vehicles"][0]["vrm"] = "AB12 CDE" if origin.endswith("gloucestershire") else "ab12cde"
        return record

    glos = engine.route(
        "IntelligenceReport",
        report("police.gloucestershire", "07700 900123", "GLOUCESTERSHIRE", "SOUTH_WEST"),
    )
    met = engine.route(
        "IntelligenceReport", report("police.metropolitan", "+44 7700 900123", "METROPOLITAN", "LONDON")
    )
    tokens = {}
    for routing in (glos, met):
        for partner in ("ncc", "nca.ukhtc"):
            d = routing.decision(partner)
            assert d is not None and hasattr(d, "record")
            tokens.setdefault(partner, []).append(
                (d.record["phones"][0]["number"], d.record["vehicles"][0]["vrm"])  # type: ignore[union-attr]
            )
    ncc_glos, ncc_met = tokens["ncc"]
    assert ncc_glos == ncc_met and ncc_glos[0].startswith(TOKEN_PREFIX)
    # nca.ukhtc sees the suspect's phone in clear, not as the cell's token
    assert tokens["nca.ukhtc"][0][0] == "07700 900123" and tokens["nca.ukhtc"][0][0] != ncc_glos[0]


def test_partners_cannot_join_their_tokens(engine: PolicyEngine) -> None:
    record = sample("PotentialVictimEncounter")
    record["consent"] = "REFUSED"
    routing = engine.route("PotentialVictimEncounter", record)
    ncc, nca = routing.decision("ncc"), routing.decision("nca.ukhtc")
    assert ncc is not None and nca is not None
    ncc_ref = ncc.record["victim_ref"]  # type: ignore[union-attr]
    nca_ref = nca.record["victim_ref"]  # type: ignore[union-attr]
    assert ncc_ref.startswith(TOKEN_PREFIX) and nca_ref.startswith(TOKEN_PREFIX) and ncc_ref != nca_ref
