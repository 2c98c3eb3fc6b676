"""How one import resolves, per language: to workspace files by the workspace's own
layout, or to a dependency named whole and sorted by `deps`. Used by `graph`."""

from __future__ import annotations

import posixpath
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import PurePosixPath

from cowork.context import deps
from cowork.context import outline as py
from cowork.context.index import FileFacts, Import

JS_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_JVM_SUFFIXES = (".java", ".kt", ".kts")
_C_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx")
# A C# `using` of a namespace links to at most this many of the files declaring it.
_MAX_NAMESPACE_EDGES = 20

# (folder, module path, required modules) of each go.mod: what the resolver depends on.
GoModules = tuple[tuple[str, str, tuple[str, ...]], ...]


def python_kind(module: str) -> str:
    """ "standard library" or "third-party" for a module outside the workspace."""
    top = module.split(".")[0]
    return (
        "standard library"
        if top in sys.stdlib_module_names or top == "__future__"
        else "third-party"
    )


class Resolver:
    """Where an import of each language leads in the workspace (the layout alone)."""

    def __init__(
        self, files: list[str], go_modules: GoModules, packages: tuple[tuple[str, str], ...]
    ) -> None:
        self.files = set(files)
        self.package_dirs = {posixpath.dirname(f) for f in files if f.endswith("__init__.py")}
        self.py_modules: dict[str, str] = {}
        for f in sorted(files):
            if f.endswith(".py"):
                name = py.module_name(f, self.package_dirs)
                if name:
                    self.py_modules.setdefault(name, f)
        # Innermost first, so that a file's own module is the first whose folder holds it.
        self.go_modules = sorted(go_modules, key=lambda m: -len(m[0]))
        self.go_dirs: dict[str, list[str]] = defaultdict(list)
        self.java_classes: dict[str, str] = {}
        # Path suffixes ("b/c.h", "c.h") of C, C++, Ruby and PHP files, for lookups by
        # the end of a path (includes, `require`, PSR-4 namespaces).
        self.by_suffix: dict[str, list[str]] = defaultdict(list)
        for f in files:
            if f.endswith(".go") and not f.endswith("_test.go"):
                self.go_dirs[posixpath.dirname(f)].append(f)
            elif f.endswith(_JVM_SUFFIXES):
                # a/src/main/java/com/x/Y.java -> com.x.Y, found by package suffix at lookup
                self.java_classes[posixpath.splitext(f)[0].replace("/", ".")] = f
            elif f.endswith((*_C_SUFFIXES, ".rb", ".php")):
                parts = f.split("/")
                for k in range(len(parts)):
                    self.by_suffix["/".join(parts[k:])].append(f)
        # Namespaces (C#, Kotlin, Java, PHP) the workspace's files declare, with their files.
        self.namespaces: dict[str, list[str]] = defaultdict(list)
        for path, package in packages:
            self.namespaces[package].append(path)
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
        wildcard import (`a.b.*`): a new process builds a resolver for every task.
        (Ported from branch i10perf, where it was written in graph.py.)"""
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
            [base] + [base + s for s in JS_SUFFIXES] + [f"{base}/index{s}" for s in JS_SUFFIXES]
        )
        # "./x.js" in TypeScript sources names x.ts
        stem, ext = posixpath.splitext(base)
        if ext in (".js", ".mjs", ".cjs", ".jsx"):
            candidates += [stem + s for s in JS_SUFFIXES]
        return (
            [next(c for c in candidates if c in self.files)]
            if any(c in self.files for c in candidates)
            else []
        )

    def go_module_of(self, source: str) -> tuple[str, str, tuple[str, ...]] | None:
        """(folder, module path, requires) of the go.mod `source` belongs to."""
        return next((m for m in self.go_modules if not m[0] or source.startswith(m[0] + "/")), None)

    def go(self, source: str, spec: str) -> tuple[list[str], tuple[str, str]]:
        """(files, (name, kind)): a workspace package's files, or what it names outside."""
        for folder, module, _ in self.go_modules:
            if spec == module or spec.startswith(module + "/"):
                inner = spec[len(module) :].lstrip("/")
                found = sorted(self.go_dirs.get(posixpath.join(folder, inner).strip("/"), []))
                return found, (spec, deps.WORKSPACE)
        own = self.go_module_of(source)
        return [], deps.go(spec, own[2] if own else ())

    def namespace(self, spec: str, separator: str = ".") -> list[str] | None:
        """Files declaring the namespace `spec` names (or its parent, for a type in it);
        None when no workspace namespace is a prefix of it."""
        parts = spec.removesuffix(separator + "*").split(separator)
        for n in range(len(parts), 0, -1):
            files = self.namespaces.get(separator.join(parts[:n]))
            if files:
                return sorted(files)[:_MAX_NAMESPACE_EDGES] if n >= len(parts) - 1 else []
        return None

    def suffix(self, path: str) -> list[str]:
        return sorted(self.by_suffix.get(path.lstrip("/"), []))[:1]

    def relative(self, source: str, spec: str, suffixes: tuple[str, ...]) -> list[str]:
        """A path written relative to `source`'s folder, with one of `suffixes` or as is."""
        base = posixpath.normpath(posixpath.join(posixpath.dirname(source), spec))
        return [c for c in [base, *(base + s for s in suffixes)] if c in self.files][:1]

    def php(self, spec: str) -> list[str]:
        """`App\\Models\\User` -> a file ending `Models/User.php` (PSR-4: the vendor prefix
        maps to a folder of any name)."""
        parts = spec.split("\\")
        for k in range(len(parts) - 1):
            found = self.suffix("/".join(parts[k:]) + ".php")
            if found:
                return found
        return []

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


