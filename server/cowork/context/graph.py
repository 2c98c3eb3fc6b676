"""Import edges between workspace files, per language, and their reverse (importers).

Resolution is by the workspace's own layout — no interpreter, compiler or
build tool runs: Python modules by package folders, relative JS/TS specifiers
(ES modules and `require`) by file and index lookup, Go import paths through each
go.mod's module path, Java/Kotlin imports by package path, C# `using` by the
namespaces files declare, PHP `use` by PSR-4-like path suffixes, Ruby
`require_relative` and C/C++ `#include "…"` by path, Rust `mod`/`crate::` paths
by the source tree. What does not resolve is named whole and sorted by `deps`.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

from cowork.context import outline as py
from cowork.context.index import FileFacts, Import
from cowork.context.resolver import (
    JS_SUFFIXES,
    GoModules,
    Resolver,
    go_module_path,
    go_modules,
    python_kind,
    resolve_one,
)

__all__ = ["Edge", "ImportGraph", "build", "go_module_path", "python_kind"]

# A graph is patched rather than built again while at most 1 file in this many changed.
_PATCH_AT_MOST = 20


class Edge(NamedTuple):
    """One import of a workspace file by another. A named tuple, not a dataclass: a new
    process makes one per import of the workspace (150,000 in a 10,000-file one)."""

    source: str  # importing file
    target: str  # imported workspace file
    line: int  # where in `source`
    spec: str  # the import as written


@dataclass
class ImportGraph:
    files: list[str]
    edges: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    reverse: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    external: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    python_modules: dict[str, str] = field(default_factory=dict)  # dotted name -> path
    _names: tuple[int, dict[str, str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def imports_of(self, path: str) -> list[Edge]:
        return list(self.edges.get(path, []))

    def importers_of(self, path: str) -> list[Edge]:
        return list(self.reverse.get(path, []))

    def module_name(self, path: str) -> str | None:
        """The dotted name of the Python module at `path` (the first one, if several)."""
        names = self._names
        if names is None or names[0] != len(self.python_modules):
            by_path: dict[str, str] = {}
            for name, p in self.python_modules.items():
                by_path.setdefault(p, name)
            # A summary asks for hundreds of names: a scan of every module each time
            # was 7 ms of a warm task on a 1,000-file repository.
            names = self._names = (len(self.python_modules), by_path)
        return names[1].get(path)


_Resolved = tuple[list[Edge], list[tuple[str, str]]]  # a file's edges, its external imports


def _resolve(resolver: Resolver, f: FileFacts) -> _Resolved:
    """The import edges and external imports of one file."""
    edges: list[Edge] = []
    external: list[tuple[str, str]] = []
    for imp in f.imports:
        targets, outside = resolve_one(resolver, f, imp)
        if not targets and outside is not None and outside not in external:
            external.append(outside)
        edges += (Edge(f.path, t, imp.line, imp.spec) for t in targets if t != f.path)
    return edges, external


@dataclass
class _Memo:
    """What a graph was built from, kept on the index so that the next build re-resolves
    only the files that changed (while the set of files stays the same)."""

    key: tuple[tuple[str, str], ...]  # (path, sha256) of every file
    source: object  # the reader's `all_facts` list it was built from
    graph: ImportGraph
    layout: tuple[tuple[str, ...], GoModules, tuple[tuple[str, str], ...]]  # the resolver's inputs
    resolver: Resolver | None  # made when first needed (a memo read from disk has none)
    by_file: dict[str, tuple[str, _Resolved]]  # path -> (sha256, resolved)


def build(
    facts: Iterable[FileFacts],
    files: list[str],
    go_mod_text: str | None = None,
    go_mods: dict[str, str] | None = None,
) -> ImportGraph:
    """The import graph of the workspace from each file's facts; `go_mod_text` is the
    top folder's go.mod, `go_mods` every go.mod by path (a repository of services)."""
    texts = dict(go_mods or {})
    if go_mod_text is not None:
        texts.setdefault("go.mod", go_mod_text)
    return _build(list(facts), files, go_modules(texts.items()), None, None)[0]


