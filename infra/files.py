"""Writing state files so that a reader never sees half of one (keys, credentials, revocations)."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file with ``mode`` beside ``path``, then rename it over ``path``.

    The temporary file is created with ``mode`` from the start, so a secret is never readable by
    others, not even for a moment.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, mode)  # an existing temporary file keeps its old mode through O_CREAT
    os.replace(tmp, path)