def go_modules(texts: Iterable[tuple[str, str]]) -> GoModules:
    """(folder, module path, requires) of each (go.mod path, its text)."""
    found = []
    for path, text in texts:
        module = go_module_path(text)
        if module:
            found.append((posixpath.dirname(path), module, tuple(deps.go_requires(text))))
    return tuple(sorted(found))


def go_module_path(go_mod_text: str | None) -> str | None:
    if not go_mod_text:
        return None
    m = re.search(r"^module\s+(\S+)", go_mod_text, re.M)
    return m.group(1) if m else None


def resolve_one(
    resolver: Resolver, f: FileFacts, imp: Import
) -> tuple[list[str], tuple[str, str] | None]:
    """(workspace files `imp` names, else (its name, its kind) when it names something)."""
    spec, language = imp.spec, f.language
    if language == "python":
        targets, name = resolver.python(f.path, imp)
        if not name or name == "__future__":
            return targets, None
        return targets, (name, python_kind(name))
    if language in ("typescript", "tsx", "javascript"):
        if spec.startswith("."):
            return resolver.javascript(f.path, spec), (spec, deps.WORKSPACE)
        return [], deps.node(spec)
    if language == "go":
        return resolver.go(f.path, spec)
    if language in ("java", "kotlin"):
        targets = resolver.java(spec)
        if targets or resolver.namespace(spec) is not None:
            return targets, (deps.jvm(spec)[0], deps.WORKSPACE)
        return [], deps.jvm(spec)
    if language == "csharp":
        targets_or_none = resolver.namespace(spec)
        if targets_or_none is not None:
            return targets_or_none, (spec, deps.WORKSPACE)
        return [], deps.csharp(spec)
    if language == "php":
        if spec.startswith("./"):
            return resolver.relative(f.path, spec, ()), (spec, deps.WORKSPACE)
        targets = resolver.php(spec)
        if targets or resolver.namespace(spec, "\\") is not None:
            return targets, (spec, deps.WORKSPACE)
        return [], deps.php(spec)
    if language == "ruby":
        if spec.startswith("."):
            return resolver.relative(f.path, spec, (".rb",)), (spec, deps.WORKSPACE)
        targets = resolver.suffix(f"lib/{spec}.rb") or resolver.suffix(f"{spec}.rb")
        return targets, (spec, deps.WORKSPACE) if targets else deps.ruby(spec)
    if language in ("c", "cpp"):
        if spec.startswith("<"):
            found = resolver.suffix(spec.strip("<>"))
            return found, (spec.strip("<>"), deps.WORKSPACE) if found else deps.c_family(spec)
        targets = resolver.relative(f.path, spec, ()) or resolver.suffix(spec)
        return targets, (spec, deps.WORKSPACE)
    if language == "rust":
        targets = resolver.rust(f.path, spec)
        if spec.startswith(("mod ", "crate::", "self::", "super::")):
            return targets, None
        return targets, deps.rust(spec)
    return [], None