def _build(
    facts: list[FileFacts],
    files: list[str],
    go_mods: GoModules,
    memo: _Memo | None,
    source: object,
) -> tuple[ImportGraph, _Memo]:
    packages = tuple((f.path, f.package) for f in facts if f.package)
    layout = (tuple(files), go_mods, packages)
    if memo is not None and memo.layout == layout:
        if memo.resolver is None:
            memo.resolver = Resolver(files, go_mods, packages)
        resolver, old = memo.resolver, memo.by_file
        changed = [f for f in facts if old[f.path][0] != f.sha256]
        if len(changed) * _PATCH_AT_MOST <= len(facts):
            return _patched(memo, facts, changed, source)
    else:
        resolver, old = Resolver(files, go_mods, packages), {}
    graph = ImportGraph(files=files, python_modules=resolver.py_modules)
    by_file: dict[str, tuple[str, _Resolved]] = {}
    for f in facts:
        cached = old.get(f.path)
        if cached is not None and cached[0] == f.sha256:
            resolved = cached[1]
        else:
            resolved = _resolve(resolver, f)
        by_file[f.path] = (f.sha256, resolved)
        edges, external = resolved
        if external:
            graph.external[f.path].extend(external)
        if edges:
            graph.edges[f.path].extend(edges)
            for edge in edges:
                graph.reverse[edge.target].append(edge)
    key = tuple((f.path, f.sha256) for f in facts)
    return graph, _Memo(key, source, graph, layout, resolver, by_file)


def _patched(
    memo: _Memo, facts: list[FileFacts], changed: list[FileFacts], source: object
) -> tuple[ImportGraph, _Memo]:
    """`memo`'s graph with the edges of the `changed` files resolved again: what a
    full build gives (importers in file order), without visiting every file."""
    before = memo.graph
    graph = ImportGraph(files=before.files, python_modules=before.python_modules)
    # Copies of the maps; their lists are shared with the old graph and replaced, never
    # changed in place.
    graph.edges = defaultdict(list, before.edges)
    graph.reverse = defaultdict(list, before.reverse)
    graph.external = defaultdict(list, before.external)
    by_file = dict(memo.by_file)
    paths = {f.path for f in changed}
    targets: set[str] = set()
    for f in changed:
        targets.update(e.target for e in before.edges.get(f.path, ()))
        assert memo.resolver is not None  # `_build` made it
        resolved = _resolve(memo.resolver, f)
        by_file[f.path] = (f.sha256, resolved)
        edges, external = resolved
        if edges:
            graph.edges[f.path] = list(edges)
        else:
            graph.edges.pop(f.path, None)
        if external:
            graph.external[f.path] = list(external)
        else:
            graph.external.pop(f.path, None)
        targets.update(e.target for e in edges)
    if targets:
        order = {path: i for i, path in enumerate(before.files)}
        for target in targets:
            kept = [e for e in before.reverse.get(target, ()) if e.source not in paths]
            kept += [e for p in paths for e in graph.edges.get(p, ()) if e.target == target]
            if kept:
                kept.sort(key=lambda e: order[e.source])  # stable: lines keep their order
                graph.reverse[target] = kept
            else:
                graph.reverse.pop(target, None)
    key = tuple((f.path, f.sha256) for f in facts)
    return graph, _Memo(key, source, graph, memo.layout, memo.resolver, by_file)


def import_candidates(
    graph: ImportGraph, source: str, language: str | None, imp: Import
) -> list[str]:
    """Workspace paths that `imp` in `source` would name if they existed.

    The graph knows only the files a model may see, so an import of a gitignored
    or secret module looks like a package; these candidates let a recipe find the
    file on disk and say why it was not sent.
    """
    if language == "python":
        module = graph.module_name(source) or PurePosixPath(source).stem
        is_package = source.endswith("__init__.py")
        names, base = py.resolve_import(
            module, is_package, py.ImportRef(imp.spec, imp.names, imp.level, imp.line)
        )
        # The folder the importer's top-level package lives in: where absolute names start.
        folders = PurePosixPath(source).parent.parts
        depth = len(module.split(".")) - (0 if is_package else 1)
        top = "/".join(folders[: max(0, len(folders) - depth)])
        out: list[str] = []
        for name in [*names, base]:
            if name:
                path = posixpath.join(top, *name.split("."))
                out += [path + ".py", path + "/__init__.py"]
        return out
    if language in ("typescript", "tsx", "javascript") and imp.spec.startswith("."):
        base = posixpath.normpath(posixpath.join(posixpath.dirname(source), imp.spec))
        return [
            base,
            *(base + s for s in JS_SUFFIXES),
            *(f"{base}/index{s}" for s in JS_SUFFIXES),
        ]
    return []
