"""`pentameter analytics run`: the operation-picture worker with its dashboard."""

from __future__ import annotations

import logging

import typer
from confluent_kafka.admin import AdminClient

from clikit.group import command_group
from consumers.analytics.app import PARTNER, WEB_BIND_VARIABLE, create_app, worker_topics
from consumers.runtime import build_runtime
from infra.topics import TopicSpec, ensure_topics

analytics_app = command_group(
    help="The operation picture: live national figures and cross-force links for the coordination cell.",
)


@analytics_app.callback()
def analytics() -> None:
    """The operation picture: live national figures and cross-force links for the coordination cell."""


@analytics_app.command("run")
def run(
    web_bind: str = typer.Option(
        "127.0.0.1",
        envvar=WEB_BIND_VARIABLE,
        help="Address the dashboard listens on (0.0.0.0: every interface; the page shows figures "
        "and identifiers of the operation, so think before opening it to a network).",
    ),
    web_host: str = typer.Option(
        "127.0.0.1", help="Host name the worker gives in its own URL (what it listens on is --web-bind)."
    ),
    web_port: int = typer.Option(
        6066, help="Dashboard port: / (page), /api/dashboard, /api/figures, /api/links, /api/status."
    ),
    partitions: int = typer.Option(3, help="Partitions of the worker's internal topics and tables."),
    replication: int = typer.Option(1, help="Replication factor of the worker's internal topics."),
    loglevel: str = typer.Option("INFO", help="faust worker log level."),
) -> None:
    """Run an analytics worker: read the ncc topic, keep the figures and links, serve the dashboard.

    Link alerts are produced to pentameter.links (with the topic prefix). Stop with Ctrl-C.
    """
    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    runtime = build_runtime()
    topics = [TopicSpec(runtime.partner_topics[PARTNER]), *worker_topics(runtime, partitions, replication)]
    ensure_topics(AdminClient(runtime.client), topics)
    app, _ = create_app(
        runtime,
        web_bind=web_bind,
        web_host=web_host,
        web_port=web_port,
        partitions=partitions,
        replication=replication,
    )
    import faust  # the worker (not only the app) is needed here

    faust.Worker(app, loglevel=loglevel.upper()).execute_from_commandline()
