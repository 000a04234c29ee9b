"""`pentameter bench codec` runs the native core and its references over the same workload."""

from __future__ import annotations

import pytest

from bench.codec import bench_codec
from schemas import native


def test_the_codec_benchmark_measures_every_figure_for_both() -> None:
    figures = bench_codec(size=16)
    assert figures["events"] == 16
    assert figures["partner_records"] >= figures["events"]  # every event reaches some partner
    assert figures["texts"] > 0
    for key, reference in [
        ("decode_us", "fastavro"),
        ("encode_event_us", "fastavro"),
        ("encode_partner_us", "fastavro"),
        ("per_event_us", "fastavro"),
        ("find_us", "python"),
    ]:
        assert set(figures[key]) == {reference, "native"}
        assert all(value > 0 for value in figures[key].values()), key


def test_without_the_native_core_the_benchmark_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "AVAILABLE", False)
    with pytest.raises(RuntimeError, match="native core is not available"):
        bench_codec(size=16)
