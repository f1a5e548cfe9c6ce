"""Safe YAML reading that keeps the line of every field, refuses code tags and alias bombs."""

from __future__ import annotations

from typing import Any

import yaml

from cmpacket.errors import InputError

Path_ = tuple[str | int, ...]
_STR = "tag:yaml.org,2002:str"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
MAX_NODES = 200_000


class _Walker:
    """Builds plain Python data from a composed node tree, noting each path's line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: dict[Path_, int] = {}
        self.count = 0
        self._loader = yaml.SafeLoader("")

    def walk(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise InputError(
                f"{self.filename}:{node.start_mark.line + 1}: the file expands to more than "
                f"{MAX_NODES:,} values (YAML anchors and aliases?).",
                hint="Write the data out plainly; agency files never need that many values.",
            )
        self.lines.setdefault(path, node.start_mark.line + 1)
        if not node.tag.startswith("tag:yaml.org,2002:") or node.tag.startswith(
            "tag:yaml.org,2002:python"
        ):
            raise InputError(
                f"{self.filename}:{node.start_mark.line + 1}: the tag {node.tag!r} is not allowed.",
                hint="Only plain YAML values are allowed (no tags such as !!python/object).",
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag == _STR:
            return node.value  # the common case, without the constructor's overhead
        try:
            construct = self._loader.yaml_constructors.get(node.tag)
            if construct is None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"unknown tag {node.tag!r}", node.start_mark
                )
            return construct(self._loader, node)
        except yaml.YAMLError as exc:
            raise InputError(
                f"{self.filename}:{node.start_mark.line + 1}: {getattr(exc, 'problem', exc)}.",
                hint="Only plain YAML values are allowed (no tags such as !!python/object).",
            ) from None

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        self._loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.walk(key_node, (*path, "<key>"))
            if not isinstance(key, str | int):
                raise InputError(
                    f"{self.filename}:{key_node.start_mark.line + 1}: {key!r} cannot be a field name.",
                    hint="Field names are plain words such as legal_name.",
                )
            if key in out:
                raise InputError(
                    f"{self.filename}:{key_node.start_mark.line + 1}: field {key!r} appears twice.",
                    hint="Keep one of them.",
                )
            out[key] = self.walk(value_node, (*path, key))
        return out


def read_yaml(text: str, filename: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text; returns (data, {path: line}). Raises InputError with file:line."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        tab = _indent_tab(text, mark.line) if mark is not None else 0
        if mark is not None and not tab and "tab" in str(exc.problem):
            tab = mark.column + 1  # PyYAML: "found a tab character that violates indentation"
        if mark is not None and tab:
            raise InputError(
                f"{filename}:{mark.line + 1}:{tab}: a tab in the indentation; YAML indents with "
                f"spaces only.",
                hint="Replace the tab with spaces (most editors: 'Convert Indentation to Spaces'), "
                "lining the field up with the fields beside it.",
            ) from None
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise InputError(
            f"{filename}{line}: YAML syntax error: {problem}.",
            hint="Check the indentation and quoting on that line and the one before it.",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{filename}: YAML error: {exc}.") from None
    if node is None:
        return {}, {}
    walker = _Walker(filename)
    return walker.walk(node, ()), walker.lines


def _indent_tab(text: str, index: int) -> int:
    """The column (1-based) of a tab in the indentation of line `index` (0-based), else 0."""
    lines = text.splitlines()
    if index >= len(lines):
        return 0
    line = lines[index]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return indent.find("\t") + 1
