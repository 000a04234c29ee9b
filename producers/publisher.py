"""The agency SDK: validate, seal, encode and produce one agency's events to its ingress topic.

One object per agency, so its id, signing key and topic cannot be mixed up::

    with AgencyPublisher("police.gloucestershire") as publisher:
        publisher.publish(record)            # RecordInvalid at once if the record is bad

What :meth:`AgencyPublisher.publish` does, in order, and why:

1. validate the record (:func:`schemas.validation.check`): every issue names the record, the field
   and the reason, and the caller gets it as :class:`~schemas.exceptions.RecordInvalid` before
   anything is sent, so a bad row never half-enters the system;
2. check ``envelope.origin_agency`` is this agency: the router rejects events signed by one agency
   that claim another, so catch it here where the caller can still fix it;
3. encode the record as a single-object Avro value (:mod:`schemas.wire`);
4. add it to the current provenance batch (:mod:`producers.batching`); a batch is sealed and
   produced when it is full (``batch_size``), when its first event has waited ``linger_ms`` (checked
   on publish, on :meth:`poll` and by a small timer thread), or on :meth:`flush`.

Events are produced idempotently (``enable.idempotence``, ``acks=all``) keyed by the envelope's
case id, or the event id when there is none, so one case's events stay in order on one partition.
Delivery failures reach the caller twice: the ``on_delivery`` callback gets a
:class:`DeliveryReport` with the error, and :meth:`flush`/:meth:`close` raise
:class:`~producers.exceptions.DeliveryFailed` listing the event ids not delivered.

Delivery callbacks run on whichever thread polls the producer: the caller's (publish, poll,
flush) or the publisher's timer thread. Publish from one thread at a time.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from infra.connection import bootstrap_servers as default_bootstrap_servers
from infra.keys import KeyStore
from infra.settings import load_settings
from producers.agencies import agency as lookup_agency
from producers.agencies import deployed_ingress_topic
from producers.batching import ProvenanceBatch, Sealed
from producers.checks import check_event
from producers.exceptions import DeliveryFailed, PublisherClosed, Undelivered
from schemas.catalogue import Catalogue, default_catalogue
from schemas.exceptions import RecordInvalid
from schemas.provenance import Signer
from schemas.validation import Issue
from schemas.wire import Codec

DEFAULT_BATCH_SIZE = 500
DEFAULT_LINGER_MS = 5.0

_FIXED = {"enable.idempotence": True, "acks": "all"}
"""Delivery guarantees every publisher keeps; overrides that weaken them are refused."""
_DEFAULTS: dict[str, Any] = {
    "linger.ms": 5,
    "batch.num.messages": 10_000,
    "queue.buffering.max.messages": 1_000_000,
    "compression.type": "lz4",
}
"""librdkafka defaults suited to many small events; any of them may be overridden."""


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What happened to one published event."""

    event_id: str
    topic: str
    partition: int | None
    offset: int | None
    error: KafkaError | None

    @property
    def ok(self) -> bool:
        return self.error is None


DeliveryCallback = Callable[[DeliveryReport], None]


