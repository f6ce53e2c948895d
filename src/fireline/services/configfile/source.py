"""Reading YAML while remembering where each value was written, so problems can name a line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[str | int, ...]


def yaml_path(loc: Loc) -> str:
    """Spell a location the way people write it: ("routing", "rules", 2) → routing.rules[2]."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed YAML document: its data, the line of each path, and any problems found reading it.

    `problems` holds (location, line, message); a syntax error leaves `data` None.
    """

    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: tuple[tuple[Loc, int, str], ...] = ()

    def line_of(self, loc: Loc) -> int:
        """Return the line of `loc`, or of its nearest ancestor written in the file (a missing
        field is reported where its parent starts)."""
        for end in range(len(loc), 0, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return 1


def read_yaml(text: str) -> Source:
    """Parse one YAML document safely (no Python objects), mapping every path to its line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        return Source(None, problems=(((), line, _syntax_message(error)),))
    except yaml.YAMLError as error:
        return Source(None, problems=(((), 1, f"is not valid YAML: {error}"),))
    finally:
        loader.dispose()
    if node is None:
        return Source(data)
    lines: dict[Loc, int] = {(): node.start_mark.line + 1}
    problems = tuple(_walk(node, (), lines, set()))
    return Source(data, lines, problems)


def _syntax_message(error: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (error.context, error.problem) if p]
    return "is not valid YAML: " + ("; ".join(parts) or str(error))


def _walk(
    node: Node, loc: Loc, lines: dict[Loc, int], seen: set[int]
) -> Iterator[tuple[Loc, int, str]]:
    # An alias is the same node object again: map it once, and never loop on recursive data.
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            yield from _walk(item, (*loc, index), lines, seen)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                continue
            child = (*loc, key.value)
            line = key.start_mark.line + 1
            if child in lines:
                # PyYAML keeps the last of two equal keys silently; a config file must not.
                yield child, line, f"is written twice (also on line {lines[child]}); remove one"
                continue
            lines[child] = line
            yield from _walk(value, child, lines, seen)
