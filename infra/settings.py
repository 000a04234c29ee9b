"""Settings read from the environment, declared once with their defaults and meaning.

Every knob an operator may turn is in :data:`VARIABLES` (name, default, meaning): `pentameter
config show` prints it with each value in force and where it came from, and the README's
configuration table is checked against it. Values come from command-line flags (which set the
variable for their command: ``--bootstrap-server``, ``--command-config``), then environment
variables, then the defaults; nothing is read from hidden files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AUTH_METHODS = ("scram", "tls")


@dataclass(frozen=True)
class Variable:
    """One setting: its environment variable, its default as a person reads it, what it does."""

    name: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "KAFKA_BOOTSTRAP_SERVERS",
        "unset",
        "use this cluster instead of the local broker (demo, tests, every client); "
        "`--bootstrap-server` on a command",
    ),
    Variable(
        "PENTAMETER_COMMAND_CONFIG",
        "unset",
        "librdkafka client properties (`key=value` lines, as kcat -F and Kafka's tools take) added to "
        "every client's settings; `--command-config` on a command",
    ),
    Variable(
        "PENTAMETER_TOPIC_PREFIX",
        "empty",
        "prepended to every topic, group and transactional id: several environments share one cluster",
    ),
    Variable(
        "PENTAMETER_HOME",
        "`.pentameter/` of the checkout (installed from the wheel: `~/.local/share/pentameter`)",
        "state: jar cache, broker data and logs, key store",
    ),
    Variable(
        "PENTAMETER_KAFKA_CACHE",
        "`$PENTAMETER_HOME/kafka`",
        "where the Kafka jars are kept (share one across clones)",
    ),
    Variable(
        "PENTAMETER_BROKER_PORT",
        "`9092`",
        "first port of the local broker; node *i* uses `port+2i` (clients) and `port+2i+1` (controller)",
    ),
    Variable("PENTAMETER_BROKER_HEAP", "`768m`", "Java heap per local node"),
    Variable("PENTAMETER_SECURE_BROKER_PORT", "`9192`", "first port of the secure local cluster"),
    Variable(
        "PENTAMETER_PRINCIPAL",
        "unset",
        "connect every client to the secure cluster as this principal (`agency-<id>`, `partner-<id>`, "
        "`router`, `operator`)",
    ),
    Variable(
        "PENTAMETER_AUTH",
        "`scram`",
        "how that principal authenticates: `scram` (SASL SCRAM-SHA-512) or `tls` (its client certificate)",
    ),
    Variable("PENTAMETER_METRICS_PORT", "off", "Prometheus port of a router or partner consumer"),
    Variable(
        "PENTAMETER_METRICS_BIND",
        "`127.0.0.1`",
        "address the Prometheus endpoints listen on (`0.0.0.0`: every interface)",
    ),
    Variable("PENTAMETER_WEB_BIND", "`127.0.0.1`", "address the analytics dashboard listens on"),
    Variable("PENTAMETER_LOG_JSON", "off", "JSON log lines (event ids and reasons, never field values)"),
    Variable(
        "PENTAMETER_PARTNER_KIT",
        "unset",
        'the kit `partner consume` reads with (see "A partner\'s front door")',
    ),
    Variable(
        "PENTAMETER_PSEUDONYM_SECRET",
        "unset",
        "hex pseudonym secret for a program that builds its own engine (`PseudonymSecrets.from_env`); "
        "the router reads its own from the key store",
    ),
    Variable(
        "PENTAMETER_NATIVE",
        "`1`",
        "`0` runs the Python references (fastavro, `policies/textmatch.py`) instead of the native core, "
        "to compare or measure; read once when a process starts",
    ),
    Variable("JAVA_HOME", "from `PATH`", "the Java 17+ used to run Kafka"),
    Variable("MVN", "`mvn` from `PATH`", "the Maven used to fetch the Kafka jars from Maven Central"),
)


def configuration_table() -> list[str]:
    """The README's configuration table, rendered from :data:`VARIABLES`."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    return rows + [f"| `{v.name}` | {v.default} | {v.meaning} |" for v in VARIABLES]


def in_force() -> list[tuple[Variable, str | None]]:
    """Each variable with its value in this environment (None: unset, so its default holds)."""
    return [(v, os.environ.get(v.name) or None) for v in VARIABLES]


