"""What every tree-sitter language walker shares: the outline it fills and the helpers
that turn syntax nodes into `Definition`s (one module per language family uses them)."""

from __future__ import annotations

import re
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
        doc=doc_comment(node),
        line=line(node),
        end_line=int(node.end_point[0]) + 1,
        children=tuple(children),
        exported=exported,
    )


_COMMENTS = {"comment", "line_comment", "block_comment", "multiline_comment"}
# Nodes that wrap a declaration and own the comment above it (`export function f`,
# Go's `type (…)`, a C++ template, a decorated class).
_WRAPPERS = {
    "export_statement",
    "type_declaration",
    "template_declaration",
    "decorated_definition",
    "lexical_declaration",
    "variable_declaration",
    "expression_statement",
    "assignment_expression",
}
_COMMENT_MARKS = re.compile(r"^\s*(?:/\*\*?|\*/|\*|///?|//!|#+|--)\s?")


def doc_comment(node: Any) -> str | None:
    """The first line of the comment right above `node` (Go, JSDoc, `///`, KDoc, `#`),
    as a docstring would give it; None when none touches it."""
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    prev, top = node.prev_named_sibling, None
    row = node.start_point[0]
    while prev is not None and prev.type in _COMMENTS and prev.end_point[0] >= row - 1:
        top, row = prev, prev.start_point[0]
        prev = prev.prev_named_sibling
    if top is None:
        return None
    lines: list[str] = []
    sibling = top
    while sibling is not None and sibling.type in _COMMENTS and sibling.end_byte <= node.start_byte:
        lines += text(sibling).splitlines()
        sibling = sibling.next_named_sibling
    for raw in lines:
        cleaned = _COMMENT_MARKS.sub("", raw).strip().rstrip("*/").strip()
        cleaned = re.sub(r"</?\w+[^>]*>", "", cleaned).strip()  # C#'s <summary> tags
        if cleaned and not cleaned.startswith("@"):
            return cleaned
    return None


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
