"""The benchmark result: shares of the stages and the JSON shape the root CLI prints."""

from __future__ import annotations

from bench.publish import TARGET_RATE, BenchResult, Stage


def test_shares_and_json() -> None:
    stages = (
        Stage("validate", 1000, 0.1, 0.1),
        Stage("encode", 1000, 0.05, 0.05),
        Stage("sign", 1000, 0.01, 0.01),
        Stage("produce", 1000, 0.04, 0.04),
    )
    result = BenchResult(
        stages,
        Stage("broker", 1000, 0.05, 0.0),
        Stage("end_to_end", 1000, 0.25, 0.24),
        500,
        430.0,
        "127.0.0.1:9092",
        None,
    )
    assert round(sum(result.share(s) for s in stages), 9) == 1
    assert result.share(stages[0]) == 0.5
    data = result.to_json()
    assert list(data["stages"]) == ["validate", "encode", "sign", "produce"]
    assert data["stages"]["validate"]["events_per_second"] == 10_000
    assert data["stages"]["validate"]["microseconds_per_event"] == 100
    assert data["end_to_end"]["events_per_second"] == 4000
    assert data["end_to_end"]["meets_target"] is (TARGET_RATE <= 4000)
