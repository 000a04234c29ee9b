"""The stage sampler gives a thread's CPU to the stage its stack is in, by the innermost named frame."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.stages import KAFKA_THREADS, OTHER, StageProfile, StageSampler, _stage_of_code

SPIN_CPU_SECONDS = 0.4


def _compiled(path: str, source: str) -> dict[str, Any]:
    """Functions defined in ``source`` as if they lived in the file ``path``."""
    scope: dict[str, Any] = {"time": time}
    exec(compile(source, path, "exec"), scope)
    return scope


SPIN = """
def spin(seconds):
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass
"""


def test_files_and_functions_name_their_stages() -> None:
    engine = _compiled("/repo/policies/engine.py", "def route(): pass")["route"]
    scrub = _compiled("/repo/policies/scrub.py", "def scrub(): pass")["scrub"]
    encode = _compiled("/repo/schemas/wire.py", "def encode(): pass")["encode"]
    decode = _compiled("/repo/schemas/wire.py", "def decode(): pass")["decode"]
    elsewhere = _compiled("/repo/tools/thing.py", "def run(): pass")["run"]

    assert _stage_of_code(engine.__code__) == "policy: plans and rules"
    assert _stage_of_code(scrub.__code__) == "policy: rule 11 scrub"
    assert _stage_of_code(encode.__code__) == "encode partner records"
    assert _stage_of_code(decode.__code__) == "decode input"
    assert _stage_of_code(elsewhere.__code__) is None


def test_cpu_goes_to_the_innermost_named_frame() -> None:
    spin: Callable[[float], None] = _compiled("/repo/policies/scrub.py", SPIN)["spin"]
    outer = _compiled("/repo/policies/engine.py", "def route(inner, s):\n    inner(s)\n")["route"]

    with StageSampler() as sampler:
        outer(spin, SPIN_CPU_SECONDS)
    profile = sampler.profile

    assert profile.samples > 0
    spent = profile.thread_seconds
    assert spent.get("policy: rule 11 scrub", 0.0) >= 0.8 * sum(spent.values()), spent
    assert "policy: plans and rules" not in spent or spent["policy: plans and rules"] < 0.1 * SPIN_CPU_SECONDS


def test_unnamed_code_is_other_python() -> None:
    spin: Callable[[float], None] = _compiled("/repo/tools/thing.py", SPIN)["spin"]
    with StageSampler() as sampler:
        spin(0.2)
    assert max(sampler.profile.thread_seconds, key=lambda s: sampler.profile.thread_seconds[s]) == OTHER


def test_per_event_figures_include_the_kafka_threads_and_sort_by_cost() -> None:
    profile = StageProfile({"decode input": 0.2, "produce": 0.5}, process_seconds=1.0, samples=10)
    rows = profile.per_event_us(1000)
    assert list(rows) == ["produce", KAFKA_THREADS, "decode input"]
    assert rows["produce"] == 500.0 and rows[KAFKA_THREADS] == 300.0 and rows["decode input"] == 200.0
    assert StageProfile().per_event_us(0) == {}
