"""What every tree-sitter language walker shares: the outline it fills and the helpers
that turn syntax nodes into `Definition`s (one module per language family uses them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cowork.context.outline import Definition

_MAX_SIGNATURE = 200


@dataclass
class CodeOutline:
    language: str
    definitions: list[Definition] = field(default_factory=list)
    imports: list[tuple[str, int]] = field(default_factory=list)  # (specifier as written, line)
    syntax_error: str | None = None
    # The namespace/package the file declares (C#, Kotlin, Java, PHP): which imports
    # name the workspace's own code.
    package: str | None = None


def text(node: Any) -> str:
    return bytes(node.text).decode("utf-8", "replace")


def line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def child_of_type(node: Any, *types: str) -> Any | None:
    return next((c for c in node.children if c.type in types), None)


def signature(node: Any, body: Any | None = None) -> str:
    """The declaration up to its body (the `body` field unless given), on one line."""
    if body is None:
        body = node.child_by_field_name("body")
    end = body.start_byte if body is not None else node.end_byte
    raw = bytes(node.text)[: end - node.start_byte].decode("utf-8", "replace")
    one_line = " ".join(raw.split()).rstrip(" {=;")
    return one_line if len(one_line) <= _MAX_SIGNATURE else one_line[: _MAX_SIGNATURE - 1] + "…"


def definition(
    node: Any,
    kind: str,
    exported: bool,
    children: Iterable[Definition] = (),
    name: str | None = None,
    body: Any | None = None,
) -> Definition:
    """A `Definition` of `node`, named by its `name` field unless `name` is given."""
    if name is None:
        name_node = node.child_by_field_name("name")
        name = text(name_node) if name_node is not None else "?"
    return Definition(
        kind=kind,
        name=name,
        signature=signature(node, body),
        doc=None,
        line=line(node),
        end_line=int(node.end_point[0]) + 1,
        children=tuple(children),
        exported=exported,
    )


def descendants(node: Any, node_type: str) -> list[Any]:
    found, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == node_type:
            found.append(n)
        stack.extend(reversed(n.named_children))
    return found


def string_value(node: Any) -> str:
    """A string literal's content without its quotes."""
    return text(node).strip("\"'`")
