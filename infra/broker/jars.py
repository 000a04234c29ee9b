"""Fetch the official Apache Kafka broker jars from Maven Central, once, into a reused cache.

Maven resolves ``kafka_2.13`` and ``kafka-tools`` (pinned in ``pom.xml`` beside this module) with
their runtime dependencies plus the log4j2 binding the POMs leave out. The copy lands in
``$PENTAMETER_HOME/kafka/<version>/libs``; a marker file makes later calls instant.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from infra.broker.errors import FetchFailed, ToolMissing

POM = Path(str(resources.files("infra.broker") / "pom.xml"))
KAFKA_VERSION = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text()).group(1)  # type: ignore[union-attr]


def libs_dir(cache: Path) -> Path:
    """Directory holding the jars for the pinned Kafka version."""
    return cache / KAFKA_VERSION / "libs"


def jars_present(cache: Path) -> bool:
    """True when a complete earlier fetch left its marker."""
    return (libs_dir(cache) / ".complete").exists()


def ensure_jars(cache: Path, mvn: str | None = None, quiet: bool = True) -> Path:
    """Return the libs directory, fetching with Maven first when the cache is empty."""
    target = libs_dir(cache)
    if jars_present(cache):
        return target
    mvn_path = mvn or os.environ.get("MVN") or shutil.which("mvn")
    if mvn_path is None:
        raise ToolMissing(
            "Maven (mvn) is not on PATH; it fetches the Kafka jars from Maven Central. "
            "Install it (e.g. `apt-get install maven`) or set KAFKA_BOOTSTRAP_SERVERS to use "
            "an existing cluster."
        )
    staging = target.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    cmd = [
        mvn_path,
        "-B",
        *(["-q"] if quiet else []),
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
        "-Dmdep.includeScope=runtime",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        raise FetchFailed(f"mvn could not fetch Apache Kafka {KAFKA_VERSION}:\n{tail}")
    if not any(staging.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
        raise FetchFailed(f"mvn finished but kafka_2.13-{KAFKA_VERSION}.jar is missing in {staging}")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    (target / ".complete").write_text(KAFKA_VERSION + "\n")
    return target
