"""`summarize`: one module — what it is for, what it offers, who it works with."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context import git as gitfacts
from cowork.context import outline as py
from cowork.context.workspace import inventory, read_text, relative_to
from cowork.errors import InputError, TaskFailure
from cowork.kinds.base import ContextPart, FileRef, Gathered, GatherRequest, shown

HISTORY_COMMITS = 10


@dataclass
class ModuleFacts:
    rel: str
    text: str
    outline: py.PythonOutline | None  # None for a language cowork does not parse yet
    module: str | None
    imports: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    importers: list[tuple[str, int]] = field(default_factory=list)  # (path, line)
    tests: list[str] = field(default_factory=list)
    history: list[gitfacts.Commit] = field(default_factory=list)
    git: gitfacts.GitInfo = field(default_factory=lambda: gitfacts.GitInfo(is_repo=False))
    file_count: int = 0
    todo_count: int = 0


def _is_test_file(rel: str) -> bool:
    p = PurePosixPath(rel)
    return (
        p.name.startswith("test_")
        or p.stem.endswith("_test")
        or p.name == "conftest.py"
        or any(part in ("tests", "test") for part in p.parts[:-1])
    ) and p.suffix == ".py"


class Python:
    """Module names and import edges of the workspace's Python files."""

    def __init__(self, files: list[str]) -> None:
        self.py_files = [f for f in files if f.endswith(".py")]
        self.package_dirs = {
            PurePosixPath(f).parent.as_posix() for f in self.py_files if f.endswith("__init__.py")
        }
        self.by_module: dict[str, str] = {}
        for f in self.py_files:
            name = py.module_name(f, self.package_dirs)
            if name:
                self.by_module.setdefault(name, f)
        self.tops = {m.split(".")[0] for m in self.by_module}

    def module_of(self, rel: str) -> str:
        return py.module_name(rel, self.package_dirs)

    def resolve(self, importer_rel: str, ref: py.ImportRef) -> list[tuple[str, str | None]]:
        """(module name, workspace path or None) for each thing `ref` imports."""
        importer = self.module_of(importer_rel)
        is_pkg = importer_rel.endswith("__init__.py")
        names, base = py.resolve_import(importer, is_pkg, ref)
        # `from a import b, c`: the submodules a.b / a.c when they exist, else module a.
        out: list[tuple[str, str | None]] = [
            (n, self.by_module[n]) for n in names if n in self.by_module
        ]
        if out or not base:
            return out
        return [(base, self.by_module.get(base))]

    def classify(self, name: str, path: str | None) -> str:
        if path is not None or name.split(".")[0] in self.tops:
            return "workspace"
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top == "__future__":
            return "standard library"
        return "third-party"


