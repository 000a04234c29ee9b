"""A router process whose batch is stuck exits with its stacks, so a supervisor can restart it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from infra.settings import PROJECT_ROOT

PROGRAM = textwrap.dedent(
    """
    import time
    from types import SimpleNamespace
    from consumers.router import Router, RouterSettings

    watch = Router._stall_watch(SimpleNamespace(settings=RouterSettings(stall_exit_seconds={limit})))
    with watch:
        time.sleep({work})
    print("committed", flush=True)
    """
)


def _run(limit: float | None, work: float) -> subprocess.CompletedProcess[str]:
    program = PROGRAM.format(limit=limit, work=work)
    return subprocess.run(
        [sys.executable, "-c", program], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )


def test_a_batch_stuck_past_the_limit_ends_the_process_with_its_stacks() -> None:
    result = _run(limit=0.5, work=10)
    assert result.returncode == 1
    assert "committed" not in result.stdout
    assert "Timeout" in result.stderr  # faulthandler names the stall before the stacks
    assert "time.sleep" in result.stderr or "<module>" in result.stderr


def test_a_batch_within_the_limit_cancels_the_watch() -> None:
    result = _run(limit=1.0, work=0.1)
    assert result.returncode == 0 and "committed" in result.stdout


def test_in_process_routers_never_exit() -> None:
    result = _run(limit=None, work=0.2)
    assert result.returncode == 0 and "committed" in result.stdout


STEP_PROGRAM = textwrap.dedent(
    """
    import time
    from types import SimpleNamespace
    from consumers.router import Router, RouterSettings

    router = SimpleNamespace(settings=RouterSettings(stall_exit_seconds={limit}))
    started = time.monotonic()
    with Router._stall_watch(router):
        with Router._step_limit(router, {step}):
            time.sleep({in_step})
        print("step done", flush=True)
        time.sleep({after})
    print("committed", round(time.monotonic() - started, 1), flush=True)
    """
)


def _run_step(limit: float, step: float, in_step: float, after: float) -> subprocess.CompletedProcess[str]:
    program = STEP_PROGRAM.format(limit=limit, step=step, in_step=in_step, after=after)
    return subprocess.run(
        [sys.executable, "-c", program], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )


def test_a_step_stuck_past_its_own_limit_exits_long_before_the_batch_limit() -> None:
    result = _run_step(limit=30, step=0.5, in_step=20, after=0)
    assert result.returncode == 1
    assert "step done" not in result.stdout
    assert "Timeout (0:00:00.500000)!" in result.stderr


def test_after_a_step_the_batch_gets_the_whole_limit_again() -> None:
    result = _run_step(limit=1.5, step=0.5, in_step=0.1, after=1.0)  # 1.0 s after the step: within 1.5
    assert result.returncode == 0 and "committed" in result.stdout


def test_after_a_step_the_batch_limit_still_applies() -> None:
    result = _run_step(limit=1.0, step=0.5, in_step=0.1, after=10)
    assert result.returncode == 1 and "step done" in result.stdout and "committed" not in result.stdout


def test_in_process_routers_have_no_step_limit() -> None:
    program = STEP_PROGRAM.replace("stall_exit_seconds={limit}", "stall_exit_seconds=None")
    result = subprocess.run(
        [sys.executable, "-c", program.format(limit=0, step=0.1, in_step=0.3, after=0)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and "committed" in result.stdout
