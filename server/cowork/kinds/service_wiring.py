"""The facts an architecture brief gathers about how services are wired: which files
belong to which given path, the integration points among them, generated modules."""

from __future__ import annotations

import posixpath
import threading
from collections import OrderedDict
from pathlib import Path, PurePosixPath

from cowork.context import integration, wiring
from cowork.context.generated import HEAD_BYTES, generated_reason
from cowork.context.index import language_of
from cowork.context.manifests import is_compose
from cowork.context.reader import ContextReader

_PROTOCOL_SUFFIXES = {".proto", ".graphql", ".gql", ".graphqls", ".avsc", ".thrift"}
# Code files per given path scanned for integration points (a line scan, no parsing).
_MAX_SCANNED_PER_PATH = 2000
# Code files outside the given paths scanned for callers into them.
_MAX_SCANNED_OUTSIDE = 4000
_MAX_SPECS = 200
_MAX_MANIFESTS = 300
# Folders that usually hold deployment manifests, wherever they sit.
_DEPLOY_DIRS = {
    "k8s",
    "kubernetes",
    "kubernetes-manifests",
    "manifests",
    "deploy",
    "deployment",
    "deployments",
    "helm",
    "charts",
    "kustomize",
    "release",
    "infra",
}


def under(files: list[str], rel: str) -> list[str]:
    """The files of `files` at or below `rel` (all of them for the workspace, "")."""
    if not rel:
        return files
    return [f for f in files if f == rel or f.startswith(rel.rstrip("/") + "/")]


def is_protocol(rel: str) -> bool:
    """Whether `rel` is a protocol or schema definition (protobuf, GraphQL, OpenAPI…)."""
    name = rel.rpartition("/")[2]
    suffix = name[name.rfind(".") :] if name.rfind(".") > 0 else ""
    return suffix in _PROTOCOL_SUFFIXES or name.lower().startswith(
        ("openapi", "swagger", "asyncapi")
    )


def owner_of(paths: list[str], rel: str) -> str | None:
    """Which of the given paths holds `rel` (the innermost)."""
    holders = [p for p in paths if not p or rel == p or rel.startswith(p.rstrip("/") + "/")]
    return max(holders, key=len) if holders else None


def head(root: Path, rel: str) -> str:
    """The first bytes of a file, enough for a generated-code header."""
    try:
        with open(root / rel, "rb") as f:
            return f.read(HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def integration_of(
    reader: ContextReader, files: list[str], paths: list[str]
) -> integration.Integration:
    """Integration points among the given paths: their code, every protocol definition
    in the workspace, and the deployment manifests that name them."""
    code: list[tuple[str, str | None]] = []
    for rel in paths:
        members = [m for m in under(files, rel) if language_of(m) is not None]
        code += [(m, language_of(m)) for m in members[:_MAX_SCANNED_PER_PATH]]
    specs = [f for f in files if is_protocol(f)][:_MAX_SPECS]
    deploy = [
        f
        for f in files
        if is_compose(f)
        or (
            f.endswith((".yaml", ".yml"))
            and (
                any(part in _DEPLOY_DIRS for part in PurePosixPath(f).parts[:-1])
                or owner_of([p for p in paths if p], f) is not None
            )
        )
    ][:_MAX_MANIFESTS]

    outside: list[tuple[str, str | None]] = []
    if all(paths):  # the whole workspace given: nothing is outside
        outside = [
            (f, language_of(f))
            for f in files
            if language_of(f) is not None and owner_of(paths, f) is None
        ]
    scanned = outside[:_MAX_SCANNED_OUTSIDE]

    owners: dict[str, str | None] = {}

    def owner(rel: str) -> str | None:
        if rel not in owners:  # asked for every site and edge of thousands of files
            held = owner_of(paths, rel)
            owners[rel] = service_of(paths, rel) if held is None else held or "."
        return owners[rel]

    wired = integration.gather(
        code,
        specs,
        deploy,
        reader.text,
        owner,
        lambda rel: generated_reason(rel, head(reader.root, rel)),
        {integration.service_name(p): p or "." for p in paths},
        lambda rel, language: _sites(reader, rel, language, owner_of(paths, rel) is not None),
        scanned,
        lambda rel: reader.text(rel) if owner_of(paths, rel) is not None else reader.peek(rel),
    )
    wired.outside_unscanned = len(outside) - len(scanned)
    for c in wired.outside:  # their evidence is in the context: the files are recorded
        reader.outline(c.evidence.rpartition(":")[0])
    return wired


def service_of(paths: list[str], rel: str) -> str | None:
    """The service a file outside the given paths belongs to: its folder beside a given
    one (`src/frontend` for `src/frontend/server.js` when `src/cartservice` is given),
    else its top folder; None for a file at the top."""
    parts = rel.split("/")[:-1]
    for given in paths:
        parent = given.strip("/").split("/")[:-1] if given else None
        if parent is not None and len(parts) > len(parent) and parts[: len(parent)] == parent:
            return "/".join(parts[: len(parent) + 1])
    return parts[0] if parts else None


# Sites found in a file, by (path, content hash): a worker scans an unchanged file once.
_SCANNED: OrderedDict[tuple[str, str], list[wiring.Site]] = OrderedDict()
_SCANNED_KEPT = 50_000
_SCANNED_LOCK = threading.Lock()  # the CLI gathers in threads


def _sites(
    reader: ContextReader, rel: str, language: str | None, given: bool = True
) -> list[wiring.Site] | None:
    """The integration sites of `rel` (None when it cannot be read), remembered by content.
    For a file of the given paths `outline` records it in provenance: its facts reach
    the model. A file outside them is only looked at; it is recorded if it calls in."""
    if given:
        facts = reader.outline(rel)
        if facts is None or facts.unreadable is not None:
            return None
        sha = facts.sha256
    else:
        if reader.why_excluded(rel) is not None:
            return None
        try:  # known by size and time: a file outside is read only when it changed
            st = (reader.root / rel).stat()
        except OSError:
            return None
        sha = f"stat:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"
    key = (rel, sha)
    with _SCANNED_LOCK:
        known = _SCANNED.get(key)
        if known is not None:
            _SCANNED.move_to_end(key)
            return known
    text = reader.text(rel) if given else reader.peek(rel)
    if text is None:
        return None
    found = integration.scan(rel, language, text)
    with _SCANNED_LOCK:
        _SCANNED[key] = found
        while len(_SCANNED) > _SCANNED_KEPT:
            _SCANNED.popitem(last=False)
    return found


def generated_module(reader: ContextReader, importer: str, module: str) -> bool:
    """Whether a Python import that did not resolve names a generated module beside
    the importer (`demo_pb2`): the workspace's own code, kept out of the graph."""
    if not importer.endswith(".py"):
        return False
    rel = posixpath.join(posixpath.dirname(importer), *module.split(".")) + ".py"
    return "generated" in reader.excluded.get(rel, "")
