"""GraphQL between services: the root fields a schema defines (SDL in `.graphql` files
and in code strings such as gql`…`), the code that serves them (resolver maps,
graphql-js, TypeGraphQL/NestJS, gqlgen, Strawberry, Graphene, Ariadne, Spring for
GraphQL, Hot Chocolate) and the code that calls them (operations such as
`query GetCart { cart(id: $id) { … } }` in code strings and `.graphql` documents).

Pure functions on a file's text, giving `wiring.Site`s named `Type.field`
(`Query.cart`); the caller matches callers to servers and to the hosts the calling
file requests `/graphql` from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cowork.context.protocols import Operation, ProtocolDef, parse_graphql
from cowork.context.wiring import Site

# What a GraphQL site does: a schema defines a root field, code serves or calls it.
DEFINES, SERVES, CALLS = "graphql-defines", "graphql-serves", "graphql-calls"
# A literal GraphQL endpoint URL (`http://cart:4000/graphql`): detail is its host.
ENDPOINT = "graphql-endpoint"
ROOTS = ("Query", "Mutation", "Subscription")
_ROOT_OF = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
_MAX_TEXT = 2_000_000  # a bigger code file is data, not resolvers

# Strings that may hold GraphQL: template literals and Go raw strings, triple-quoted
# Python/Kotlin/Java strings, and one-line quoted strings holding a `{`.
_LITERAL = re.compile(
    r'`(?:[^`\\]|\\.)*`|"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\''
    r'|"(?:[^"\\\n]|\\.)*\{(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*\{(?:[^'\\\n]|\\.)*'"
)
_OPERATION = re.compile(
    r"(?<![\w$.])(query|mutation|subscription)\b\s*(\w+)?\s*(?:\([^)]*\))?\s*"
    r"(?:@\w+(?:\([^)]*\))?\s*)*\{"
)
_SELECTION_TOKEN = re.compile(
    r'[{}()]|"(?:[^"\\]|\\.)*"|#[^\n]*|\.\.\.\s*on\s+\w+|\.\.\.\s*\w+|@\w+|\$\w+'
    r"|(\w+)\s*:\s*(\w+)|(\w+)"
)
_ENDPOINT_URL = re.compile(
    r"['\"`]https?://([^/:'\"`\s]+)(?::\d+)?(/[^'\"`\s]*graphql[^'\"`\s]*)['\"`]"
)
_SDL_ROOT = re.compile(r"\b(?:extend\s+)?type\s+(?:Query|Mutation|Subscription)\b[^{]*\{")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _camel(name: str) -> str:
    """A Python resolver's field as Strawberry and Graphene name it: `cart_total` -> `cartTotal`."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _skip_string(text: str, i: int) -> int:
    """The offset of the quote closing the string opened at `i`."""
    quote = text[i]
    close = text.find(quote, i + 1)
    while close > 0 and text[close - 1] == "\\":
        close = text.find(quote, close + 1)
    return close if close > 0 else len(text)


def _close(text: str, at: int) -> int:
    """The offset just past the brace matching the one at `at`, skipping strings (the
    end of text when it is never closed)."""
    depth, i = 0, at
    while i < len(text):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in "'\"`" and i > at:
            i = _skip_string(text, i)
        i += 1
    return len(text)


def _at_top(text: str, at: int) -> bool:
    """Whether an operation starting at `at` opens a document or follows another
    definition (or a comment, or the string's quote), as GraphQL operations do."""
    before = text[max(0, at - 2000) : at].rstrip()
    if not before:
        return True
    return before[-1] in "}`\"'" or before.rpartition("\n")[2].lstrip().startswith("#")


def _operations(path: str, text: str, full: str, base: int) -> Iterator[Site]:
    """Root fields the operations in `text` select; `text` starts at offset `base` of
    the file's `full` text (lines are the file's)."""
    for m in _OPERATION.finditer(text):
        if not _at_top(text, m.start()):
            continue  # `{ query(sql) { … } }`: a method named query, not an operation
        root = _ROOT_OF[m.group(1)]
        start = m.end() - 1
        end = _close(text, start)
        depth = parens = 0
        for t in _SELECTION_TOKEN.finditer(text, start, end):
            token = t.group()
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
            elif token == "(":
                parens += 1
            elif token == ")":
                parens -= 1
            elif depth == 1 and parens == 0 and token[0] not in '"#.@$':
                field = t.group(2) or t.group(3)  # `alias: field` or `field`
                at = t.start(2) if t.group(2) else t.start(3)
                yield Site(path, _line_of(full, base + at), CALLS, f"{root}.{field}")


def _sdl(path: str, text: str, base: int, full: str) -> Iterator[Site]:
    defs, _ = parse_graphql(path, text)
    first = _line_of(full, base) - 1
    for d in defs:
        if d.service in ROOTS:
            for op in d.operations:
                yield Site(path, first + op.line, DEFINES, f"{d.service}.{op.name}")


