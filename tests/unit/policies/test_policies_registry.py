"""The partner registry: ids, kinds, topics, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import PartnerKind, RegistryError, UnknownPartner, load_registry
from policies.registry import DEFAULT_REGISTRY
from policies.yamlsource import YamlSourceError, loads


def test_the_baseline_registry() -> None:
    registry = load_registry()
    assert len(registry.partners) >= 8
    for required in (
        "police.gloucestershire",
        "police.metropolitan",
        "police.west_midlands",
        "police.greater_manchester",
        "nca.ukhtc",
        "border.intel",
        "hmrc",
        "ngo.poppy",
        "ngo.salvation_army",
        "la.gloucestershire_childrens",
        "sca",
        "ncc",
    ):
        partner = registry.partner(required)
        assert partner.topic == f"pentameter.partner.{required}"
    kinds = {p.kind for p in registry}
    assert kinds == set(PartnerKind)
    assert registry.ingress_agencies()["pentameter.ingress.police.kent"] == "police.kent"
    assert len([a for a in registry.agencies.values() if a.kind is PartnerKind.POLICE_FORCE]) == 46
    with pytest.raises(UnknownPartner, match=r"no partner 'police\.atlantis'"):
        registry.partner("police.atlantis")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    kind: revenue_customs\n    topic: pentameter.partner.hmrc",
            "    kind: tax_office\n    topic: pentameter.partner.hmrc",
            "unknown kind 'tax_office'",
        ),
        (
            "    topic: pentameter.partner.hmrc\n",
            "    topic: pentameter.partner.hmrc_typo\n",
            "topic must be 'pentameter.partner.hmrc'",
        ),
        (
            "    regime: DPA2018_PART3\n    areas: []\n    roles: []\n  - id: ngo.poppy",
            "    regime: GDPR\n    areas: []\n    roles: []\n  - id: ngo.poppy",
            "unknown regime 'GDPR'",
        ),
        ("  - id: ncc\n", "  - id: sca\n", "partner 'sca' is listed twice"),
        (
            "    areas: [GLOUCESTERSHIRE]\n    roles: [first_responder]\n  - id: police.metropolitan",
            "    areas: [ATLANTIS]\n    roles: [first_responder]\n  - id: police.metropolitan",
            "unknown force area",
        ),
    ],
)
def test_registry_errors_name_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = DEFAULT_REGISTRY.read_text()
    assert old in text
    changed = text.replace(old, new, 1)
    line = text[: text.index(old)].count("\n") + 1
    target = tmp_path / "registry.yaml"
    target.write_text(changed)
    with pytest.raises(RegistryError) as caught:
        load_registry(target)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{target}:")
    reported = int(str(caught.value).split(":")[1])
    assert line <= reported <= line + new.count("\n")


def test_yaml_keeps_lines_and_refuses_duplicates() -> None:
    doc = loads("a: 1\nb:\n  - x\n  - {y: 2}\n", "f.yaml")
    assert doc.line_of("b") == 2 and doc["b"].line_of(1) == 4
    with pytest.raises(YamlSourceError, match=r"f\.yaml:2: duplicate key 'a'"):
        loads("a: 1\na: 2\n", "f.yaml")
