"""docs/mapping.md is true: it names every key and conversion the loader accepts, and its example
for each event type loads, converts and validates for the agency it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from producers.adapters import read_csv
from producers.checks import check_event
from producers.mapping import _CONVERTERS, _OPTIONS, load_mapping
from schemas.catalogue import default_catalogue

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "mapping.md"
TEXT = REFERENCE.read_text(encoding="utf-8")
SECTION = re.compile(r"^### (\w+)\n.*?```yaml\n(.*?)```\n\n```csv\n(.*?)```", flags=re.S | re.M)
EXAMPLES = {name: (mapping, rows) for name, mapping, rows in SECTION.findall(TEXT)}


def test_the_reference_names_every_key_and_conversion() -> None:
    for key in (*_OPTIONS, "format", "event_type", "constants", "columns"):
        assert f"| `{key}` |" in TEXT, key
    for conversion in _CONVERTERS:
        assert f"`{conversion}`" in TEXT, conversion


def test_there_is_an_example_for_every_event_type() -> None:
    assert sorted(EXAMPLES) == sorted(default_catalogue().event_types())


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_each_example_loads_converts_and_validates(event_type: str, tmp_path: Path) -> None:
    mapping_text, csv_text = EXAMPLES[event_type]
    (tmp_path / "m.yaml").write_text(mapping_text, encoding="utf-8")
    (tmp_path / "export.csv").write_text(csv_text, encoding="utf-8")
    mapping = load_mapping(tmp_path / "m.yaml")
    assert mapping.event_type == event_type
    header = csv_text.splitlines()[0].split(",")
    assert mapping.check_header(header).unmapped == ()
    [row] = list(read_csv(tmp_path / "export.csv", mapping))
    assert row.problems == ()
    agency = yaml.safe_load(mapping_text)["constants"]["envelope.origin_agency"]
    converted, issues = check_event(row.record, agency)
    assert issues == [], [str(i) for i in issues]
    assert converted is not None and converted["envelope"]["event_type"] == event_type
