"""The value functions behind mask and generalise."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from policies.transforms import GENERALISERS, age_band, mask_function, postcode_district, postcode_force_area


def test_mask_keeps_only_the_last_characters_and_hides_the_length() -> None:
    mask = mask_function(4)
    assert mask("12345678") == "****5678"
    assert mask("1234") == "****" and mask("12") == "****"
    assert mask_function(0)("secret") == "****"


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "UNDER_18"),
        (17, "UNDER_18"),
        (18, "AGE_18_TO_24"),
        (34, "AGE_25_TO_34"),
        (64, "AGE_55_TO_64"),
        (90, "AGE_65_AND_OVER"),
    ],
)
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band


def test_dates_generalise_to_month_and_year() -> None:
    assert GENERALISERS["month"](date(2008, 2, 14)) == "2008-02"
    assert GENERALISERS["year"](datetime(2008, 2, 14, 22, 30, tzinfo=UTC)) == "2008"


@pytest.mark.parametrize(
    ("postcode", "district", "force"),
    [
        ("GL1 2AB", "GL1", "GLOUCESTERSHIRE"),
        ("sw1a1aa", "SW1A", "METROPOLITAN"),
        ("B33 8TH", "B33", "WEST_MIDLANDS"),
        ("M1 1AE", "M1", "GREATER_MANCHESTER"),
        ("EC1A 1BB", "EC1A", "CITY_OF_LONDON"),
        ("not a postcode", None, "UNKNOWN"),
    ],
)
def test_postcodes_generalise_to_district_and_force_area(
    postcode: str, district: str | None, force: str
) -> None:
    assert postcode_district(postcode) == district
    assert postcode_force_area(postcode) == force