def publisher_config(
    agency: str, bootstrap_servers: str | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The librdkafka configuration of an agency's producer.

    Dotted librdkafka keys pass straight through; librdkafka itself refuses unknown keys when the
    producer is made. Overrides may tune anything except the delivery guarantees.
    """
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers or default_bootstrap_servers(),
        "client.id": f"pentameter-{agency}",
        **_DEFAULTS,
    }
    for key, value in (overrides or {}).items():
        if key == "enable.idempotence" and value not in (True, "true"):
            raise ValueError("enable.idempotence cannot be turned off: publishers never duplicate events")
        if key == "acks" and str(value) not in ("all", "-1"):
            raise ValueError(f"acks={value!r} is refused: publishers wait for all in-sync replicas")
        config[key] = value
    config.update(_FIXED)
    return config


class AgencyPublisher:
    """Publishes one agency's events to its ingress topic, validated, signed and in case order.

    ``topic`` defaults to the agency's ingress topic (with the environment's topic prefix);
    ``config`` holds librdkafka overrides;
    ``signer`` defaults to the agency's key from the key store (created on first use).
    """

    def __init__(
        self,
        agency: str,
        *,
        topic: str | None = None,
        bootstrap_servers: str | None = None,
        config: Mapping[str, Any] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        linger_ms: float = DEFAULT_LINGER_MS,
        signer: Signer | None = None,
        catalogue: Catalogue | None = None,
        timer: bool = True,
    ) -> None:
        lookup_agency(agency)  # UnknownAgency before any resource is taken
        self.agency = agency
        self.topic = topic or deployed_ingress_topic(agency)
        if signer is None:
            signer = Signer(agency, KeyStore(load_settings().home / "keys").signing_key(agency))
        elif signer.agency != agency:
            raise ValueError(f"signer is for {signer.agency!r}, not {agency!r}")
        self.signer = signer
        self._catalogue = catalogue if catalogue is not None else default_catalogue()
        self._codec = Codec(self._catalogue)
        self._producer = Producer(publisher_config(agency, bootstrap_servers, config))
        self._batch = ProvenanceBatch(signer, batch_size, linger_ms / 1000.0)
        self._lock = threading.RLock()  # a delivery callback may publish
        self._seq = itertools.count()
        self._in_flight: dict[int, str] = {}
        self._failures: list[Undelivered] = []
        self._reports_lock = threading.Lock()  # delivery reports may be served on two threads
        self._callback_errors: list[Exception] = []
        self._closed = False
        self.published = 0
        """Events accepted (validated and buffered) so far."""
        self.delivered = 0
        """Events the broker acknowledged so far."""
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        if timer:
            self._timer = threading.Thread(target=self._tick, name=f"pentameter-linger-{agency}", daemon=True)
            self._timer.start()

    def check(self, record: Mapping[str, Any], *, identity: str | None = None) -> list[Issue]:
        """Every reason :meth:`publish` would refuse ``record`` (empty when it would take it); sends
        nothing."""
        return check_event(record, self.agency, identity=identity, catalogue=self._catalogue)[1]

    # -- the hot path ----------------------------------------------------------------------------

    def publish(
        self,
        record: Mapping[str, Any],
        on_delivery: DeliveryCallback | None = None,
        *,
        identity: str | None = None,
    ) -> str:
        """Validate, encode and buffer one event; returns its event id.

        Raises RecordInvalid (nothing sent) when the record breaks its schema, the domain rules,
        or claims another origin agency. ``identity`` names the record in issues (e.g.
        ``"line 12"``).
        """
        if self._closed:
            raise PublisherClosed(f"publisher for {self.agency!r} is closed")
        converted, issues = check_event(record, self.agency, identity=identity, catalogue=self._catalogue)
        if converted is None:
            raise RecordInvalid(issues)
        envelope = converted["envelope"]
        entry = self._catalogue.get(envelope["event_type"], envelope["schema_version"])
        value = self._codec.encode(entry, converted)
        event_id = str(envelope["event_id"])
        key = (envelope["case_id"] or event_id).encode()
        with self._lock:
            batch = self._batch
            if batch.add(key, value, (event_id, on_delivery)) or batch.due():
                self._produce(batch.seal())
        self.published += 1
        return event_id

    def _produce(self, sealed: Sealed | None) -> None:
        """Hand a sealed batch to librdkafka (caller holds the lock, so batches keep order)."""
        if sealed is None:
            return
        producer = self._producer
        produce = producer.produce
        topic = self.topic
        in_flight = self._in_flight
        delivered = self._delivered
        seq = self._seq
        for key, value, (event_id, callback), headers in zip(
            sealed.keys, sealed.values, sealed.tags, sealed.headers, strict=True
        ):
            number = next(seq)
            in_flight[number] = event_id
            report = partial(delivered, number, event_id, callback)
            while True:
                try:
                    produce(topic, value, key, on_delivery=report, headers=cast(Any, headers))
                    break
                except BufferError:  # local queue full: serve delivery reports, then retry
                    producer.poll(0.05)
                except KafkaException as exc:  # refused locally (e.g. too large): report, go on
                    error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
                    self._refused(number, event_id, callback, error or KafkaError(KafkaError._FAIL, str(exc)))
                    break
        producer.poll(0)

    def _refused(
        self, number: int, event_id: str, callback: DeliveryCallback | None, error: KafkaError
    ) -> None:
        self._in_flight.pop(number, None)
        with self._reports_lock:
            self._failures.append(Undelivered(event_id, error.str()))
        if callback is not None:
            callback(DeliveryReport(event_id, self.topic, None, None, error))

    def _delivered(
        self,
        number: int,
        event_id: str,
        callback: DeliveryCallback | None,
        error: KafkaError | None,
        message: Message,
    ) -> None:
        self._in_flight.pop(number, None)
        with self._reports_lock:
            if error is None:
                self.delivered += 1
            else:
                self._failures.append(Undelivered(event_id, error.str()))
        if callback is not None:
            ok = error is None
            callback(
                DeliveryReport(
                    event_id,
                    message.topic() or self.topic,
                    message.partition() if ok else None,
                    message.offset() if ok else None,
                    error,
                )
            )

    # -- time and completion ---------------------------------------------------------------------

    def poll(self, timeout: float = 0.0) -> int:
        """Seal the batch if it has lingered long enough, then serve delivery reports.

        Returns the number of delivery reports served.
        """
        with self._lock:
            if self._batch.due():
                self._produce(self._batch.seal())
        served: int = self._producer.poll(timeout)
        return served

    def _tick(self) -> None:
        interval = max(self._batch.linger, 0.001)
        while not self._stop.wait(interval):
            try:
                self.poll(0)
            except Exception as exc:  # a caller's callback failed on this thread
                self._callback_errors.append(exc)

    @property
    def pending(self) -> int:
        """Events buffered or in flight (not yet acknowledged or failed)."""
        return len(self._batch) + len(self._in_flight)

    def flush(self, timeout: float | None = None) -> None:
        """Seal and produce the open batch and wait for every delivery report.

        Raises DeliveryFailed listing the events that failed since the last flush, and those
        still unacknowledged when ``timeout`` seconds (default: until librdkafka's
        message.timeout.ms gives up on them) ran out.
        """
        with self._lock:
            self._produce(self._batch.seal())
        remaining = self._producer.flush(-1 if timeout is None else timeout)
        if self._callback_errors:
            error = self._callback_errors.pop(0)
            self._callback_errors.clear()
            raise error
        with self._reports_lock:
            failures, self._failures = self._failures, []
        if remaining:
            waited = "" if timeout is None else f" within {timeout:g} s"
            failures.extend(
                Undelivered(event_id, f"not acknowledged{waited}")
                for event_id in list(self._in_flight.values())
            )
        if failures:
            raise DeliveryFailed(failures)

    def close(self, timeout: float | None = None) -> None:
        """Flush and stop the timer; DeliveryFailed as for :meth:`flush`. Safe to call twice."""
        if self._closed:
            return
        try:
            self.flush(timeout)
        finally:
            self._closed = True
            self._stop.set()
            if self._timer is not None:
                self._timer.join()

    def __enter__(self) -> AgencyPublisher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