class Summarize:
    name = "summarize"

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        uri = params.get("uri")
        if uri is None or uri == "":
            raise InputError(
                'cowork.summarizeModule needs {"uri": "file:///…"}: the module to summarise'
            )
        if not isinstance(uri, str):
            raise InputError(f"'uri' must be a file URI (a string), got {shown(uri)}")
        path = uris.to_path(uri)
        rel = relative_to(root, path)
        if not path.exists():
            raise InputError(f"{rel} does not exist")
        if path.is_dir():
            raise InputError(
                f"{rel} is a folder; summarise one module (file), or use an architecture brief"
            )
        return {"uri": uris.from_path(path), "path": rel}

    def title(self, params: dict[str, Any]) -> str:
        return f"Summary of {params['path']}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        rel = params["path"]
        return Brief(
            kind=self.name,
            title=f"Summarize {rel}",
            goal=(
                f"Explain `{rel}` to an engineer who is about to change it: what it is "
                "responsible for, the API it offers, who it works with, and what could bite."
            ),
            context=[
                rel,
                "what it imports from the workspace",
                "who imports it",
                "its tests",
                "its recent git history",
            ],
            output_format=(
                "Markdown with these sections: Responsibility (two or three sentences); "
                "Public API (each name with its signature and one line); Collaborators "
                "(imports and importers, and why); Tests; Risks; Open questions. Cite `path:line`."
            ),
            out_of_scope=(
                "Rewriting the code, style nits, and anything outside this module's contract."
            ),
            params={"uri": params["uri"]},
        )

    # -- gathering (worker thread) ------------------------------------------------

    def gather(self, request: GatherRequest) -> Gathered:
        root, rel = request.root, request.params["path"]
        text = read_text(root, rel, request.overlays)
        facts = ModuleFacts(rel=rel, text=text, outline=None, module=None)
        facts.todo_count = len(re.findall(r"\b(TODO|FIXME|XXX|HACK)\b", text))
        request.check_cancelled()
        files = inventory(root)
        facts.file_count = len(files)
        facts.git = gitfacts.info(root)
        request.check_cancelled()
        if rel.endswith(".py"):
            self._python_facts(request, facts, files)
        if facts.git.has_commits:
            facts.history = gitfacts.file_history(root, rel, HISTORY_COMMITS)
        request.check_cancelled()
        refs = [FileRef.of(rel, text)]
        parts = [
            ContextPart("Workspace", _workspace_overview(files, facts.git), stable=True),
            ContextPart(f"{rel} (the module to summarise)", text, source=rel),
        ]
        for path, outline_text, file_text in self._neighbour_outlines(request, facts):
            refs.append(FileRef.of(path, file_text))
            parts.append(ContextPart(f"{path} (outline)", outline_text, source=path))
        if facts.history:
            parts.append(
                ContextPart(
                    f"Recent history of {rel}",
                    "\n".join(
                        f"{c.sha[:10]} {c.date} {c.author}: {c.subject}" for c in facts.history
                    ),
                )
            )
        return Gathered(parts=parts, files=refs, git=facts.git, offline_report=render(facts))

    def _python_facts(self, request: GatherRequest, facts: ModuleFacts, files: list[str]) -> None:
        outline = py.python_outline(facts.text)
        facts.outline = outline
        index = Python(files)
        facts.module = index.module_of(facts.rel) or None
        groups: dict[str, list[tuple[str, str | None]]] = {}
        seen: set[str] = set()
        for ref in outline.imports:
            for name, path in index.resolve(facts.rel, ref):
                if name in seen or name == "__future__":
                    continue
                seen.add(name)
                groups.setdefault(index.classify(name, path), []).append((name, path))
        facts.imports = groups
        if not facts.module:
            return
        last = facts.module.split(".")[-1]
        stem = PurePosixPath(facts.rel).stem
        test_names = {f"test_{stem}.py", f"{stem}_test.py", f"test_{last}.py"}
        for other in index.py_files:
            if other == facts.rel:
                continue
            request.check_cancelled()
            if PurePosixPath(other).name in test_names and other not in facts.tests:
                facts.tests.append(other)
            try:
                other_text = read_text(request.root, other, request.overlays)
            except TaskFailure:
                continue  # unreadable neighbours are skipped, not fatal
            if last not in other_text:
                continue  # cheap pre-filter before parsing
            line = _imports_module(index, other, other_text, facts.module)
            if line is None:
                continue
            if _is_test_file(other):
                if other not in facts.tests:
                    facts.tests.append(other)
            else:
                facts.importers.append((other, line))
        facts.tests.sort()

    def _neighbour_outlines(
        self, request: GatherRequest, facts: ModuleFacts
    ) -> list[tuple[str, str, str]]:
        """Outlines of the workspace modules it imports and its tests, for a model."""
        out: list[tuple[str, str, str]] = []
        paths = [p for _, p in facts.imports.get("workspace", []) if p] + facts.tests
        for path in dict.fromkeys(paths):
            try:
                text = read_text(request.root, path, request.overlays)
            except TaskFailure:
                continue
            outline = py.python_outline(text)
            lines = [f"{d.kind} {d.signature}  # line {d.line}" for d in outline.definitions]
            out.append((path, "\n".join(lines) or "(no definitions)", text))
        return out


def _imports_module(index: Python, importer: str, text: str, module: str) -> int | None:
    """The line where `importer` imports `module`, or None."""
    outline = py.python_outline(text)
    for ref in outline.imports:
        for name, _ in index.resolve(importer, ref):
            if name == module:
                return ref.line
    return None


def _workspace_overview(files: list[str], git: gitfacts.GitInfo) -> str:
    tops: dict[str, int] = {}
    for f in files:
        top = f.split("/")[0] if "/" in f else "."
        tops[top] = tops.get(top, 0) + 1
    layout = "\n".join(
        f"{name}/  ({n} files)" if name != "." else f"(top level)  ({n} files)"
        for name, n in sorted(tops.items())
    )
    return f"{len(files)} files; {git.describe()}.\n{layout}"


# -- the offline report ----------------------------------------------------------


