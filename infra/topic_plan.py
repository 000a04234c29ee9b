"""Topics as code: the topics the pipeline needs, what the cluster has, and the plan between them.

Three steps, kept apart so the diff can be tested without a broker:

1. **Desired state** (:func:`desired_state`, fed a deployment's topics by ``pentameter/topics_cli.py``):
   every topic of
   ``Runtime.topic_specs()``. Replication factor is the broker's ``default.replication.factor``;
   ``min.insync.replicas`` is 2 on ingress and partner topics when the cluster has 3 or more brokers;
   a partner topic keeps records as long as its agreement's retention period (``retention.max_days``,
   the longest when the partner has several agreement versions that set one).
2. **Actual state** (:func:`actual_state`): partitions, replication factor and the managed configs
   (:data:`MANAGED_KEYS`) of every topic under the deployment's namespace, read with the AdminClient.
3. **Plan** (:func:`diff`): create, alter config ``key old -> new``, add partitions, and (only with
   prune) delete topics in the namespace that nothing declares. Deleting a topic and shortening a
   retention lose data, so they are marked destructive. What Kafka cannot change in place
   (fewer partitions, another replication factor) is reported as a ``manual`` change.

Only the managed keys a topic declares are compared; any other config is left as the operator set it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from infra.exceptions import TopicPlanFailed
from infra.topics import TopicSpec

NAMESPACE = "pentameter."
"""Topics of the system are named ``<prefix>pentameter.…``; pruning never looks outside it."""

MANAGED_KEYS = ("retention.ms", "retention.bytes", "cleanup.policy", "min.insync.replicas")
"""Topic configs this tool owns (only where a topic declares them)."""

SHRINKING_KEYS = frozenset({"retention.ms", "retention.bytes"})
"""Configs where a smaller value deletes records (``-1`` means unlimited)."""

DAY_MS = 24 * 3600 * 1000
MIN_ISR_BROKERS = 3


class Action(StrEnum):
    CREATE = "create"
    ALTER_CONFIG = "alter_config"
    ADD_PARTITIONS = "add_partitions"
    DELETE = "delete"
    MANUAL = "manual"


@dataclass(frozen=True)
class TopicState:
    """One topic, desired or actual: partitions, replication factor and the configs that matter."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)
    role: str = ""  # ingress, partner or shared (desired state only)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "partitions": self.partitions,
            "replication_factor": self.replication_factor,
            "config": dict(self.config),
        }


@dataclass(frozen=True)
class Change:
    """One step of a plan."""

    action: Action
    topic: str
    key: str | None = None
    old: str | None = None
    new: str | None = None
    destructive: bool = False
    reason: str = ""

    def describe(self) -> str:
        """One line, as the plan prints it."""
        if self.action is Action.CREATE:
            return f"+ create {self.topic} ({self.new})"
        if self.action is Action.ALTER_CONFIG:
            return f"~ alter {self.topic} {self.key}: {self.old} -> {self.new}"
        if self.action is Action.ADD_PARTITIONS:
            return f"~ partitions {self.topic}: {self.old} -> {self.new}"
        if self.action is Action.DELETE:
            return f"- delete {self.topic} (declared by nothing)"
        return f"! {self.topic} {self.key}: {self.old} -> {self.new} ({self.reason})"

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "topic": self.topic,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "destructive": self.destructive,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]

    @property
    def manual(self) -> list[Change]:
        return [c for c in self.changes if c.action is Action.MANUAL]


# ---------------------------------------------------------------------------------------------------
# pure part


def _limit(value: str | None) -> float:
    """A retention value as a number, ``-1`` (or unset) meaning unlimited."""
    if value is None:
        return float("inf")
    number = int(value)
    return float("inf") if number < 0 else float(number)


def is_destructive_config(key: str, old: str | None, new: str | None) -> bool:
    """True when moving ``key`` from ``old`` to ``new`` deletes records that would otherwise be kept."""
    if key in SHRINKING_KEYS:
        try:
            return _limit(new) < _limit(old)
        except ValueError:
            return True  # unreadable value: treat as dangerous
    if key == "cleanup.policy":
        # adding compaction drops superseded records; dropping it lets retention expire them
        return not _same(key, old, new)
    return False


