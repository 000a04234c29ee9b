"""Read the schema repository (``catalogue.yaml`` plus ``avro/``) into schema entries.

The repository layout is described at the top of ``schemas/catalogue.yaml``. Loading is strict,
in the spirit of a configuration that refuses what it does not know: an unknown key, a version
file that is not listed, a schema whose name does not match its place, a missing doc or an unknown
sensitivity mark all stop the load with an error naming the file and the key. Compatibility
between versions is *not* checked here (see :func:`schemas.catalogue.Catalogue.check`), so a
broken history can still be loaded and reported on in full.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from schemas.compatibility import CompatibilityMode
from schemas.entry import SchemaEntry
from schemas.exceptions import CatalogueFileError, SchemaDefinitionError
from schemas.lint import lint
from schemas.naming import NAMED_KINDS, SchemaNameError, definition_name, expand, short_name

PACKAGE_ROOT = Path(str(resources.files("schemas")))
"""Default repository root: the directory holding catalogue.yaml and avro/."""

CATALOGUE_FILE = "catalogue.yaml"
_TOP_KEYS = {"format", "namespace", "common", "events"}
_COMMON_KEYS = {"version", "directory"}
_EVENT_KEYS = {"compatibility", "versions", "doc"}
_VERSION_KEYS = {"version", "common", "file"}


@dataclass(frozen=True)
class EventDeclaration:
    """What catalogue.yaml says about one event schema."""

    name: str
    compatibility: CompatibilityMode
    versions: tuple[tuple[int, int, str], ...]
    """(version, common set version, file relative to the root), in version order."""


def _read_json(path: Path, root: Path) -> Any:
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueFileError(rel, "file not found") from None
    except json.JSONDecodeError as exc:
        raise CatalogueFileError(rel, f"not valid JSON: {exc}") from None


def _expect_keys(obj: object, allowed: set[str], where: str, required: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise CatalogueFileError(CATALOGUE_FILE, f"{where}: expected a mapping, got {obj!r}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise CatalogueFileError(
            CATALOGUE_FILE,
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})",
        )
    missing = sorted(required - set(obj))
    if missing:
        raise CatalogueFileError(CATALOGUE_FILE, f"{where}: missing key(s) {', '.join(missing)}")
    return obj


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CatalogueFileError(CATALOGUE_FILE, f"{where}: expected a positive integer")
    return value


def read_declarations(root: Path) -> tuple[str, dict[int, str], list[EventDeclaration]]:
    """Parse and check catalogue.yaml: (namespace, common sets, event declarations)."""
    path = root / CATALOGUE_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueFileError(str(path), "file not found") from None
    except yaml.YAMLError as exc:
        raise CatalogueFileError(CATALOGUE_FILE, f"not valid YAML: {exc}") from None
    top = _expect_keys(raw, _TOP_KEYS, "top level", {"format", "namespace", "common", "events"})
    if top["format"] != 1:
        raise CatalogueFileError(CATALOGUE_FILE, f"format: unsupported {top['format']!r}")
    namespace = str(top["namespace"])
    commons: dict[int, str] = {}
    for i, item in enumerate(top["common"] or []):
        c = _expect_keys(item, _COMMON_KEYS, f"common[{i}]", _COMMON_KEYS)
        commons[_positive_int(c["version"], f"common[{i}].version")] = str(c["directory"])
    events: list[EventDeclaration] = []
    if not isinstance(top["events"], dict):
        raise CatalogueFileError(CATALOGUE_FILE, "events: expected a mapping of event names")
    for name, decl in top["events"].items():
        where = f"events.{name}"
        d = _expect_keys(decl, _EVENT_KEYS, where, {"compatibility", "versions"})
        try:
            mode = CompatibilityMode(str(d["compatibility"]))
        except ValueError:
            raise CatalogueFileError(
                CATALOGUE_FILE,
                f"{where}.compatibility: {d['compatibility']!r} is not one of "
                f"{', '.join(m.value for m in CompatibilityMode)}",
            ) from None
        versions: list[tuple[int, int, str]] = []
        for j, v in enumerate(d["versions"] or []):
            vw = f"{where}.versions[{j}]"
            vd = _expect_keys(v, _VERSION_KEYS, vw, {"version", "common"})
            number = _positive_int(vd["version"], f"{vw}.version")
            common = _positive_int(vd["common"], f"{vw}.common")
            if common not in commons:
                raise CatalogueFileError(CATALOGUE_FILE, f"{vw}.common: no common set {common}")
            if versions and number <= versions[-1][0]:
                raise CatalogueFileError(
                    CATALOGUE_FILE, f"{vw}.version: versions must be listed in increasing order"
                )
            versions.append((number, common, str(vd.get("file", f"avro/{name}/v{number}.avsc"))))
        if not versions:
            raise CatalogueFileError(CATALOGUE_FILE, f"{where}.versions: at least one version")
        events.append(EventDeclaration(str(name), mode, tuple(versions)))
    return namespace, commons, events


def read_common(root: Path, directory: str, namespace: str) -> dict[str, dict[str, Any]]:
    """Load one common set: every .avsc in the directory, one named type per file."""
    folder = root / directory
    if not folder.is_dir():
        raise CatalogueFileError(directory, "common type directory not found")
    shared: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    for path in sorted(folder.glob("*.avsc")):
        rel = str(path.relative_to(root))
        node = _read_json(path, root)
        if not isinstance(node, dict) or str(node.get("type")) not in NAMED_KINDS:
            raise CatalogueFileError(rel, "a common type file must define one named type")
        full = definition_name(node, namespace)
        if short_name(full) != path.stem:
            raise CatalogueFileError(rel, f"defines {full}; the file must be named after it")
        shared[full] = {**node, "namespace": full.rsplit(".", 1)[0]} if "." in full else node
        files[full] = rel
    for full, node in shared.items():
        try:
            expand(node, shared)
        except SchemaNameError as exc:
            raise CatalogueFileError(files[full], str(exc)) from None
    return shared


def _event_type_symbols(schema: Mapping[str, Any]) -> list[str] | None:
    for field in schema.get("fields", []):
        if field["name"] == "envelope" and isinstance(field["type"], dict):
            for f in field["type"].get("fields", []):
                if f["name"] == "event_type" and isinstance(f["type"], dict):
                    return list(f["type"].get("symbols", []))
    return None


def load_event(
    root: Path,
    decl: EventDeclaration,
    entry: tuple[int, int, str],
    shared: Mapping[str, Any],
    namespace: str,
) -> SchemaEntry:
    """Load, expand, lint and parse one event schema version."""
    version, _common, file = entry
    raw = _read_json(root / file, root)
    if not isinstance(raw, dict) or raw.get("type") != "record":
        raise CatalogueFileError(file, "an event schema must be a record")
    full = definition_name(raw, namespace)
    if full != f"{namespace}.{decl.name}":
        raise CatalogueFileError(file, f"defines {full}, expected {namespace}.{decl.name}")
    try:
        expanded = expand({"namespace": namespace, **raw}, shared)
    except SchemaNameError as exc:
        raise CatalogueFileError(file, str(exc)) from None
    label = f"{decl.name} v{version} ({file})"
    problems = lint(expanded)
    symbols = _event_type_symbols(expanded)
    if symbols is not None and decl.name not in symbols:
        problems.append(f"envelope.event_type: the EventType enum has no symbol {decl.name}")
    if problems:
        raise SchemaDefinitionError(label, problems)
    try:
        return SchemaEntry.build(
            decl.name,
            version,
            expanded,
            compatibility=decl.compatibility,
            kind="event",
            origin="repository",
        )
    except Exception as exc:  # fastavro reports invalid Avro with assorted exception types
        raise CatalogueFileError(file, f"not a valid Avro schema: {exc}") from None


def _unlisted_files(root: Path, events: list[EventDeclaration]) -> list[str]:
    listed = {str(Path(f)) for d in events for _, _, f in d.versions}
    found = []
    for path in sorted((root / "avro").glob("*/v*.avsc")):
        rel = str(path.relative_to(root))
        if path.parent.name != "common" and rel not in listed:
            found.append(rel)
    return found


def load_repository(root: Path | None = None) -> list[SchemaEntry]:
    """Load every event schema version declared in ``root``/catalogue.yaml, in order."""
    root = (root or PACKAGE_ROOT).resolve()
    namespace, commons, events = read_declarations(root)
    stray = _unlisted_files(root, events)
    if stray:
        raise CatalogueFileError(
            stray[0], f"schema file is not listed in {CATALOGUE_FILE} (add it to its versions)"
        )
    shared_sets = {v: read_common(root, d, namespace) for v, d in commons.items()}
    entries: list[SchemaEntry] = []
    for decl in events:
        for item in decl.versions:
            entries.append(load_event(root, decl, item, shared_sets[item[1]], namespace))
    return entries
