"""Rule 11's scrubber on its own: case-insensitive, longest first, never leaves a value behind."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policies.scrub import MARKER, candidates, leaks, scrub


def test_values_are_replaced_case_insensitively() -> None:
    values = candidates(["Viktor Hale", "Hale", "ab", "+447700900123", "   "])
    assert sorted(v for v, _ in values) == ["+447700900123", "Hale", "Viktor Hale"]
    text = "VIKTOR HALE called +447700900123; hale again; ab stays"
    assert scrub(text, values) == f"{MARKER} called {MARKER}; {MARKER} again; ab stays"


def test_text_without_values_is_untouched() -> None:
    assert scrub("nothing to see", candidates(["Viktor"])) == "nothing to see"


def test_unicode_folding_that_regex_cannot_follow_redacts_everything() -> None:
    assert scrub("Straße 5", candidates(["strasse"])) == MARKER


@given(text=st.text(max_size=80), values=st.lists(st.text(min_size=3, max_size=8), max_size=5))
def test_no_value_survives_between_markers(text: str, values: list[str]) -> None:
    planted = text + " ".join(v.upper() for v in values)
    result = scrub(planted, candidates(values))
    assert not leaks(result, [folded for _, folded in candidates(values)])
