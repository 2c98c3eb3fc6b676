"""Import edges between workspace files, per language, and their reverse (importers).

Resolution is by the workspace's own layout — no interpreter, compiler or
build tool runs: Python modules by package folders, relative JS/TS specifiers
by file and index lookup, Go import paths through go.mod's module path, Java
imports by package path, Rust `mod`/`crate::` paths by the source tree.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

from cowork.context import outline as py
from cowork.context.index import FileFacts, Import
from cowork.context.reader import ContextReader

# A graph is patched rather than built again while at most 1 file in this many changed.
_PATCH_AT_MOST = 20

_JS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


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

    def imports_of(self, path: str) -> list[Edge]:
        return list(self.edges.get(path, []))

    def importers_of(self, path: str) -> list[Edge]:
        return list(self.reverse.get(path, []))

    def module_name(self, path: str) -> str | None:
        return next((name for name, p in self.python_modules.items() if p == path), None)


def python_kind(module: str) -> str:
    """ "standard library" or "third-party" for a module outside the workspace."""
    top = module.split(".")[0]
    return (
        "standard library"
        if top in sys.stdlib_module_names or top == "__future__"
        else "third-party"
    )


class _Resolver:
    def __init__(self, files: list[str], go_module: str | None) -> None:
        self.files = set(files)
        self.package_dirs = {posixpath.dirname(f) for f in files if f.endswith("__init__.py")}
        self.py_modules: dict[str, str] = {}
        for f in sorted(files):
            if f.endswith(".py"):
                name = py.module_name(f, self.package_dirs)
                if name:
                    self.py_modules.setdefault(name, f)
        self.go_module = go_module
        self.go_dirs: dict[str, list[str]] = defaultdict(list)
        self.java_classes: dict[str, str] = {}
        for f in files:
            if f.endswith(".go") and not f.endswith("_test.go"):
                self.go_dirs[posixpath.dirname(f)].append(f)
            elif f.endswith(".java"):
                # a/src/main/java/com/x/Y.java -> com.x.Y, found by package suffix at lookup
                self.java_classes[f.removesuffix(".java").replace("/", ".")] = f
        # Every dotted suffix of each class (and of its package) to its files, so that a
        # lookup by suffix is one dict access instead of a scan of every class.
        self.java_suffix: dict[str, list[str]] = defaultdict(list)
        for cls, f in self.java_classes.items():
            parts = cls.split(".")
            for k in range(len(parts)):
                self.java_suffix[".".join(parts[k:])].append(f)
        self._java_package: dict[str, list[str]] | None = None
        self._module_names: dict[str, str] = {}

    @property
    def java_package(self) -> dict[str, list[str]]:
        """Every string suffix of each class's package to its files, made on the first
        wildcard import (`a.b.*`): a new process builds a resolver for every task."""
        if self._java_package is None:
            self._java_package = defaultdict(list)
            for cls, f in self.java_classes.items():
                package = cls.rsplit(".", 1)[0]  # as the scan this replaced took it
                for k in range(len(package) + 1):  # any string suffix, as endswith takes it
                    self._java_package[package[k:]].append(f)
        return self._java_package

    def python(self, source: str, imp: Import) -> tuple[list[str], str]:
        importer = self._module_names.get(source)
        if importer is None:
            importer = self._module_names[source] = py.module_name(source, self.package_dirs)
        names, base = py.resolve_import(
            importer,
            source.endswith("__init__.py"),
            py.ImportRef(imp.spec, imp.names, imp.level, imp.line),
        )
        found = [self.py_modules[n] for n in names if n in self.py_modules]
        if found:
            return found, base
        if base in self.py_modules:
            return [self.py_modules[base]], base
        return [], base

    def javascript(self, source: str, spec: str) -> list[str]:
        if not spec.startswith("."):
            return []
        base = posixpath.normpath(posixpath.join(posixpath.dirname(source), spec))
        candidates = (
            [base] + [base + s for s in _JS_SUFFIXES] + [f"{base}/index{s}" for s in _JS_SUFFIXES]
        )
        # "./x.js" in TypeScript sources names x.ts
        stem, ext = posixpath.splitext(base)
        if ext in (".js", ".mjs", ".cjs", ".jsx"):
            candidates += [stem + s for s in _JS_SUFFIXES]
        return (
            [next(c for c in candidates if c in self.files)]
            if any(c in self.files for c in candidates)
            else []
        )

    def go(self, spec: str) -> list[str]:
        if not self.go_module or not (
            spec == self.go_module or spec.startswith(self.go_module + "/")
        ):
            return []
        folder = spec[len(self.go_module) :].lstrip("/")
        return sorted(self.go_dirs.get(folder, []))

    def java(self, spec: str) -> list[str]:
        name = spec.removesuffix(".*")
        if spec.endswith(".*"):
            return sorted(self.java_package.get(name, ()))
        hits = self.java_suffix.get(name, [])
        if not hits and "." in name:  # static import: a.C.member
            hits = self.java_suffix.get(name.rsplit(".", 1)[0], [])
        return sorted(hits)

    def rust(self, source: str, spec: str) -> list[str]:
        here = posixpath.dirname(source)
        if spec.startswith("mod "):
            name = spec[4:]
            stem = PurePosixPath(source).stem
            folder = here if stem in ("lib", "main", "mod") else posixpath.join(here, stem)
            options = [posixpath.join(folder, f"{name}.rs"), posixpath.join(folder, name, "mod.rs")]
            return [o for o in options if o in self.files][:1]
        if spec.startswith("crate::"):
            parts = re.split(r"::", spec.removeprefix("crate::"))
            src = self._crate_root(source)
            for n in range(len(parts), 0, -1):
                rel = posixpath.join(src, *parts[:n])
                for option in (rel + ".rs", posixpath.join(rel, "mod.rs")):
                    if option in self.files:
                        return [option]
        return []

    def _crate_root(self, source: str) -> str:
        parts = source.split("/")
        return (
            "/".join(parts[: parts.index("src") + 1])
            if "src" in parts
            else posixpath.dirname(source)
        )


def go_module_path(go_mod_text: str | None) -> str | None:
    if not go_mod_text:
        return None
    m = re.search(r"^module\s+(\S+)", go_mod_text, re.M)
    return m.group(1) if m else None


_Resolved = tuple[list[Edge], list[tuple[str, str]]]  # a file's edges, its external imports


def _resolve(resolver: _Resolver, f: FileFacts) -> _Resolved:
    """The import edges and external imports of one file."""
    edges: list[Edge] = []
    external: list[tuple[str, str]] = []
    for imp in f.imports:
        if f.language == "python":
            targets, name = resolver.python(f.path, imp)
            if not targets and name and name != "__future__":
                external.append((name, python_kind(name)))
        elif f.language in ("typescript", "tsx", "javascript"):
            targets = resolver.javascript(f.path, imp.spec)
            if not targets and not imp.spec.startswith("."):
                external.append((imp.spec, "package"))
        elif f.language == "go":
            targets = resolver.go(imp.spec)
            if not targets:
                external.append((imp.spec, "package"))
        elif f.language == "java":
            targets = resolver.java(imp.spec)
            if not targets:
                external.append((imp.spec, "package"))
        elif f.language == "rust":
            targets = resolver.rust(f.path, imp.spec)
            if not targets and not imp.spec.startswith(("mod ", "crate::", "self::", "super::")):
                external.append((imp.spec.split("::")[0], "crate"))
        else:
            targets = []
        edges += (Edge(f.path, t, imp.line, imp.spec) for t in targets if t != f.path)
    return edges, external


@dataclass
class _Memo:
    """What a graph was built from, kept on the index so that the next build re-resolves
    only the files that changed (while the set of files stays the same)."""

    key: tuple[tuple[str, str], ...]  # (path, sha256) of every file
    source: object  # the reader's `all_facts` list it was built from
    graph: ImportGraph
    layout: tuple[tuple[str, ...], str | None]  # what the resolver depends on
    resolver: _Resolver
    by_file: dict[str, tuple[str, _Resolved]]  # path -> (sha256, resolved)


def build(
    facts: Iterable[FileFacts], files: list[str], go_mod_text: str | None = None
) -> ImportGraph:
    """The import graph of the workspace from each file's facts."""
    return _build(list(facts), files, go_module_path(go_mod_text), None, None)[0]


