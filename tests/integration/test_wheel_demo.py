"""The product as a user installs it: the wheel (not the checkout) in a fresh virtual environment,
run from another directory, starts its broker and runs the demo end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from infra.ports import free_port_range
from infra.settings import load_settings
from tests.support.imports import CHECKOUT

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

OUTER = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "PENTAMETER_PRINCIPAL",
    "PENTAMETER_TOPIC_PREFIX",
    "PENTAMETER_COMMAND_CONFIG",
)


def _run(command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command[-3:])}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def test_the_wheel_installs_and_runs_the_demo_from_any_directory(tmp_path: Path) -> None:
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(CHECKOUT), "--no-deps", "--quiet", "-w", str(dist)],
        check=True,
        timeout=600,
    )
    (wheel,) = dist.glob("pentameter-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [venv / "bin" / "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True, timeout=300
    )

    env = {k: v for k, v in os.environ.items() if k not in OUTER}
    env |= {
        # the dependencies come from the test's own environment; the product only from the wheel
        # (a path on PYTHONPATH runs no .pth file, so the checkout's editable install stays out)
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "PENTAMETER_HOME": str(tmp_path / "home"),
        "PENTAMETER_KAFKA_CACHE": str(load_settings().kafka_cache),
        "PENTAMETER_BROKER_PORT": str(free_port_range(2, from_top=True)),
    }
    pentameter = str(venv / "bin" / "pentameter")
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import pentameter; print(pentameter.__file__)"],
        env,
        elsewhere,
        60,
    )
    assert where.strip().startswith(str(venv)), f"the product must come from the wheel, not {where}"
    _run([pentameter, "broker", "up"], env, elsewhere, 300)
    try:
        out = _run([pentameter, "demo", "--scale", "0.05", "--no-dashboard"], env, elsewhere, 900)
    finally:
        subprocess.run([pentameter, "broker", "down", "--wipe"], env=env, cwd=elsewhere, timeout=120)
    assert "verified" in out and "NOT verified" not in out, out[-3000:]  # exit 0: every check matched
    bench = subprocess.run(
        [pentameter, "bench", "route"], env=env, cwd=elsewhere, capture_output=True, text=True
    )
    assert bench.returncode == 2 and "not installed" in bench.stdout + bench.stderr
