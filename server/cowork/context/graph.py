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

from cowork.context import outline as py
from cowork.context.index import FileFacts, Import
from cowork.context.reader import ContextReader

_JS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")


@dataclass(frozen=True)
class Edge:
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

    def python(self, source: str, imp: Import) -> tuple[list[str], str]:
        importer = py.module_name(source, self.package_dirs)
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
        hits = [
            p for cls, p in self.java_classes.items() if cls == name or cls.endswith("." + name)
        ]
        if spec.endswith(".*"):
            package = name
            hits = [
                p for cls, p in self.java_classes.items() if cls.rsplit(".", 1)[0].endswith(package)
            ]
        elif not hits and "." in name:  # static import: a.C.member
            owner = name.rsplit(".", 1)[0]
            hits = [
                p
                for cls, p in self.java_classes.items()
                if cls == owner or cls.endswith("." + owner)
            ]
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


def build(
    facts: Iterable[FileFacts], files: list[str], go_mod_text: str | None = None
) -> ImportGraph:
    """The import graph of the workspace from each file's facts."""
    resolver = _Resolver(files, go_module_path(go_mod_text))
    graph = ImportGraph(files=files, python_modules=resolver.py_modules)
    for f in facts:
        for imp in f.imports:
            if f.language == "python":
                targets, name = resolver.python(f.path, imp)
                if not targets and name and name != "__future__":
                    graph.external[f.path].append((name, python_kind(name)))
            elif f.language in ("typescript", "tsx", "javascript"):
                targets = resolver.javascript(f.path, imp.spec)
                if not targets and not imp.spec.startswith("."):
                    graph.external[f.path].append((imp.spec, "package"))
            elif f.language == "go":
                targets = resolver.go(imp.spec)
                if not targets:
                    graph.external[f.path].append((imp.spec, "package"))
            elif f.language == "java":
                targets = resolver.java(imp.spec)
                if not targets:
                    graph.external[f.path].append((imp.spec, "package"))
            elif f.language == "rust":
                targets = resolver.rust(f.path, imp.spec)
                if not targets and not imp.spec.startswith(
                    ("mod ", "crate::", "self::", "super::")
                ):
                    graph.external[f.path].append((imp.spec.split("::")[0], "crate"))
            else:
                targets = []
            for target in targets:
                if target != f.path:
                    edge = Edge(f.path, target, imp.line, imp.spec)
                    graph.edges[f.path].append(edge)
                    graph.reverse[target].append(edge)
    return graph


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
    facts = [f for f in (reader.facts(rel) for rel in reader.inventory) if f is not None]
    key = tuple((f.path, f.sha256) for f in facts)
    cached = reader.index.graph_cache
    if cached is not None and cached[0] == key and isinstance(cached[1], ImportGraph):
        return cached[1]
    go_mod = reader.facts("go.mod")
    go_mod_text = None
    if go_mod is not None:
        go_mod_text = reader.text("go.mod")
    graph = build(facts, [f.path for f in facts], go_mod_text)
    reader.index.graph_cache = (key, graph)
    return graph
