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
