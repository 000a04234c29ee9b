"""The settings are declared once: the README's table and every variable the product reads come
from the one list, and a client's connection follows flags, then the environment, then a
properties file, then the local broker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.connection import client_config
from infra.settings import VARIABLES, configuration_table, load_settings

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ("pentameter", "producers", "consumers", "schemas", "policies", "infra", "clikit")


def test_the_readme_table_is_the_settings_model() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    table = configuration_table()
    start = readme.index(table[0])
    assert readme[start : start + len(table)] == table
    assert not readme[start + len(table)].startswith("|"), "a row the model does not declare"


def test_every_variable_the_product_reads_is_declared() -> None:
    named: set[str] = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            named.update(re.findall(r"\"((?:PENTAMETER|KAFKA)_[A-Z_]+)\"", path.read_text()))
    declared = {v.name for v in VARIABLES}
    assert named <= declared, sorted(named - declared)


@pytest.fixture
def properties(tmp_path: Path) -> Path:
    path = tmp_path / "client.properties"
    path.write_text("# a partner's settings\nbootstrap.servers=file:9092\nsasl.username=someone\n")
    return path


def test_a_properties_file_adds_its_settings_and_names_the_cluster(
    properties: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("PENTAMETER_PRINCIPAL", raising=False)
    monkeypatch.setenv("PENTAMETER_COMMAND_CONFIG", str(properties))
    config = client_config(load_settings())
    assert config["bootstrap.servers"] == "file:9092" and config["sasl.username"] == "someone"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env:9092")
    config = client_config(load_settings())
    assert config["bootstrap.servers"] == "env:9092" and config["sasl.username"] == "someone"


def test_a_malformed_properties_file_names_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.properties"
    bad.write_text("bootstrap.servers=x\nno equals sign here\n")
    monkeypatch.setenv("PENTAMETER_COMMAND_CONFIG", str(bad))
    with pytest.raises(ValueError, match=r"bad.properties:2: expected key=value"):
        client_config(load_settings())