def default_home() -> Path:
    """Where state lives without ``PENTAMETER_HOME``: ``.pentameter/`` of the checkout when running
    from one (an editable install), else the user's data directory (``$XDG_DATA_HOME/pentameter``,
    ``~/.local/share/pentameter`` by default), never inside site-packages."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / ".pentameter"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "pentameter"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_optional_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else None


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from exc


@dataclass(frozen=True)
class Settings:
    """Where state lives and how to reach Kafka.

    - ``PENTAMETER_HOME``: state directory (jar cache, broker data, keys); default
      ``<checkout>/.pentameter`` (git-ignored) when running from a checkout, else the user's data
      directory (:func:`default_home`).
    - ``KAFKA_BOOTSTRAP_SERVERS``: an existing cluster to use instead of the local broker.
    - ``PENTAMETER_KAFKA_CACHE``: where fetched Kafka jars are kept (default ``$PENTAMETER_HOME/kafka``);
      point several clones at one cache to fetch once.
    - ``PENTAMETER_BROKER_PORT``: first client port of the local broker (default 9092); node ``i``
      listens on ``port + 2*i`` for clients and ``port + 2*i + 1`` for its controller.
    - ``PENTAMETER_SECURE_BROKER_PORT``: first client port of the secure local broker (``broker up
      --secure``: SASL SCRAM and ACLs), default 9192, laid out like the plain one, then one
      mutual-TLS port per node: node ``i`` of ``n`` on ``port + 2n + i``; its state lives in
      ``$PENTAMETER_HOME/broker-secure`` so both can run side by side.
    - ``PENTAMETER_PRINCIPAL``: when set, every client connects to the secure cluster as this
      principal (SASL SCRAM-SHA-512, password from the secure broker's credential store).
    - ``PENTAMETER_AUTH``: how that principal authenticates: ``scram`` (default) or ``tls``, mutual
      TLS with a client certificate from the secure cluster's CA (issued on first use) on the
      TLS listeners.
    - ``PENTAMETER_BROKER_HEAP``: Java heap per local node (default ``768m``).
    - ``PENTAMETER_TOPIC_PREFIX``: prepended to every topic name (default none), so several
      environments or test runs can share one cluster without seeing each other's records.
    - ``JAVA_HOME`` / ``MVN``: the Java 17+ runtime and Maven used to fetch and run Kafka.
    """

    home: Path = field(default_factory=lambda: _env_path("PENTAMETER_HOME", default_home()))
    bootstrap_servers: str | None = field(
        default_factory=lambda: os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None
    )
    broker_port: int = field(default_factory=lambda: _env_int("PENTAMETER_BROKER_PORT", 9092))
    secure_broker_port: int = field(default_factory=lambda: _env_int("PENTAMETER_SECURE_BROKER_PORT", 9192))
    principal: str | None = field(default_factory=lambda: os.environ.get("PENTAMETER_PRINCIPAL") or None)
    auth: str = field(default_factory=lambda: os.environ.get("PENTAMETER_AUTH") or "scram")
    broker_heap: str = field(default_factory=lambda: os.environ.get("PENTAMETER_BROKER_HEAP", "768m"))

    topic_prefix: str = field(default_factory=lambda: os.environ.get("PENTAMETER_TOPIC_PREFIX", ""))
    kafka_cache_override: Path | None = field(
        default_factory=lambda: _env_optional_path("PENTAMETER_KAFKA_CACHE")
    )
    command_config: Path | None = field(
        default_factory=lambda: _env_optional_path("PENTAMETER_COMMAND_CONFIG")
    )

    def __post_init__(self) -> None:
        if self.auth not in AUTH_METHODS:
            raise ValueError(f"PENTAMETER_AUTH={self.auth!r} is not one of {', '.join(AUTH_METHODS)}")

    def topic(self, name: str) -> str:
        """A topic or group name as deployed: the registry's name behind this deployment's prefix.

        The one place the prefix is put on a name, so deployments sharing a cluster never mix.
        """
        return self.topic_prefix + name

    @property
    def kafka_cache(self) -> Path:
        """Jars fetched from Maven Central, reused across runs."""
        return self.kafka_cache_override or self.home / "kafka"

    @property
    def broker_dir(self) -> Path:
        """Data, logs, configs and pid files of the local nodes."""
        return self.home / "broker"

    @property
    def secure_broker_dir(self) -> Path:
        """The secure local cluster's nodes and its credential store (``credentials.json``, 0600)."""
        return self.home / "broker-secure"


def load_settings() -> Settings:
    """Read the settings from the current environment (call again after changing it)."""
    return Settings()
