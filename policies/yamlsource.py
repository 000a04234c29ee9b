"""Line-aware YAML: mappings and sequences that remember where each entry was written.

Agreements are legal documents kept as YAML, and a reviewer fixing one needs the file and the
line, not just "field X is unknown". PyYAML's SafeLoader knows every node's position while it
composes the document; this loader keeps it on the values it builds:

* a mapping becomes a :class:`LineDict` (a ``dict``) with ``.line`` and ``.line_of(key)``;
* a sequence becomes a :class:`LineList` (a ``list``) with ``.line`` and ``.line_of(index)``;
* scalars stay plain Python values (their line is the line of their key or item).

Duplicate keys are refused (PyYAML would silently keep the last one, which for an agreement
could quietly widen what is shared). Lines are 1-based, as editors show them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from policies.exceptions import PoliciesError


class YamlSourceError(PoliciesError):
    """A YAML file cannot be read or parsed; the message names the file and line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        super().__init__(f"{file}:{line}: {message}")


class LineDict(dict[str, Any]):
    """A mapping read from YAML that remembers its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Line where ``key`` was written (the mapping's own line when it was not)."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence read from YAML that remembers its own line and the line of each item."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """Line where item ``index`` starts."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_of(value: object, default: int) -> int:
    """Line of a loaded mapping or sequence, or ``default`` for a scalar."""
    line = getattr(value, "line", None)
    return line if isinstance(line, int) else default


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences carry their source lines."""

    def construct_line_mapping(self, node: MappingNode) -> LineDict:
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise YamlSourceError(self._file(), line, f"keys must be strings, got {key!r}")
            if key in result:
                raise YamlSourceError(
                    self._file(),
                    line,
                    f"duplicate key {key!r} (first written on line {result.key_lines[key]})",
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        return result

    def construct_line_sequence(self, node: SequenceNode) -> LineList:
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_checked_timestamp(self, node: ScalarNode) -> Any:
        """A date such as 2024-02-30 matches YAML's pattern but is no date: say so, with its line."""
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError as exc:
            raise YamlSourceError(
                self._file(), node.start_mark.line + 1, f"{node.value!r} is not a real date or time: {exc}"
            ) from None

    def _file(self) -> str:
        return str(getattr(self, "name", "<yaml>"))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_line_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_line_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_checked_timestamp)


def loads(text: str, file: str = "<string>") -> Any:
    """Parse one YAML document from ``text``; errors name ``file`` and the line."""
    try:
        loader = _LineLoader(text)
    except ReaderError as exc:  # control characters are refused before parsing starts
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        raise YamlSourceError(file, line, f"character {shown} is not allowed in YAML") from None
    loader.name = file
    try:
        node: Node | None = loader.get_single_node()
        if node is None:
            return None
        if not isinstance(node, (MappingNode, SequenceNode, ScalarNode)):
            raise YamlSourceError(file, 1, "not a YAML document")
        return loader.construct_document(node)
    except YamlSourceError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSourceError(file, line, f"{exc.problem or exc.context or 'invalid YAML'}") from None
    except yaml.YAMLError as exc:
        raise YamlSourceError(file, 1, f"invalid YAML: {exc}") from None
    except RecursionError:  # the composer recurses once per nesting level
        line = loader.get_mark().line + 1
        raise YamlSourceError(file, line, "nested too deeply to read") from None
    finally:
        loader.dispose()


def load(path: Path, display: str | None = None) -> Any:
    """Parse the YAML file at ``path``; errors name it as ``display`` (default: the path)."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlSourceError(name, 1, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise YamlSourceError(name, 1, "is not UTF-8 text") from None
    return loads(text, name)
