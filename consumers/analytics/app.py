"""The faust application: agents, tables and web views of the operation picture.

Data flow (each arrow a Kafka topic; the internal ones carry the app id as their prefix)::

    ncc partner topic --ingest--> figure-updates (key: force|region|week) --count--> figures table
                            \\--> sightings (key: kind|token[|profile]) --detect--> links + pentameter.links

``ingest`` decodes every record with the partner SDK (router provenance checked; a record that
fails is logged and counted, never used). Re-keying by place and week and by token puts each table
key on one partition, so several workers share the work correctly: a figure key
``metric|force|region|week`` always arrives in the update keyed ``force|region|week`` (one message
per record). The app runs with faust's exactly-once guarantee: it reads committed records only and
its outputs and table changes are committed with its input offsets.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import faust

from consumers.analytics import dashboard, figures, links
from consumers.cli import partner_reader
from consumers.partner import PartnerReader, RejectedRecord
from consumers.runtime import Runtime
from infra.topics import TopicSpec

PARTNER = "ncc"
APP_NAME = "pentameter.analytics"
LINKS_TOPIC = "pentameter.links"
WEB_BIND_VARIABLE = "PENTAMETER_WEB_BIND"
RECENT_ALERTS = 200
log = logging.getLogger(__name__)


@dataclass
class Picture:
    """What the worker holds besides its tables (for the dashboard and the tests)."""

    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_ALERTS))
    records: int = 0
    rejected: int = 0
    rejections: deque[str] = field(default_factory=lambda: deque(maxlen=50))


def _broker(bootstrap: str) -> str:
    return ";".join(f"kafka://{host.strip()}" for host in bootstrap.split(",") if host.strip())


def worker_topics(runtime: Runtime, partitions: int = 3, replication: int = 1) -> list[TopicSpec]:
    """Every topic the worker writes: the links topic, its re-keying topics and its tables'
    changelogs (compacted). Created ahead by whoever may create topics (the operator on the secure
    cluster), so the worker never depends on creating them itself."""
    app_id = runtime.topic(APP_NAME)
    internal = [f"{app_id}.figure-updates", f"{app_id}.sightings"]
    changelogs = [f"{app_id}-{table}-changelog" for table in ("figures", "links")]
    return (
        [TopicSpec(runtime.topic(LINKS_TOPIC))]
        + [TopicSpec(name, partitions, replication) for name in internal]
        + [TopicSpec(name, partitions, replication, {"cleanup.policy": "compact"}) for name in changelogs]
    )


def _credentials(client: dict[str, Any]) -> Any:
    """faust's SASL credentials when the runtime connects as a principal (the secure cluster)."""
    if "sasl.username" not in client:
        return None
    return faust.SASLCredentials(
        username=str(client["sasl.username"]),
        password=str(client["sasl.password"]),
        mechanism=str(client.get("sasl.mechanism", "SCRAM-SHA-512")),
    )


def _headers(raw: Any) -> list[tuple[str, bytes]]:
    items = raw.items() if isinstance(raw, dict) else (raw or [])
    return [(str(k), bytes(v or b"")) for k, v in items]


