"""The secure cluster's configuration, credential store and ACL diff, checked without a broker."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from infra.acls import Acl, diff, user
from infra.broker.config import plan_nodes, render_server_properties
from infra.credentials import CredentialError, CredentialStore
from infra.security import AUTHORIZER


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def test_plain_cluster_is_unchanged(tmp_path: Path) -> None:
    nodes = plan_nodes(1, 9092, tmp_path)
    props = _props(render_server_properties(nodes[0], nodes))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["listener.security.protocol.map"] == "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    assert not any("sasl" in k or "authorizer" in k or k == "super.users" for k in props)


def test_secure_cluster_authenticates_and_denies_by_default(tmp_path: Path) -> None:
    nodes = plan_nodes(3, 9192, tmp_path)
    props = _props(render_server_properties(nodes[1], nodes, broker_password="s3cret"))
    assert props["listeners"] == "SASL_PLAINTEXT://127.0.0.1:9194,CONTROLLER://127.0.0.1:9195"
    assert props["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:9194"
    assert (
        props["listener.security.protocol.map"] == "CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
    )
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["inter.broker.listener.name"] == "SASL_PLAINTEXT"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert props["authorizer.class.name"] == AUTHORIZER
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:broker;User:operator"
    assert 'user_broker="s3cret"' in props["listener.name.controller.plain.sasl.jaas.config"]
    assert 'username="broker"' in props["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]


def test_a_password_that_would_break_jaas_is_refused(tmp_path: Path) -> None:
    nodes = plan_nodes(1, 9192, tmp_path)
    with pytest.raises(ValueError):
        render_server_properties(nodes[0], nodes, broker_password='a"b')


def test_credential_store_generates_once_and_is_owner_only(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "state" / "credentials.json")
    first = store.ensure("operator", "agency-police.met")
    again = store.ensure("operator")
    assert again["operator"] == first["operator"]
    assert len(first["operator"]) >= 32 and first["operator"] != first["agency-police.met"]
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    assert json.loads(store.path.read_text()) == first
    assert store.principals() == ["agency-police.met", "operator"]
    with pytest.raises(CredentialError):
        store.get("partner-nobody")
    with pytest.raises(CredentialError):
        store.ensure("Bad Name")


def test_diff_adds_missing_removes_ungranted_and_creates_users() -> None:
    keep = Acl(user("partner-a"), "TOPIC", "LITERAL", "pentameter.partner.a", "READ")
    add = Acl(user("router"), "TRANSACTIONAL_ID", "PREFIXED", "pentameter-router-worker-", "WRITE")
    stray = Acl(user("partner-a"), "TOPIC", "LITERAL", "pentameter.partner.b", "READ")
    plan = diff({keep, add}, {keep, stray}, ["partner-a", "router"], ["partner-a"])
    assert plan.create == (add,)
    assert plan.delete == (stray,)
    assert plan.new_users == ("router",)
    assert not plan.empty
    assert diff({keep}, {keep}, ["partner-a"], ["partner-a"]).empty
    assert stray.describe() == "User:partner-a READ topic pentameter.partner.b"
    assert add.describe().endswith("(prefixed)")
