"""Prometheus metrics for the router and partner consumers, and structured JSON logs.

Metrics carry counts and timings only, labelled by partner, reason or topic: never a field value.
Each process serves its own registry on ``--metrics-port`` (``/metrics``), so a router worker and
a partner consumer on one machine do not collide. The server listens on the loopback interface
unless told otherwise (``--metrics-bind`` or ``PENTAMETER_METRICS_BIND``): counts of refused
records per partner are not for every machine on the network.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

METRICS_BIND_VARIABLE = "PENTAMETER_METRICS_BIND"
LOOPBACK = "127.0.0.1"


def metrics_bind(explicit: str | None = None) -> str:
    """The address a metrics server listens on: the one given, else the variable, else loopback."""
    return explicit or os.environ.get(METRICS_BIND_VARIABLE) or LOOPBACK


def serve_registry(registry: CollectorRegistry, port: int, bind: str | None = None) -> None:
    """Expose ``registry`` on ``http://BIND:PORT/metrics`` (see :func:`metrics_bind`)."""
    start_http_server(port, addr=metrics_bind(bind), registry=registry)


class RouterMetrics:
    """What an operator watches on a router worker."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_in = Counter(
            "pentameter_router_events_in", "Ingress events consumed and decided", registry=r
        )
        self.records_out = Counter(
            "pentameter_router_records_out", "Partner records produced", ["partner_topic"], registry=r
        )
        self.withheld = Counter(
            "pentameter_router_fields_withheld",
            "Fields withheld from delivered records",
            ["partner"],
            registry=r,
        )
        self.denied = Counter(
            "pentameter_router_events_denied", "Events a partner received nothing of", ["partner"], registry=r
        )
        self.dead_letters = Counter(
            "pentameter_router_dead_letters",
            "Ingress records sent to the dead-letter topic",
            ["reason"],
            registry=r,
        )
        self.aborts = Counter("pentameter_router_transaction_aborts", "Transactions aborted", registry=r)
        self.commit_seconds = Histogram(
            "pentameter_router_transaction_seconds",
            "Time to produce, send offsets and commit one batch",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.lag = Gauge(
            "pentameter_router_lag",
            "Ingress records not yet routed, per assigned partition",
            ["partition"],
            registry=r,
        )

    def serve(self, port: int, bind: str | None = None) -> None:
        """Expose ``/metrics`` on ``port`` (loopback unless ``bind`` or the variable says otherwise)."""
        serve_registry(self.registry, port, bind)


class PartnerMetrics:
    """What a partner watches on its consumer."""

    def __init__(self, partner: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.partner = partner
        self.records = Counter(
            "pentameter_partner_records", "Records read and verified", ["partner"], registry=r
        )
        self.refused = Counter(
            "pentameter_partner_records_refused",
            "Records failing provenance or decoding",
            ["partner"],
            registry=r,
        )
        self.opened = Counter(
            "pentameter_partner_fields_decrypted", "Fields decrypted", ["partner"], registry=r
        )
        self.lag = Gauge(
            "pentameter_partner_lag", "Records on the topic not yet read", ["partner"], registry=r
        )

    def serve(self, port: int, bind: str | None = None) -> None:
        """Expose ``/metrics`` on ``port`` (loopback unless ``bind`` or the variable says otherwise)."""
        serve_registry(self.registry, port, bind)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields given
    (event ids, sources, reasons). Callers never pass field values of records."""

    RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(json_logs: bool, level: int = logging.INFO) -> None:
    """Plain text for people at a terminal, JSON lines for log collectors."""
    handler = logging.StreamHandler()
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
