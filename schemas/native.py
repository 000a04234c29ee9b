"""The native core (Rust, ``native/``, built by ``pip install``), when it is importable.

It holds two pieces, each run instead of a Python reference that stays the definition:

* the Avro codec: a schema compiled once (:func:`program`) encodes a record and decodes a body
  with the bytes and values of ``fastavro.schemaless_writer`` / ``schemaless_reader``
  (:mod:`schemas.wire` uses it, fastavro where it is off or declines a record);
* rule 11's search: the same matches as :func:`policies.textmatch.find` (:mod:`policies.scrub`).

``AVAILABLE`` is False where the extension was not built, or with ``PENTAMETER_NATIVE=0`` (to
measure or compare against the Python references); everything then runs in Python, and a log line
says so (``STATUS`` holds it), so a slower run is never a mystery.
"""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["AVAILABLE", "STATUS", "core", "program"]

log = logging.getLogger("pentameter.native")

try:
    from schemas import _native as core
except ImportError as missing:  # a build without the extension: the product runs on the references
    AVAILABLE = False
    STATUS = f"native core not built ({missing}); running the Python reference (fastavro, policies.textmatch)"
    log.warning(STATUS)
else:
    AVAILABLE = os.environ.get("PENTAMETER_NATIVE", "1") != "0"
    if AVAILABLE:
        STATUS = "native core on (Avro codec and rule 11 search in Rust)"
    else:
        STATUS = "native core off (PENTAMETER_NATIVE=0); running the Python reference"
        log.info(STATUS)


def program(parsed: Any) -> core.Program | None:
    """The native program of a fastavro-parsed schema, or None (the core is off, or the schema
    has a logical type other than date, timestamp-millis and uuid)."""
    if not AVAILABLE:
        return None
    try:
        return core.compile(parsed)
    except core.SchemaError:
        return None
