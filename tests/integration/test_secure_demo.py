"""`pentameter demo --secure` at a small scale on a private secure cluster it starts itself: every
component under its own principal, and the whole operation still matches its ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from infra.acls import actual_acls
from infra.broker.local import LocalCluster
from infra.connection import principal_config
from infra.settings import Settings, load_settings
from pentameter.cli import app
from tests.support.secure import private_secure_settings

pytestmark = [pytest.mark.kafka, pytest.mark.secure, pytest.mark.slow]


@pytest.fixture
def private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A state directory and free ports of its own; the cluster the demo starts is stopped after."""
    with pytest.MonkeyPatch.context() as mp:
        private_secure_settings(mp, tmp_path_factory.mktemp("secure-demo"), first_port=29400)
        # the plain cluster's address must not leak into the secure run
        mp.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
        settings = load_settings()
        try:
            yield settings
        finally:
            LocalCluster(settings, secure=True).down(wipe=True)


def test_secure_demo_matches_ground_truth_with_one_principal_per_component(private_home: Settings) -> None:
    cluster = LocalCluster(private_home, secure=True)
    assert not cluster.is_up()
    result = CliRunner().invoke(app, ["demo", "--secure", "--scale", "0.05", "--bad-rows", "4"])
    assert result.exit_code == 0, result.output
    assert "one principal per component" in result.output
    assert "every partner received exactly what its agreement allows" in result.output
    assert "verified" in result.output and "✗" not in result.output
    assert cluster.is_up(), "the demo starts the secure cluster when it is not running"

    operator = principal_config("operator", replace(private_home, bootstrap_servers=None))
    grants = actual_acls(AdminClient(operator))
    principals = {a.principal for a in grants}
    assert {"User:router", "User:partner-sca", "User:agency-police.gloucestershire"} <= principals
    assert not any(p in principals for p in ("User:operator", "User:broker")), "super users need no ACL"