def create_app(
    runtime: Runtime,
    *,
    web_bind: str = "127.0.0.1",
    web_host: str = "127.0.0.1",
    web_port: int = 6066,
    partitions: int = 3,
    replication: int = 1,
    reader: PartnerReader | None = None,
) -> tuple[Any, Picture]:
    """A faust app reading ``runtime``'s ncc topic; returns the app and its in-memory picture.

    The dashboard listens on ``web_bind`` (loopback by default); ``web_host`` is only the name
    faust puts in the worker's URL, and faust's own default for the listening address is every
    interface, so both are always set here.
    """
    reader = reader or partner_reader(runtime, PARTNER)
    picture = Picture()
    datadir = runtime.settings.home / "analytics"  # faust's default is the working directory
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        runtime.topic(APP_NAME),
        broker=_broker(str(runtime.client["bootstrap.servers"])),
        broker_credentials=_credentials(runtime.client),
        processing_guarantee="exactly_once",
        # faust-streaming 0.15's wait-for-empty stop commits twice and fails the second commit
        # outside a transaction, then hangs; a single commit at stop is clean, and exactly once
        # still holds (what was not acknowledged is aborted and read again).
        stream_wait_empty=False,
        store="memory://",
        datadir=str(datadir / "{conf.name}-data"),
        web_bind=web_bind,
        web_host=web_host,
        web_port=web_port,
        web_enabled=True,
        topic_partitions=partitions,
        topic_replication_factor=replication,
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
    )
    source = app.topic(runtime.partner_topics[PARTNER], key_serializer="raw", value_serializer="raw")
    updates = app.topic(
        f"{runtime.topic(APP_NAME)}.figure-updates",
        internal=True,
        partitions=partitions,
        key_type=str,
        key_serializer="json",
        value_serializer="json",
    )
    sightings = app.topic(
        f"{runtime.topic(APP_NAME)}.sightings",
        internal=True,
        partitions=partitions,
        key_type=str,
        key_serializer="json",
        value_serializer="json",
    )
    alerts = app.topic(runtime.topic(LINKS_TOPIC), key_serializer="raw", value_serializer="json")
    as_json: Any = faust.Schema(key_serializer="json", value_serializer="json")
    figure_table = app.Table("figures", default=int, partitions=partitions, schema=as_json)
    link_table = app.Table("links", default=None, partitions=partitions, schema=as_json)

    @app.agent(source)
    async def ingest(stream: Any) -> None:
        async for event in stream.events():
            message = event.message
            item = reader.read(
                message.topic,
                message.partition,
                message.offset,
                message.key,
                message.value,
                _headers(message.headers),
            )
            if isinstance(item, RejectedRecord):
                picture.rejected += 1
                picture.rejections.append(f"{item.topic}/{item.partition}@{item.offset}: {item.reason}")
                log.warning("refused %s/%s@%s: %s", item.topic, item.partition, item.offset, item.reason)
                continue
            picture.records += 1
            for where, amounts in figures.grouped(figures.increments(item.record)).items():
                await updates.send(key=where, value=amounts)
            found = links.mentions(item.record)
            sighting = links.Sighting.of(item.record, found).as_dict()
            for mention in found:
                await sightings.send(key=mention.key, value={"mention": asdict(mention), **sighting})

    @app.agent(updates)
    async def count(stream: Any) -> None:
        async for where, amounts in stream.items():
            for metric, amount in amounts.items():
                figure_table[figures.SEPARATOR.join((metric, where))] += int(amount)

    @app.agent(sightings)
    async def detect(stream: Any) -> None:
        async for key, value in stream.items():
            mention = links.Mention(**value.pop("mention"))
            state, alert = links.observe(link_table.get(key), mention, value)
            link_table[key] = state
            if alert is not None:
                picture.recent.appendleft(alert)
                await alerts.send(key=mention.token.encode(), value=alert)

    def current_figures() -> dict[str, Any]:
        return figures.summarise(list(figure_table.items()))

    def current_links() -> list[dict[str, Any]]:
        linked = [dict(s) for s in link_table.values() if links.is_link(s)]
        return sorted(linked, key=lambda s: (str(s["last_seen"] or ""), s["token"]), reverse=True)

    @app.page("/api/figures")
    async def api_figures(web: Any, request: Any) -> Any:
        return web.json(current_figures())

    @app.page("/api/links")
    async def api_links(web: Any, request: Any) -> Any:
        return web.json({"links": current_links(), "recent_alerts": list(picture.recent)[:50]})

    @app.page("/api/status")
    async def api_status(web: Any, request: Any) -> Any:
        return web.json(
            {"records": picture.records, "rejected": picture.rejected, "rejections": list(picture.rejections)}
        )

    @app.page("/api/dashboard")
    async def api_dashboard(web: Any, request: Any) -> Any:
        now, linked = current_figures(), current_links()
        parts = dashboard.sections(now, linked)
        return web.json({"events": now.get("events", 0), "links": len(linked), "sections": parts})

    @app.page("/")
    async def index(web: Any, request: Any) -> Any:
        return web.html(dashboard.render(current_figures(), current_links()))

    return app, picture