def _def_line(rel: str, d: py.Definition) -> str:
    doc = f" — {d.doc}" if d.doc else " — *(no docstring)*"
    return f"- `{d.signature}` ({d.kind}, `{rel}:{d.line}`){doc}"


def render(f: ModuleFacts) -> str:
    """The deterministic summary: every line comes from a fact gathered above."""
    out: list[str] = [f"# Summary: `{f.rel}`", ""]
    if f.module:
        out += [f"Module `{f.module}`.", ""]
    o = f.outline
    out += ["## Responsibility", ""]
    if o is None:
        out += [
            f"cowork does not parse `{PurePosixPath(f.rel).suffix or 'this kind of'}` files "
            "yet; the outline below is limited to size and history.",
            "",
        ]
    elif o.syntax_error:
        out += [f"The module does not parse: {o.syntax_error}. The outline below is empty.", ""]
    elif o.docstring:
        out += [o.docstring.strip(), ""]
    else:
        out += [
            "The module has no docstring; its responsibility is inferred from its API below.",
            "",
        ]

    if o is not None and not o.syntax_error:
        public = py.public_definitions(o)
        out += ["## Public API", ""]
        if not public:
            out += ["No public classes or functions.", ""]
        for d in public:
            out.append(_def_line(f.rel, d))
            for child in d.children:
                if child.public:
                    out.append("  " + _def_line(f.rel, child))
        private = [d for d in o.definitions if d not in public]
        if private:
            out += ["", f"Private helpers: {', '.join(f'`{d.name}`' for d in private)}."]
        out.append("")

        out += ["## Collaborators", "", "### Imports", ""]
        if not f.imports:
            out.append("None.")
        for group in ("workspace", "third-party", "standard library"):
            items = f.imports.get(group, [])
            if items:
                shown = ", ".join(f"`{n}`" + (f" (`{p}`)" if p else "") for n, p in items)
                out.append(f"- **{group.capitalize()}**: {shown}")
        out += ["", "### Imported by", ""]
        if f.importers:
            out += [f"- `{p}:{line}`" for p, line in f.importers]
        else:
            out.append(
                "No workspace module imports it." if f.module else "Not importable as a module."
            )
        out.append("")

    out += ["## Tests", ""]
    out += [f"- `{t}`" for t in f.tests] if f.tests else ["No tests found (by import or by name)."]
    out += ["", "## Recent history", ""]
    if not f.git.is_repo:
        out.append("The workspace is not a git repository: no history.")
    elif not f.git.has_commits:
        out.append("The repository has no commits yet.")
    elif not f.history:
        out.append("No commit has touched this file yet (new or untracked).")
    else:
        out += [f"- {c.date} {c.author}: {c.subject} (`{c.sha[:10]}`)" for c in f.history]
    lines = f.text.count("\n") + (1 if f.text and not f.text.endswith("\n") else 0)
    out += ["", "## Size", "", f"{lines:,} lines, {len(f.text.encode('utf-8')):,} bytes."]
    if o is not None and not o.syntax_error:
        out[-1] += (
            f" {len(o.definitions)} top-level definitions, "
            f"{sum(len(d.children) for d in o.definitions)} methods."
        )

    risks = _risks(f)
    out += ["", "## Risks and open questions", ""]
    out += [f"- {r}" for r in risks] if risks else ["Nothing stood out in the facts gathered."]
    return "\n".join(out) + "\n"


def _risks(f: ModuleFacts) -> list[str]:
    risks: list[str] = []
    o = f.outline
    if o is not None and o.syntax_error:
        risks.append(f"It does not parse ({o.syntax_error}).")
    if not f.tests:
        risks.append("No tests were found for it: changes here are unguarded.")
    if len(f.importers) >= 5:
        risks.append(
            f"{len(f.importers)} workspace modules import it: a change here has a wide reach."
        )
    if o is not None and not o.syntax_error:
        undocumented = [d.name for d in py.public_definitions(o) if not d.doc]
        if undocumented:
            risks.append(
                f"Public names without a docstring: {', '.join(f'`{n}`' for n in undocumented)}."
            )
        if not o.docstring:
            risks.append("No module docstring: its intended responsibility is not written down.")
    if f.todo_count:
        risks.append(f"{f.todo_count} TODO/FIXME markers in the file.")
    if f.text.count("\n") > 800:
        risks.append("Over 800 lines: consider whether it holds more than one responsibility.")
    return risks
