"""Who uses a GraphQL root field a change touches: a changed field of `Query`,
`Mutation` or `Subscription` in a schema file is called by operations (in code
strings and `.graphql` documents) and served by resolvers, which no import graph
links to the schema. Found with the same scan as the architecture's integration
points (`context.graphql`), as `RpcUse`s for the review's callers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cowork.context import graphql as gq
from cowork.context.diff import Hunk
from cowork.context.index import language_of
from cowork.context.reader import ContextReader
from cowork.kinds.rpc_callers import MAX_FILES, RpcUse

SUFFIXES = (".graphql", ".gql", ".graphqls")
_FIELD_LINE = re.compile(r"^\s*(\w+)\s*[(:]")
_TYPE_LINE = re.compile(r"^\s*(?:extend\s+)?type\s+(\w+)\b[^{}]*\{\s*$")


def changed_fields(new_text: str | None, hunks: Iterable[Hunk]) -> list[str]:
    """The root fields (`Query.cart`) whose lines the `hunks` add or remove, each placed
    in the type that holds its position in the schema after the change (a removed
    field where it was)."""
    lines = (new_text or "").splitlines()
    found: set[str] = set()
    for h in hunks:
        at = h.new_start  # the new file's line the next ' ' or '+' line is
        for line in h.lines:
            kind, body = line[:1], line[1:]
            m = _FIELD_LINE.match(body) if kind in "+-" else None
            if m:
                root = _enclosing_type(lines, at)
                if root in gq.ROOTS:
                    found.add(f"{root}.{m.group(1)}")
            if kind in " +":
                at += 1
    return sorted(found)


def _enclosing_type(lines: list[str], line: int) -> str | None:
    """The type whose body holds `line` (1-based), by the lines above it."""
    for text in reversed(lines[: max(line - 1, 0)]):
        m = _TYPE_LINE.match(text)
        if m:
            return m.group(1)
        if "}" in text:
            return None  # after the end of a type, before the next
    return None


def field_uses(reader: ContextReader, schema: str, fields: list[str]) -> list[RpcUse]:
    """The call and serve sites of `fields` across the workspace's code and documents."""
    wanted = {gq.norm(f) for f in fields}
    words = {f.split(".", 1)[1] for f in fields}
    words |= {w[:1].upper() + w[1:] for w in words}  # gqlgen's `Cart(`, Hot Chocolate's
    words |= {re.sub(r"(?<!^)(?=[A-Z])", "_", w).lower() for w in words}  # Python's
    if not wanted:
        return []
    found: list[RpcUse] = []
    looked = 0
    for rel in reader.inventory:
        language = language_of(rel)
        document = rel.endswith(SUFFIXES) and rel != schema
        if (language is None and not document) or not reader.may_mention(rel, words):
            continue
        looked += 1
        if looked > MAX_FILES:
            break
        reader.check_cancelled()
        text = reader.text(rel)
        if text is None:
            continue
        sites = gq.document(rel, text) if document else gq.scan(rel, language, text)
        for s in sites:
            if s.role in (gq.CALLS, gq.SERVES) and gq.norm(s.name) in wanted:
                role = "calls" if s.role == gq.CALLS else "serves"
                found.append(RpcUse(rel, s.line, f"GraphQL {s.name}", schema, role))
    return found