def _build(
    facts: list[FileFacts],
    files: list[str],
    go_module: str | None,
    memo: _Memo | None,
    source: object,
) -> tuple[ImportGraph, _Memo]:
    layout = (tuple(files), go_module)
    if memo is not None and memo.layout == layout:
        resolver, old = memo.resolver, memo.by_file
        changed = [f for f in facts if old[f.path][0] != f.sha256]
        if len(changed) * _PATCH_AT_MOST <= len(facts):
            return _patched(memo, facts, changed, source)
    else:
        resolver, old = _Resolver(files, go_module), {}
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
            *(base + s for s in _JS_SUFFIXES),
            *(f"{base}/index{s}" for s in _JS_SUFFIXES),
        ]
    return []


def graph_for(reader: ContextReader) -> ImportGraph:
    """The import graph of the files `reader` may use, rebuilt only when one changed."""
    source = reader.all_facts
    memo = reader.index.graph_cache
    if not isinstance(memo, _Memo):
        memo = None
    if memo is not None and memo.source is source:
        return memo.graph  # the reader kept the very facts: nothing changed
    facts = [f for _, f in source if f is not None]
    key = tuple((f.path, f.sha256) for f in facts)
    if memo is not None and memo.key == key:
        memo.source = source
        return memo.graph
    go_mod = reader.facts("go.mod")
    go_mod_text = None
    if go_mod is not None:
        go_mod_text = reader.text("go.mod")
    graph, reader.index.graph_cache = _build(
        facts, [f.path for f in facts], go_module_path(go_mod_text), memo, source
    )
    return graph
