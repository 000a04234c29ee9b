"""Where the router's CPU goes, stage by stage, measured without touching the router's code.

A profiling timer (``setitimer(ITIMER_PROF)``: it counts this process's CPU time, so a busy
machine does not change where samples fall) interrupts the router's thread about every
millisecond of CPU. At each interruption the handler reads that thread's own CPU clock and gives
the CPU spent since the previous one to the stage of the interrupted stack. A stage is named by
the innermost frame that matches one of :data:`STAGES`, so the policy engine's call into rule 11's
search counts as the search, not as the engine. Whatever the rules do not name is "other
Python"; the Kafka client's own threads (fetching, compression, sending) are the process's CPU
beyond the router thread's.

Python runs a signal handler at its next instruction boundary, so a long call into C code is
charged to the frame that called it (or to the function called right after it): good enough for
a table of stages, with thousands of samples per run. A sampler thread reading stacks with
``sys._current_frames`` was tried first and is biased: it can only look when the router releases
the interpreter lock, which hashing a large value does, so the hashing stages took the CPU of
whatever ran before them.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

STAGES: tuple[tuple[str, str | None, str], ...] = (
    # (file path ending, function name or None for any, stage); files under the project root
    ("consumers/router.py", "_produce", "produce"),
    ("consumers/router.py", "_commit_batch", "transaction (begin, offsets, commit)"),
    ("consumers/router.py", "_committing", "transaction (begin, offsets, commit)"),
    ("consumers/router.py", "_write", "write loop"),
    ("consumers/router.py", "_route_batch", "batch loop"),
    ("consumers/router.py", "_count", "batch loop"),
    ("consumers/router.py", "_observe", "batch loop"),
    ("consumers/router.py", "run", "consume"),
    ("consumers/router.py", "of", "consume"),
    ("consumers/oversize.py", None, "size limits"),
    ("consumers/ledger.py", None, "audit entry (ledger)"),
    ("consumers/recent_events.py", None, "duplicate window"),
    ("consumers/positions.py", None, "positions"),
    ("schemas/provenance.py", "seal", "provenance: sign outputs"),
    ("schemas/provenance.py", "merkle_root_and_proofs", "provenance: sign outputs"),
    ("schemas/provenance.py", "merkle_root_and_paths", "provenance: sign outputs"),
    ("schemas/provenance.py", "verify", "provenance: verify input"),
    ("schemas/wire.py", "encode", "encode partner records"),
    ("schemas/wire.py", "decode", "decode input"),
    ("schemas/wire.py", "_decode_native", "decode input"),
    ("consumers/admission.py", None, "admission (other)"),
    ("policies/scrub.py", None, "policy: rule 11 scrub"),
    ("policies/textmatch.py", None, "policy: rule 11 scrub"),
    ("policies/forms.py", None, "policy: rule 11 scrub"),
    ("policies/crypto.py", None, "policy: encrypt fields"),
    ("policies/pseudonyms.py", None, "policy: pseudonyms"),
    ("policies/", None, "policy: plans and rules"),
    ("consumers/decisions.py", None, "audit body"),
)
OTHER = "other Python"
KAFKA_THREADS = "Kafka client threads"
SAMPLER = "this profile's sampling"
INTERVAL = 0.001


def _stage_of_code(code: CodeType) -> str | None:
    path = code.co_filename.replace("\\", "/")
    for ending, function, stage in STAGES:
        where = f"/{ending}" in path if ending.endswith("/") else path.endswith(ending)
        if where and (function is None or code.co_name == function):
            return stage
    return None


@dataclass
class StageProfile:
    """CPU seconds per stage of one thread, and of the whole process over the same span."""

    thread_seconds: dict[str, float] = field(default_factory=dict)
    process_seconds: float = 0.0
    samples: int = 0

    def per_event_us(self, events: int) -> dict[str, float]:
        """Microseconds of CPU per event for each stage, the Kafka client's threads included."""
        if events <= 0:
            return {}
        rows = {stage: seconds / events * 1e6 for stage, seconds in self.thread_seconds.items()}
        kafka = self.process_seconds - sum(self.thread_seconds.values())
        rows[KAFKA_THREADS] = max(kafka, 0.0) / events * 1e6
        return dict(sorted(rows.items(), key=lambda item: -item[1]))


class StageSampler:
    """Samples the main thread's stack at every millisecond of process CPU until stopped; use as a
    context manager around the work, from the main thread (signal handlers run only there)."""

    def __init__(self, interval: float = INTERVAL) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the stage sampler measures the main thread and must be started there")
        self._interval = interval
        self._seconds: defaultdict[str, float] = defaultdict(float)
        self._codes: dict[CodeType, str | None] = {}
        self._samples = 0
        self._last = 0.0
        self._process_started = 0.0
        self._previous: Any = None
        self.profile = StageProfile()

    def __enter__(self) -> StageSampler:
        self._process_started = time.process_time()
        self._last = time.thread_time()
        self._previous = signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self._interval, self._interval)
        return self

    def __exit__(self, *exc_info: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self._previous)
        process = time.process_time() - self._process_started
        self.profile = StageProfile(dict(self._seconds), process, self._samples)

    def _stage(self, frame: FrameType | None) -> str:
        codes = self._codes
        while frame is not None:
            code = frame.f_code
            if code not in codes:
                codes[code] = _stage_of_code(code)
            stage = codes[code]
            if stage is not None:
                return stage
            frame = frame.f_back
        return OTHER

    def _sample(self, signum: int, frame: FrameType | None) -> None:
        now = time.thread_time()
        self._seconds[self._stage(frame)] += now - self._last
        self._samples += 1
        self._last = time.thread_time()
        self._seconds[SAMPLER] += self._last - now  # the handler's own cost, shown as such
