"""YAML read as nodes (PyYAML's composer), so that every value keeps its line.

Deployment manifests and OpenAPI documents are reported with `path:line`
evidence; plain `yaml.safe_load` forgets where a value was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

# `{{ … }}` templating (Helm, Jinja): replaced before parsing, same length.
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def untemplated(text: str) -> tuple[str, bool]:
    """`text` with `{{ … }}` spans blanked to `_` (lines kept), and whether it had any."""
    if "{{" not in text:
        return text, False
    return _TEMPLATE.sub(lambda m: re.sub(r"[^\n]", "_", m.group()), text), True


def load_documents(text: str) -> list[yaml.Node]:
    """Every document of `text` as a node tree. Raises yaml.YAMLError."""
    return [d for d in yaml.compose_all(text, Loader=yaml.SafeLoader) if d is not None]


def line_of(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def mapping_items(node: yaml.Node | None) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        yield from node.value


def sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    for k, v in mapping_items(node):
        if scalar(k) == key:
            return v
    return None


def walk(node: yaml.Node | None, key: str) -> Iterator[yaml.Node]:
    """Every value under `key` anywhere below `node`, each node visited once: an alias
    repeats a node, and a "billion laughs" document repeats it exponentially."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if scalar(k) == key:
                    yield v
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