def _same(key: str, a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    if key == "cleanup.policy":
        return {p.strip() for p in a.split(",")} == {p.strip() for p in b.split(",")}
    try:
        return int(a) == int(b)
    except ValueError:
        return a == b


def diff(
    desired: Mapping[str, TopicState],
    actual: Mapping[str, TopicState],
    prune_namespace: str | None = None,
) -> Plan:
    """The changes that turn ``actual`` into ``desired``.

    With ``prune_namespace`` (the deployment's ``<prefix>pentameter.``), topics of ``actual`` under
    it that ``desired`` does not name are deleted (destructive); without it they are left alone.
    """
    changes: list[Change] = []
    for name in sorted(desired):
        want = desired[name]
        have = actual.get(name)
        if have is None:
            configs = ", ".join(f"{k}={v}" for k, v in sorted(want.config.items()))
            detail = f"{want.partitions} partitions, RF {want.replication_factor}"
            changes.append(Change(Action.CREATE, name, new=detail + (f", {configs}" if configs else "")))
            continue
        if have.partitions < want.partitions:
            changes.append(
                Change(Action.ADD_PARTITIONS, name, "partitions", str(have.partitions), str(want.partitions))
            )
        elif have.partitions > want.partitions:
            changes.append(
                Change(
                    Action.MANUAL, name, "partitions", str(have.partitions), str(want.partitions),
                    reason="Kafka cannot remove partitions; recreate the topic to shrink it",
                )
            )  # fmt: skip
        if have.replication_factor != want.replication_factor:
            changes.append(
                Change(
                    Action.MANUAL, name, "replication factor",
                    str(have.replication_factor), str(want.replication_factor),
                    reason="needs a partition reassignment (kafka-reassign-partitions)",
                )
            )  # fmt: skip
        for key in sorted(want.config):
            old, new = have.config.get(key), want.config[key]
            if not _same(key, old, new):
                changes.append(
                    Change(Action.ALTER_CONFIG, name, key, old, new, is_destructive_config(key, old, new))
                )
    if prune_namespace is not None:
        for name in sorted(actual):
            if name.startswith(prune_namespace) and name not in desired:
                changes.append(Change(Action.DELETE, name, destructive=True))
    return Plan(tuple(changes))


def partner_retention_ms(agreements: Iterable[Any]) -> dict[str, int]:
    """Partner id -> retention in ms from its agreements' ``retention.max_days`` (the longest)."""
    days: dict[str, int] = {}
    for agreement in agreements:
        max_days = getattr(agreement, "retention_max_days", None)
        if max_days:
            days[agreement.partner] = max(days.get(agreement.partner, 0), int(max_days))
    return {partner: d * DAY_MS for partner, d in days.items()}


def desired_state(
    specs: Sequence[TopicSpec],
    roles: Mapping[str, str],
    retention_ms: Mapping[str, int],
    default_replication_factor: int,
    brokers: int,
) -> dict[str, TopicState]:
    """The desired topics from their specs.

    ``roles``: topic -> ingress/partner/shared; ``retention_ms``: topic -> retention it must have
    (partner topics with an agreement retention period).
    """
    desired: dict[str, TopicState] = {}
    for spec in specs:
        role = roles.get(spec.name, "shared")
        config = {k: v for k, v in spec.config.items() if k in MANAGED_KEYS}
        if spec.name in retention_ms:
            config["retention.ms"] = str(retention_ms[spec.name])
        if role in ("ingress", "partner") and brokers >= MIN_ISR_BROKERS:
            config["min.insync.replicas"] = "2"
        rf = spec.replication_factor if spec.replication_factor > 0 else default_replication_factor
        desired[spec.name] = TopicState(spec.name, spec.partitions, rf, config, role)
    return desired


# ---------------------------------------------------------------------------------------------------
# the cluster


@dataclass(frozen=True)
class ClusterInfo:
    brokers: int
    default_replication_factor: int


def cluster_info(admin: AdminClient, timeout: float = 30.0) -> ClusterInfo:
    """Number of brokers and the broker's ``default.replication.factor``."""
    metadata = admin.list_topics(timeout=timeout)
    broker_ids = sorted(metadata.brokers)
    resource = ConfigResource(ResourceType.BROKER, str(broker_ids[0]))
    configs = admin.describe_configs([resource], request_timeout=timeout)[resource].result(timeout=timeout)
    entry = configs.get("default.replication.factor")
    default_rf = int(entry.value) if entry is not None and entry.value is not None else 1
    return ClusterInfo(len(broker_ids), min(default_rf, len(broker_ids)))


def actual_state(
    admin: AdminClient, names: Iterable[str], namespace: str, timeout: float = 30.0
) -> dict[str, TopicState]:
    """What the cluster has of ``names`` and of every topic under ``namespace``."""
    wanted = set(names)
    metadata = admin.list_topics(timeout=timeout)
    topics = {
        name: meta
        for name, meta in metadata.topics.items()
        if (name in wanted or name.startswith(namespace)) and meta.error is None
    }
    if not topics:
        return {}
    resources = {name: ConfigResource(ResourceType.TOPIC, name) for name in topics}
    futures = admin.describe_configs(list(resources.values()), request_timeout=timeout)
    state: dict[str, TopicState] = {}
    for name, meta in topics.items():
        configs = futures[resources[name]].result(timeout=timeout)
        managed = {
            k: str(configs[k].value) for k in MANAGED_KEYS if k in configs and configs[k].value is not None
        }
        replicas = [len(p.replicas) for p in meta.partitions.values()]
        state[name] = TopicState(name, len(meta.partitions), min(replicas) if replicas else 0, managed)
    return state


@dataclass
class ApplyResult:
    applied: list[Change] = field(default_factory=list)
    skipped: list[Change] = field(default_factory=list)


def apply_plan(
    admin: AdminClient,
    plan: Plan,
    desired: Mapping[str, TopicState],
    allow_destructive: bool = False,
    timeout: float = 60.0,
) -> ApplyResult:
    """Carry out ``plan``: creations, partitions, configs, then deletions.

    Refuses (``PermissionError``, naming them) when the plan has destructive changes and
    ``allow_destructive`` is false; nothing is applied then. Manual changes are skipped.
    """
    if plan.destructive and not allow_destructive:
        names = "; ".join(c.describe() for c in plan.destructive)
        raise PermissionError(f"destructive change(s) need --confirm: {names}")
    result = ApplyResult()
    creates = [c for c in plan.changes if c.action is Action.CREATE]
    if creates:
        new_topics = []
        for c in creates:
            want = desired[c.topic]
            new_topics.append(
                NewTopic(
                    c.topic,
                    num_partitions=want.partitions,
                    replication_factor=want.replication_factor,
                    config=dict(want.config),
                )
            )
        _wait(admin.create_topics(new_topics, request_timeout=timeout), timeout)
        result.applied += creates
    grows = [c for c in plan.changes if c.action is Action.ADD_PARTITIONS]
    if grows:
        parts = [NewPartitions(c.topic, int(c.new or 0)) for c in grows]
        _wait(admin.create_partitions(parts, request_timeout=timeout), timeout)
        result.applied += grows
    alters = [c for c in plan.changes if c.action is Action.ALTER_CONFIG]
    if alters:
        by_topic: dict[str, list[Change]] = {}
        for c in alters:
            by_topic.setdefault(c.topic, []).append(c)
        resources = [
            ConfigResource(
                ResourceType.TOPIC,
                topic,
                incremental_configs=[
                    ConfigEntry(str(c.key), c.new, incremental_operation=AlterConfigOpType.SET)
                    for c in changes
                ],
            )
            for topic, changes in by_topic.items()
        ]
        _wait(admin.incremental_alter_configs(resources, request_timeout=timeout), timeout)
        result.applied += alters
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    if deletes:
        _wait(admin.delete_topics([c.topic for c in deletes], request_timeout=timeout), timeout)
        result.applied += deletes
    result.skipped = plan.manual
    return result


def _wait(futures: Mapping[Any, Any], timeout: float) -> None:
    errors = []
    for what, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            errors.append(f"{what}: {exc}")
    if errors:
        raise TopicPlanFailed("; ".join(errors))
