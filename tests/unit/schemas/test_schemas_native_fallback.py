"""Without the native core the product runs on its Python references, and says so in its log.

Each case runs in a fresh interpreter (the core is chosen once, at import): one where the
extension cannot be imported, as in a build without Rust, and one with ``PENTAMETER_NATIVE=0``.
Both must encode, decode and route with rule 11's scrubbing exactly as with the core on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

BLOCK_EXTENSION = """
import sys

class NoExtension:
    def find_spec(self, name, path=None, target=None):
        if name == "schemas._native":
            raise ImportError("no module named 'schemas._native'")
        return None

sys.meta_path.insert(0, NoExtension())
"""

LOG_INFO = "import logging\nlogging.basicConfig(level=logging.INFO)\n"

ROUTE = """
import json
import random
from datetime import date

from policies.crypto import InMemoryKeyRing
from policies.engine import PolicyEngine
from policies.pseudonyms import PseudonymSecrets
from policies.textmatch import TextSearch, ValueIndex
from schemas import Codec, load_catalogue, native, sample
from tests.support.leaks import plant

catalogue = load_catalogue()
codec = Codec(catalogue)
engine = PolicyEngine.load(
    catalogue,
    secrets=PseudonymSecrets(b"k" * 32),
    encryptor=InMemoryKeyRing().encryptor(),
    today=date.today(),
)
same, deliveries, scrubbed = True, 0, 0
for event_type in ("IntelligenceReport", "NRMReferral", "PotentialVictimEncounter"):
    record = sample(event_type)
    plant(record, catalogue.latest(event_type), random.Random(7))  # withheld values in free text
    _, decoded = codec.decode(codec.encode(event_type, record))
    same = same and decoded == record
    for d in engine.route(event_type, decoded).deliveries:
        deliveries += 1
        scrubbed += sum(n for kinds in d.scrubbed.values() for n in kinds.values())
print(json.dumps({
    "available": native.AVAILABLE,
    "program": catalogue.latest("IntelligenceReport").program is not None,
    "python_search": TextSearch(ValueIndex([]))._core is None,
    "same": same,
    "deliveries": deliveries,
    "scrubbed": scrubbed,
}))
"""


def _run(prelude: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", prelude + ROUTE],
        cwd=ROOT,
        env={**os.environ, "PENTAMETER_NATIVE": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def with_core() -> str:
    return _run("").stdout


@pytest.mark.parametrize(
    ("prelude", "env", "logged"),
    [
        (BLOCK_EXTENSION, {}, "native core not built"),
        (LOG_INFO, {"PENTAMETER_NATIVE": "0"}, "native core off"),
    ],
    ids=["extension-missing", "PENTAMETER_NATIVE=0"],
)
def test_without_the_core_everything_runs_on_the_references(
    with_core: str, prelude: str, env: dict[str, str], logged: str
) -> None:
    result = _run(prelude, **env)
    assert logged in result.stderr, result.stderr
    assert '"available": false, "program": false, "python_search": true' in result.stdout
    assert '"available": true, "program": true, "python_search": false' in with_core
    # the same routing either way: decoded records, deliveries and spans scrubbed
    assert result.stdout.split(', "same"')[1] == with_core.split(', "same"')[1]
    assert '"same": true' in with_core
    assert '"scrubbed": 0}' not in with_core  # rule 11 had work to do
