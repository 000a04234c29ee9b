"""Client properties files: ``key=value`` lines, as kcat ``-F`` and Kafka's own tools read them.

Used for ``--command-config`` / ``PENTAMETER_COMMAND_CONFIG`` and for a partner kit's
``client.properties``. Secrets live in these files, so they are written readable by the owner only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.exceptions import InfraError


class PropertiesError(InfraError, ValueError):
    """A properties file that cannot be read; the message names the file and line."""


def read_properties(path: Path) -> dict[str, str]:
    """``key=value`` lines (``#``/``!`` comments and blank lines ignored)."""
    if not path.is_file():
        raise PropertiesError(f"{path}: no such file")
    settings: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise PropertiesError(f"{path}:{number}: expected key=value, got {line[:40]!r}")
        settings[key.strip()] = value.strip()
    return settings


def write_properties(path: Path, settings: Mapping[str, Any], header: str) -> None:
    """Write ``settings`` as ``key=value`` lines, readable by the owner only (they hold secrets)."""
    lines = [f"# {header}", *(f"{k}={v}" for k, v in sorted(settings.items()))]
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