def document(path: str, text: str) -> list[Site]:
    """The root fields a `.graphql` document's operations select (a client's queries)."""
    return list(_operations(path, text, text, 0))


def _in_strings(path: str, text: str) -> Iterator[Site]:
    for m in _LITERAL.finditer(text):
        body = m.group()
        if _SDL_ROOT.search(body):
            inner = body.lstrip("`\"'")
            yield from _sdl(path, inner.rstrip("`\"'"), m.start() + len(body) - len(inner), text)
        elif "query" in body or "mutation" in body or "subscription" in body:
            # Escapes as blanks of the same length: offsets, hence lines, stay the file's.
            plain = re.sub(r"\\[ntr]", "  ", body)
            yield from _operations(path, plain, text, m.start())


# -- serving code ----------------------------------------------------------------------

_KEY = re.compile(
    r"\s*(?://[^\n]*\n\s*|/\*.*?\*/\s*)*(?:async\s+|get\s+)?\*?\s*(\w+)\s*[:(,}]", re.S
)


def _object_keys(text: str, at: int) -> Iterator[tuple[str, int]]:
    """The keys of the object literal whose `{` is at `at`: (name, offset)."""
    end = _close(text, at)
    depth, i = 0, at
    expect = False
    while i < end:
        c = text[i]
        if expect and depth == 1:
            k = _KEY.match(text, i)
            if k:
                yield k.group(1), k.start(1)
            expect = False
        if c in "{([":
            depth += 1
            expect = depth == 1
        elif c in "})]":
            depth -= 1
        elif c == "," and depth == 1:
            expect = True
        elif c in "'\"`":  # a string's commas and braces are not the object's
            i = _skip_string(text, i)
        i += 1


_JS_MAP = re.compile(r"\b(Query|Mutation|Subscription)\s*:\s*\{")
_JS_OBJECT_TYPE = re.compile(
    r"\bname\s*:\s*['\"](Query|Mutation|Subscription)['\"][^{}]{0,300}?\bfields\s*:"
    r"\s*(?:\(\s*\)\s*=>\s*\(?\s*)?\{"
)
_DECORATED = re.compile(
    r"@(Query|Mutation|Subscription)\s*\(((?:[^()]|\([^()]*\))*)\)\s*"
    r"(?:(?:public|private|protected|async|static)\s+)*(\w+)\s*\("
)
_GQLGEN = re.compile(
    r"\bfunc\s*\(\s*\w+\s+\*?(query|mutation|subscription)Resolver\s*\)\s*(\w+)\s*\("
)
_SPRING = re.compile(
    r"@(Query|Mutation|Subscription)Mapping\b(?:\s*\(((?:[^()]|\([^()]*\))*)\))?\s*"
    r"(?:(?:public|private|protected|suspend|open|override)\s+)*(?:fun\s+|[\w<>\[\]?,.]+\s+)(\w+)\s*\("
)
_PY_CLASS = re.compile(r"(?m)^([ \t]*)class\s+(Query|Mutation|Subscription)\b[^\n]*:[ \t]*$")
_PY_FIELD = re.compile(
    r"(?m)^[ \t]+(?:(?:async\s+)?def\s+(?!_)(?:resolve_)?(\w+)\s*\(|(?!_)(\w+)\s*(?::[^=\n]+)?=\s*"
    r"(?:graphene\.|strawberry\.|\w+\.Field\()|(?!_)(\w+)\s*:\s*[\w\[\]., |\"']+$)"
)
_ARIADNE_VAR = re.compile(
    r"\b(\w+)\s*=\s*(?:(Query|Mutation|Subscription)Type\s*\(\s*\)"
    r"|ObjectType\s*\(\s*['\"](Query|Mutation|Subscription)['\"])"
)
_CS_CLASS = re.compile(r"\bclass\s+(Query|Mutation|Subscription)\b[^{;]*\{")
_CS_METHOD = re.compile(
    r"\bpublic\s+(?:(?:static|async|virtual|override)\s+)*[\w<>\[\]?,. ]+?\s+(\w+)\s*\("
)


def _hot_chocolate(name: str) -> str:
    """A Hot Chocolate resolver's field: `GetCartAsync` -> `cart`."""
    name = name.removesuffix("Async")
    if name.startswith("Get") and name[3:4].isupper():
        name = name[3:]
    return _lower_first(name)


