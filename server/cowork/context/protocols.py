"""Protocol definitions a workspace declares: protobuf services and their RPCs, OpenAPI
paths and operations, GraphQL types and fields — each with where it is written.

Pure functions on text. A definition that does not parse gives a note, never an
exception: the caller reports it and goes on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from cowork.context.yamlnodes import get, line_of, load_documents, mapping_items, scalar


@dataclass(frozen=True)
class Operation:
    name: str  # RPC name, "GET /api/cart/{id}", GraphQL field
    line: int


@dataclass(frozen=True)
class ProtocolDef:
    kind: str  # "gRPC" | "HTTP" | "GraphQL"
    service: str  # protobuf service, OpenAPI title, GraphQL type
    path: str
    line: int
    operations: tuple[Operation, ...] = ()
    package: str = ""  # protobuf package


_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_PROTO_TOKEN = re.compile(
    r"\b(service|rpc|message|enum|oneof)\s+(\w+)|[{}]|\bpackage\s+([\w.]+)\s*;"
)
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_GRAPHQL_TYPE = re.compile(r"\b(type|extend\s+type|interface)\s+(\w+)[^{]*\{([^}]*)\}", re.S)
_GRAPHQL_FIELD = re.compile(r"^\s*(\w+)\s*[(:]", re.M)


def is_openapi(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name.startswith(("openapi", "swagger")) and name.endswith((".yaml", ".yml", ".json"))


def parse_proto(path: str, text: str) -> tuple[list[ProtocolDef], str | None]:
    """The services of a `.proto` file, or a note on why it does not parse."""
    # Comments out, same length, so that offsets still give lines.
    clean = _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    depth, package = 0, ""
    services: list[ProtocolDef] = []
    current: tuple[str, int, int, list[Operation]] | None = None  # name, line, depth, rpcs
    for m in _PROTO_TOKEN.finditer(clean):
        token = m.group()
        at = clean.count("\n", 0, m.start()) + 1
        if m.group(3):
            package = m.group(3)
        elif token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return services, f"`{path}` does not parse: unbalanced `}}` at line {at}"
            if current is not None and depth == current[2]:
                name, line, _, rpcs = current
                services.append(ProtocolDef("gRPC", name, path, line, tuple(rpcs), package))
                current = None
        elif m.group(1) == "service":
            if current is not None:
                return services, f"`{path}` does not parse: service inside service at line {at}"
            current = (m.group(2), at, depth, [])
        elif m.group(1) == "rpc":
            if current is None:
                return services, f"`{path}` does not parse: `rpc` outside a service at line {at}"
            current[3].append(Operation(m.group(2), at))
    if depth != 0 or current is not None:
        return services, f"`{path}` does not parse: unbalanced braces (missing `}}`)"
    return services, None


def parse_openapi(path: str, text: str) -> tuple[list[ProtocolDef], str | None]:
    """The operations of an OpenAPI (or Swagger) document, or a note on why not."""
    try:
        if path.endswith(".json"):
            doc = json.loads(text)
            if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
                return [], f"`{path}` has no `paths`: not read as OpenAPI"
            ops = [
                Operation(f"{method.upper()} {route}", 1)
                for route, item in doc["paths"].items()
                if isinstance(item, dict)
                for method in item
                if method in _HTTP_METHODS
            ]
            title = str(doc.get("info", {}).get("title") or PurePosixPath(path).stem)
            return [ProtocolDef("HTTP", title, path, 1, tuple(ops))], None
        docs = load_documents(text)
    except (yaml.YAMLError, ValueError) as exc:
        return [], f"`{path}` does not parse: {str(exc).splitlines()[0]}"
    root = docs[0] if docs else None
    paths = get(root, "paths")
    if paths is None:
        return [], f"`{path}` has no `paths`: not read as OpenAPI"
    ops = []
    for route_node, item in mapping_items(paths):
        route = scalar(route_node) or ""
        for method_node, _ in mapping_items(item):
            method = (scalar(method_node) or "").lower()
            if method in _HTTP_METHODS:
                ops.append(Operation(f"{method.upper()} {route}", line_of(method_node)))
    title = scalar(get(get(root, "info"), "title")) or PurePosixPath(path).stem
    return [ProtocolDef("HTTP", title, path, line_of(paths), tuple(ops))], None


def parse_graphql(path: str, text: str) -> tuple[list[ProtocolDef], str | None]:
    clean = re.sub(r"#[^\n]*", "", text)
    if clean.count("{") != clean.count("}"):
        return [], f"`{path}` does not parse: unbalanced braces"
    found = []
    for m in _GRAPHQL_TYPE.finditer(clean):
        body_at = m.start(3)
        ops = tuple(
            Operation(f.group(1), clean.count("\n", 0, body_at + f.start(1)) + 1)
            for f in _GRAPHQL_FIELD.finditer(m.group(3))
        )
        line = clean.count("\n", 0, m.start()) + 1
        found.append(ProtocolDef("GraphQL", m.group(2), path, line, ops))
    return found, None


def parse(path: str, text: str) -> tuple[list[ProtocolDef], str | None]:
    """The protocol definitions in `path`, or a note; ([], None) for other files."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".proto":
        return parse_proto(path, text)
    if suffix in (".graphql", ".gql", ".graphqls"):
        return parse_graphql(path, text)
    if is_openapi(path):
        return parse_openapi(path, text)
    return [], None
