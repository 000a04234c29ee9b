"""CSV column mappings: conversions, field paths, and errors that name the file and the key."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from producers.checks import check_event
from producers.exceptions import MappingError
from producers.mapping import Conversion, ConversionFailed, load_mapping, set_path

MAPPINGS = Path(__file__).resolve().parents[3] / "producers" / "mappings"
EXAMPLE = MAPPINGS / "gloucestershire_intelligence.yaml"


@pytest.mark.parametrize(
    ("conversion", "text", "expected"),
    [
        (Conversion("string"), "  Gary Hale ", "Gary Hale"),
        (Conversion("upper"), "ab57qxe", "AB57QXE"),
        (Conversion("int"), "1,204", 1204),
        (Conversion("pence"), "£1,234.50", 123450),
        (Conversion("pence"), "500000", 50000000),
        (Conversion("bool"), "Yes", True),
        (Conversion("bool"), "n", False),
        (Conversion("date", format="%d/%m/%Y"), "04/10/2013", "2013-10-04"),
        (Conversion("date"), "2013-10-04", "2013-10-04"),
        # the export is in UK local time: BST in October, GMT in December
        (
            Conversion("datetime", format="%d/%m/%Y %H:%M", timezone="Europe/London"),
            "04/10/2007 21:40",
            "2007-10-04T20:40:00.000Z",
        ),
        (
            Conversion("datetime", format="%d/%m/%Y %H:%M", timezone="Europe/London"),
            "04/12/2007 21:40",
            "2007-12-04T21:40:00.000Z",
        ),
        (Conversion("datetime"), "2007-10-04T21:40:00+01:00", "2007-10-04T20:40:00.000Z"),
        (
            Conversion("enum", values={"Official-Sensitive": "OFFICIAL_SENSITIVE"}),
            "OFFICIAL-SENSITIVE",
            "OFFICIAL_SENSITIVE",
        ),
        (Conversion("enum"), "massage parlour", "MASSAGE_PARLOUR"),
        (Conversion("list", separator="|"), "Unit 4| Larch Row |", ["Unit 4", "Larch Row"]),
        (
            Conversion("list", item=Conversion("enum", values={"Sexual": "SEXUAL", "Labour": "LABOUR"})),
            "sexual;Labour",
            ["SEXUAL", "LABOUR"],
        ),
        (
            Conversion("list", item=Conversion("enum")),
            "sexual;domestic servitude",
            ["SEXUAL", "DOMESTIC_SERVITUDE"],
        ),
    ],
)
def test_conversions(conversion: Conversion, text: str, expected: object) -> None:
    assert conversion(text) == expected


def test_uuid5_gives_a_stable_id_and_keeps_real_uuids() -> None:
    convert = Conversion("uuid5", namespace="police.gloucestershire")
    first = convert("GL/INT/07/0001")
    assert first == convert("GL/INT/07/0001") != convert("GL/INT/07/0002")
    assert uuid.UUID(str(first)).version == 5
    real = str(uuid.uuid4())
    assert convert(real) == real


@pytest.mark.parametrize(
    ("conversion", "text"),
    [
        (Conversion("int"), "forty"),
        (Conversion("pence"), "£12.345"),
        (Conversion("pence"), "a lot"),
        (Conversion("bool"), "maybe"),
        (Conversion("date", format="%d/%m/%Y"), "31/02/2008"),
        (Conversion("datetime", format="%d/%m/%Y %H:%M"), "yesterday"),
    ],
)
def test_conversions_refuse_what_they_cannot_read(conversion: Conversion, text: str) -> None:
    with pytest.raises(ConversionFailed):
        conversion(text)


def test_set_path_builds_records_and_list_slots() -> None:
    record: dict[str, object] = {}
    set_path(record, "envelope.case_id", "C1")
    set_path(record, "people[1].name", "Ana")
    set_path(record, "people[0].role", "SUSPECT")
    set_path(record, "premises[0].address.lines", ["Unit 4"])
    assert record == {
        "envelope": {"case_id": "C1"},
        "people": [{"role": "SUSPECT"}, {"name": "Ana"}],
        "premises": [{"address": {"lines": ["Unit 4"]}}],
    }


def test_the_example_csv_maps_to_valid_reports() -> None:
    from producers.adapters import read_csv

    mapping = load_mapping(EXAMPLE)
    rows = list(read_csv(MAPPINGS / "gloucestershire_intelligence.csv", mapping))
    assert [r.line for r in rows] == [2, 3, 4, 5]
    for row in rows:
        assert row.problems == ()
        converted, issues = check_event(row.record, "police.gloucestershire")
        assert issues == [], [str(i) for i in issues]
        assert converted is not None
    first = rows[0].record
    assert first is not None
    assert first["envelope"]["occurred_at"] == "2007-10-04T20:40:00.000Z"
    assert first["phones"][0] == {"number": "+447700900101", "entity_id": "t1", "role": "SUSPECT"}
    assert first["links"] == [{"from_entity_id": "p1", "to_entity_id": "t1", "relationship": "USES"}]
    assert "phones" not in rows[1].record  # type: ignore[operator]  # blank cell: no half entity
    assert rows[2].record["exploitation_types"] == ["SEXUAL", "DOMESTIC_SERVITUDE"]  # type: ignore[index]


def test_a_cell_that_does_not_convert_names_field_and_column(tmp_path: Path) -> None:
    from producers.adapters import read_csv

    text = (MAPPINGS / "gloucestershire_intelligence.csv").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace(",Gary Hale,41,", ",Gary Hale,forty-one,", 1), encoding="utf-8")
    rows = list(read_csv(bad, load_mapping(EXAMPLE)))
    assert rows[0].problems == (("people[0].age", "column 'Subject age': 'forty-one' is not a whole number"),)
    assert rows[0].record is not None and "age" not in rows[0].record["people"][0]  # the rest, to validate
    assert all(r.problems == () for r in rows[1:])


def test_a_closed_values_map_refuses_a_label_it_does_not_list() -> None:
    convert = Conversion("enum", values={"M": "MALE", "F": "FEMALE"})
    assert convert("m") == "MALE"
    with pytest.raises(ConversionFailed, match=r"'X' is not one of the labels the mapping lists: 'M', 'F'"):
        convert("X")
    with pytest.raises(ConversionFailed, match=r"\(did you mean 'Female'\?\)"):
        Conversion("enum", values={"Male": "MALE", "Female": "FEMALE"})("Femal")


def test_every_bad_cell_of_a_row_is_named_with_its_column(tmp_path: Path) -> None:
    from producers.adapters import read_csv

    text = (MAPPINGS / "gloucestershire_intelligence.csv").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace(",Public,", ",Publc,", 1).replace(",41,M,", ",old,X,", 1), encoding="utf-8")
    row = next(iter(read_csv(bad, load_mapping(EXAMPLE))))
    assert [(path, reason.split(":")[0]) for path, reason in row.problems] == [
        ("source.source_type", "column 'Source type'"),
        ("people[0].age", "column 'Subject age'"),
        ("people[0].gender", "column 'Subject sex'"),
    ]
    assert "did you mean 'Public'?" in row.problems[0][1]


def test_a_header_missing_a_mapped_column_fails_once(tmp_path: Path) -> None:
    from producers.adapters import read_csv

    text = (MAPPINGS / "gloucestershire_intelligence.csv").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("Subject age,", "Age,", 1), encoding="utf-8")
    mapping = load_mapping(EXAMPLE)
    rows = list(read_csv(bad, mapping))
    assert [(r.line, r.problems) for r in rows] == [
        (1, (("", "columns missing from the header: Subject age"),))
    ]
    header = bad.read_text(encoding="utf-8").splitlines()[0].split(",")
    check = mapping.check_header(header)
    assert check.missing == ("Subject age",) and check.unmapped == ("Age",)


@pytest.mark.parametrize(
    ("path", "column"),
    [
        ("people[0].age", "Subject age"),
        ("people[0].role", "Subject"),
        ("links[0].relationship", "Phone"),
        ("premises[0].address", "Premises address"),
        ("envelope.force_area", None),
    ],
)
def test_a_field_is_traced_back_to_its_column(path: str, column: str | None) -> None:
    assert load_mapping(EXAMPLE).column_for(path) == column


def _mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text("format: 1\nevent_type: IntelligenceReport\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("columns:\n  Name: people[0].nmae\n", r"columns\.Name\.field: 'people\[0\]\.nmae' is not a field"),
        ("columns:\n  Name: people[1].nmae\n", r"\(did you mean 'people\[1\]\.name'\?\)"),
        (
            "columns:\n  Sex:\n    field: people[0].gender\n    convert: enum\n    values: {F: FEMAL}\n",
            r"columns\.Sex\.values: 'F' maps to 'FEMAL', which is not a value of people\[0\]\.gender "
            r"\(did you mean 'FEMALE'\?\); allowed: FEMALE, MALE, OTHER, UNKNOWN",
        ),
        (
            "columns:\n  X: {field: exploitation_types, convert: list,\n"
            "      item: {convert: enum, values: {S: X}}}\n",
            r"columns\.X\.item\.values: 'S' maps to 'X', which is not a value of exploitation_types",
        ),
        ("columns:\n  Name: {field: narrative, convert: shout}\n", r"columns\.Name\.convert: 'shout'"),
        (
            "columns:\n  When: {field: envelope.occurred_at, convert: datetime, timezone: Mars/Base}\n",
            r"columns\.When\.timezone",
        ),
        ("columns:\n  Name: {field: narrative, colour: red}\n", r"columns\.Name: unknown option\(s\) colour"),
        ("constants:\n  envelope.nope: 1\ncolumns:\n  Name: narrative\n", r"constants\.envelope\.nope"),
        ("columns: {}\n", r"columns: must map"),
    ],
)
def test_mapping_errors_name_the_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = _mapping(tmp_path, body)
    with pytest.raises(MappingError, match=message) as caught:
        load_mapping(path)
    assert str(path) in str(caught.value)


def test_unknown_event_type_and_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("format: 1\nevent_type: Sighting\ncolumns:\n  A: narrative\n", encoding="utf-8")
    with pytest.raises(MappingError, match="event_type"):
        load_mapping(path)
    path.write_text("just text\n", encoding="utf-8")
    with pytest.raises(MappingError, match="format: 1"):
        load_mapping(path)