def _serves(path: str, language: str, text: str) -> Iterator[tuple[str, int]]:
    """(Type.field, offset) for each root field this code resolves."""
    if language in ("javascript", "typescript", "tsx"):
        for m in _JS_MAP.finditer(text):
            for key, at in _object_keys(text, m.end() - 1):
                yield f"{m.group(1)}.{key}", at
        for m in _JS_OBJECT_TYPE.finditer(text):
            for key, at in _object_keys(text, m.end() - 1):
                yield f"{m.group(1)}.{key}", at
        for m in _DECORATED.finditer(text):
            named = re.search(r"\bname\s*:\s*['\"](\w+)", m.group(2))
            yield f"{m.group(1)}.{named.group(1) if named else m.group(3)}", m.start(3)
    elif language == "go":
        for m in _GQLGEN.finditer(text):
            yield f"{_ROOT_OF[m.group(1)]}.{_lower_first(m.group(2))}", m.start(2)
    elif language in ("java", "kotlin"):
        for m in _SPRING.finditer(text):
            named = re.search(r"\b(?:name|field|value)\s*=\s*\"(\w+)\"", m.group(2) or "")
            bare = re.fullmatch(r"\s*\"(\w+)\"\s*", m.group(2) or "")
            field = named.group(1) if named else bare.group(1) if bare else m.group(3)
            yield f"{m.group(1)}.{field}", m.start(3)
    elif language == "csharp":
        for m in _CS_CLASS.finditer(text):
            body_end = _close(text, m.end() - 1)
            depth_at = m.end()
            for f in _CS_METHOD.finditer(text, m.end(), body_end):
                # methods of the class itself, not of a nested block
                if text.count("{", depth_at, f.start()) == text.count("}", depth_at, f.start()):
                    yield f"{m.group(1)}.{_hot_chocolate(f.group(1))}", f.start(1)
    elif language == "python":
        if "graphene" in text or "strawberry" in text:
            for m in _PY_CLASS.finditer(text):
                yield from _python_class(text, m)
        if "ariadne" in text:
            for v in _ARIADNE_VAR.finditer(text):
                root = v.group(2) or v.group(3)
                var = re.escape(v.group(1))
                for f in re.finditer(
                    rf"@{var}\.field\(\s*['\"](\w+)['\"]|\b{var}\.set_field\(\s*['\"](\w+)['\"]",
                    text,
                ):
                    which = 1 if f.group(1) else 2
                    yield f"{root}.{f.group(which)}", f.start(which)


def _python_class(text: str, m: re.Match[str]) -> Iterator[tuple[str, int]]:
    """The fields of a Strawberry or Graphene root class: its methods (`resolve_x` is
    `x`), `x = graphene.Field(…)` / `strawberry.field(…)` and annotated `x: Cart`."""
    indent = len(m.group(1).expandtabs())
    member: int | None = None  # the indentation of the class's own members
    end = len(text)
    for later in re.finditer(r"(?m)^([ \t]*)\S", text[m.end() :]):
        width = len(later.group(1).expandtabs())
        if width <= indent:
            end = m.end() + later.start()
            break
        member = width if member is None else member
    for f in _PY_FIELD.finditer(text, m.end(), end):
        line_start = text.rfind("\n", 0, f.start() + 1) + 1
        own = text[line_start:end]
        if len(own) - len(own.lstrip(" \t")) != member:
            continue  # a nested function's, not the class's
        which = 1 if f.group(1) else 2 if f.group(2) else 3
        yield f"{m.group(2)}.{_camel(f.group(which))}", f.start(which)


_NEEDS = ("Query", "Mutation", "Subscription", "query", "mutation", "subscription")


def scan(path: str, language: str | None, text: str) -> list[Site]:
    """The GraphQL sites of one code file: root fields its strings define (SDL) or
    select (operations), and those its code serves."""
    if language is None or len(text) > _MAX_TEXT:
        return []
    sites = [
        Site(path, _line_of(text, m.start()), ENDPOINT, m.group(2), m.group(1))
        for m in (_ENDPOINT_URL.finditer(text) if "graphql" in text else ())
    ]
    if not any(n in text for n in _NEEDS):
        return sites
    sites += _in_strings(path, text)
    sites += [
        Site(path, _line_of(text, at), SERVES, name) for name, at in _serves(path, language, text)
    ]
    return sorted(set(sites), key=lambda s: (s.line, s.role, s.name))


def definitions(sites: list[Site]) -> list[ProtocolDef]:
    """The root types that code defines, from its SDL strings or, code first, from its
    resolvers (when no schema text names them): one definition per (file, type)."""
    by_type: dict[tuple[str, str], list[Site]] = {}
    for s in sites:
        if s.role in (DEFINES, SERVES):
            by_type.setdefault((s.path, s.name.split(".")[0]), []).append(s)
    out = []
    for (path, root), found in by_type.items():
        ops = tuple(dict.fromkeys(Operation(s.name.split(".", 1)[1], s.line) for s in found))
        out.append(ProtocolDef("GraphQL", root, path, min(s.line for s in found), ops))
    return out


def norm(name: str) -> str:
    """A field as callers and servers spell it alike (`Query.cart_total`, `Query.cartTotal`)."""
    return name.replace("_", "").lower()
