"""The topic plan as pure functions: desired vs actual state -> create, alter, add partitions,
delete (only when pruning), with data-losing changes marked destructive."""

from __future__ import annotations

from types import SimpleNamespace

from infra.topic_plan import (
    DAY_MS,
    Action,
    TopicState,
    desired_state,
    diff,
    is_destructive_config,
    partner_retention_ms,
)
from infra.topics import TopicSpec

NS = "p1.pentameter."


def _t(name: str, partitions: int = 3, rf: int = 1, **config: str) -> TopicState:
    return TopicState(NS + name, partitions, rf, {k.replace("_", "."): v for k, v in config.items()})


def _states(*topics: TopicState) -> dict[str, TopicState]:
    return {t.name: t for t in topics}


def test_no_change_when_actual_matches() -> None:
    topics = _states(_t("a", retention_ms="1000"), _t("b", cleanup_policy="compact"))
    extra = {**topics, NS + "b": _t("b", cleanup_policy="compact", min_insync_replicas="1")}
    assert diff(topics, topics).empty
    assert diff(topics, extra).empty  # configs a topic does not declare are not managed


def test_missing_topic_is_created() -> None:
    plan = diff(_states(_t("a", retention_ms="1000")), {})
    [change] = plan.changes
    assert change.action is Action.CREATE and change.topic == NS + "a"
    assert not change.destructive
    assert "retention.ms=1000" in change.describe()


def test_config_drift_is_altered_and_shortening_retention_is_destructive() -> None:
    desired = _states(_t("a", retention_ms="1000"), _t("b", retention_ms="5000"), _t("c", retention_ms="-1"))
    actual = _states(_t("a", retention_ms="9000"), _t("b", retention_ms="1000"), _t("c", retention_ms="10"))
    changes = {c.topic: c for c in diff(desired, actual).changes}
    assert {c.action for c in changes.values()} == {Action.ALTER_CONFIG}
    shorten, lengthen, forever = changes[NS + "a"], changes[NS + "b"], changes[NS + "c"]
    assert (shorten.key, shorten.old, shorten.new) == ("retention.ms", "9000", "1000")
    assert shorten.destructive
    assert not lengthen.destructive
    assert not forever.destructive  # -1 is unlimited
    assert "9000 -> 1000" in shorten.describe()


def test_unlimited_to_limited_retention_is_destructive() -> None:
    assert is_destructive_config("retention.ms", "-1", "1000")
    assert is_destructive_config("retention.bytes", None, "1000")
    assert not is_destructive_config("retention.ms", "1000", "-1")
    assert is_destructive_config("cleanup.policy", "delete", "compact")
    assert not is_destructive_config("min.insync.replicas", "1", "2")


def test_missing_partitions_are_added_and_fewer_is_manual() -> None:
    plan = diff(_states(_t("a", 6), _t("b", 1)), _states(_t("a", 3), _t("b", 3)))
    by_topic = {c.topic: c for c in plan.changes}
    grow = by_topic[NS + "a"]
    assert (grow.action, grow.old, grow.new, grow.destructive) == (Action.ADD_PARTITIONS, "3", "6", False)
    assert by_topic[NS + "b"].action is Action.MANUAL
    assert plan.manual == [by_topic[NS + "b"]]


def test_replication_factor_mismatch_is_manual() -> None:
    [change] = diff(_states(_t("a", rf=3)), _states(_t("a", rf=1))).changes
    assert change.action is Action.MANUAL and change.key == "replication factor"


def test_undeclared_topics_are_deleted_only_when_pruning_and_only_in_the_namespace() -> None:
    desired = _states(_t("a"))
    actual = {
        **desired,
        NS + "old": _t("old"),
        "p1.other": TopicState("p1.other", 1, 1),
        "p2.pentameter.x": TopicState("p2.pentameter.x", 1, 1),
    }
    assert diff(desired, actual).empty
    plan = diff(desired, actual, prune_namespace=NS)
    [change] = plan.changes
    assert change.action is Action.DELETE and change.topic == NS + "old"
    assert change.destructive and plan.destructive == [change]


def test_desired_state_from_specs() -> None:
    specs = [TopicSpec(NS + "ingress.x"), TopicSpec(NS + "partner.y"), TopicSpec(NS + "partner.z"),
             TopicSpec(NS + "audit", config={"retention.ms": "-1", "other.key": "1"})]  # fmt: skip
    roles = {NS + "ingress.x": "ingress", NS + "partner.y": "partner", NS + "partner.z": "partner"}
    retention = {NS + "partner.y": 10 * DAY_MS}
    one = desired_state(specs, roles, retention, default_replication_factor=1, brokers=1)
    assert one[NS + "partner.y"].config == {"retention.ms": str(10 * DAY_MS)}
    assert one[NS + "partner.z"].config == {}
    assert one[NS + "audit"].config == {"retention.ms": "-1"}  # only managed keys
    assert {t.replication_factor for t in one.values()} == {1}
    three = desired_state(specs, roles, retention, default_replication_factor=3, brokers=3)
    assert three[NS + "ingress.x"].config == {"min.insync.replicas": "2"}
    assert three[NS + "partner.y"].config["min.insync.replicas"] == "2"
    assert "min.insync.replicas" not in three[NS + "audit"].config
    assert {t.replication_factor for t in three.values()} == {3}


def test_partner_retention_is_the_longest_agreement_period() -> None:
    agreements = [
        SimpleNamespace(partner="a", retention_max_days=10),
        SimpleNamespace(partner="a", retention_max_days=20),
        SimpleNamespace(partner="b", retention_max_days=None),
    ]
    assert partner_retention_ms(agreements) == {"a": 20 * DAY_MS}
