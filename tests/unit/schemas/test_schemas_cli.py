"""`pentameter schemas` commands, run through typer's CliRunner on real and temporary repos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from schemas.cli import app
from schemas.repository import PACKAGE_ROOT

runner = CliRunner()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A private copy of the schema repository that a test may change."""
    root = tmp_path / "schemas"
    root.mkdir()
    shutil.copy(PACKAGE_ROOT / "catalogue.yaml", root / "catalogue.yaml")
    shutil.copytree(PACKAGE_ROOT / "avro", root / "avro")
    return root


def add_version(root: Path, name: str, change: Any) -> None:
    """Write v2 of ``name`` as v1 changed by ``change`` and list it in catalogue.yaml."""
    v1 = json.loads((root / "avro" / name / "v1.avsc").read_text())
    change(v1)
    (root / "avro" / name / "v2.avsc").write_text(json.dumps(v1, indent=2))
    catalogue = yaml.safe_load((root / "catalogue.yaml").read_text())
    catalogue["events"][name]["versions"].append({"version": 2, "common": 1})
    (root / "catalogue.yaml").write_text(yaml.safe_dump(catalogue, sort_keys=False))


def test_check_passes_on_the_real_repository() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "all schema histories are compatible" in result.output


def test_check_fails_on_incompatible_change_and_names_the_field(repo: Path) -> None:
    add_version(
        repo,
        "IntelligenceReport",
        lambda s: s["fields"].append({"name": "priority", "type": "int", "doc": "Priority 1-5."}),
    )
    result = runner.invoke(app, ["check", "--root", str(repo)])
    assert result.exit_code == 1, result.output
    assert "FAIL IntelligenceReport" in result.output
    assert (
        "IntelligenceReport v2 vs v1 (BACKWARD): field 'priority' added without a default: "
        "a v2 reader cannot read v1 data"
    ) in result.output
    assert "ok   Arrest" in result.output


def test_check_fails_when_a_field_is_removed_under_forward(repo: Path) -> None:
    def drop_narrative(schema: dict[str, Any]) -> None:
        schema["fields"] = [f for f in schema["fields"] if f["name"] != "narrative"]

    add_version(repo, "IntelligenceReport", drop_narrative)
    result = runner.invoke(app, ["check", "--root", str(repo)])
    assert result.exit_code == 1
    assert "(FORWARD): field 'narrative' removed" in result.output


def test_check_passes_on_compatible_change(repo: Path) -> None:
    add_version(
        repo,
        "IntelligenceReport",
        lambda s: s["fields"].append(
            {"name": "priority", "type": ["null", "int"], "default": None, "doc": "Priority 1-5."}
        ),
    )
    result = runner.invoke(app, ["check", "--root", str(repo)])
    assert result.exit_code == 0, result.output
    assert "ok   IntelligenceReport (2 versions, FULL_TRANSITIVE)" in result.output


def test_check_refuses_an_unlisted_version_file(repo: Path) -> None:
    shutil.copy(repo / "avro/Arrest/v1.avsc", repo / "avro/Arrest/v2.avsc")
    result = runner.invoke(app, ["check", "--root", str(repo)])
    assert result.exit_code == 2
    assert "avro/Arrest/v2.avsc" in result.output and "not listed" in result.output


def test_check_refuses_unknown_marks_and_missing_docs(repo: Path) -> None:
    def break_it(schema: dict[str, Any]) -> None:
        schema["fields"].append(
            {"name": "x", "type": ["null", "int"], "default": None, "sensitivity": ["secretish"]}
        )

    add_version(repo, "Arrest", break_it)
    result = runner.invoke(app, ["check", "--root", str(repo)])
    assert result.exit_code == 2
    assert "field x has no doc" in result.output
    assert "'secretish'" in result.output


def test_check_refuses_a_typo_in_catalogue_yaml(repo: Path) -> None:
    text = (
        (repo / "catalogue.yaml")
        .read_text()
        .replace("compatibility: FULL_TRANSITIVE", "compatibilty: FULL_TRANSITIVE", 1)
    )
    (repo / "catalogue.yaml").write_text(text)
    result = runner.invoke(app, ["check", "--root", str(repo)])
    assert result.exit_code == 2
    assert "events.IntelligenceReport: unknown key(s) compatibilty" in result.output


def test_list_shows_every_schema() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for name in ("IntelligenceReport", "DutyToNotify", "AssetSeizure"):
        assert name in result.output
    assert "FULL_TRANSITIVE" in result.output and "eefd320ea4a4822e" in result.output


def test_show_prints_fields_marks_and_schema() -> None:
    result = runner.invoke(app, ["show", "IntelligenceReport", "--version", "1"])
    assert result.exit_code == 0, result.output
    assert "source.reference" in result.output and "grading" in result.output
    assert "suspect if people[].role" in result.output
    as_json = runner.invoke(app, ["show", "Arrest", "--json"])
    assert json.loads(as_json.output)["name"] == "org.pentameter.events.Arrest"
    missing = runner.invoke(app, ["show", "Burglary"])
    assert missing.exit_code == 2


def test_show_lists_the_values_of_each_enum() -> None:
    result = runner.invoke(app, ["show", "PremisesVisit"], terminal_width=250)
    enums = result.output.split("Enum values", 1)[1]
    assert "PremisesType" in enums and "MASSAGE_PARLOUR_SAUNA" in enums and "CANNABIS_FARM" in enums
    assert "premises.premises_type" in enums


def test_show_refuses_an_unknown_schema_in_one_line_with_a_suggestion() -> None:
    result = runner.invoke(app, ["show", "IntelligenceRepot"])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert (
        "unknown schema 'IntelligenceRepot' (did you mean 'IntelligenceReport'?); known: Arrest,"
        in result.output
    )
    assert runner.invoke(app, ["show", "Arrest", "--version", "9"]).exit_code == 2


def test_list_and_check_print_json(repo: Path) -> None:
    listed = json.loads(runner.invoke(app, ["list", "--json"]).output)
    assert {s["name"] for s in listed} >= {"Arrest", "IntelligenceReport"}
    assert all(s["versions"] == [1] for s in listed)
    add_version(repo, "Arrest", lambda s: s["fields"].append({"name": "x", "type": "int", "doc": "X."}))
    checked = runner.invoke(app, ["check", "--root", str(repo), "--json"])
    assert checked.exit_code == 1
    document = json.loads(checked.output)
    assert not document["ok"]
    arrest = next(s for s in document["schemas"] if s["name"] == "Arrest")
    assert [(f["rule"], f["path"]) for f in arrest["findings"]] == [("reader_field_missing_default", "x")]


def test_every_command_has_help() -> None:
    for command in ("list", "show", "check"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output and len(result.output) > 200
