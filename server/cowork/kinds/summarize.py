"""`summarize`: one module — what it is for, what it offers, who it works with."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context import git as gitfacts
from cowork.context.graph import ImportGraph, import_candidates
from cowork.context.index import FileFacts
from cowork.context.outline import Definition
from cowork.context.reader_graph import graph_for
from cowork.context.treesitter import LANGUAGE_NAMES
from cowork.context.wiring import Site
from cowork.context.workspace import relative_to
from cowork.errors import InputError
from cowork.kinds import module_wiring
from cowork.kinds.answer import Rendered, schema_of, system_prompt
from cowork.kinds.base import (
    CALLERS,
    HISTORY,
    NEIGHBOURS,
    TARGET,
    TESTS,
    Collected,
    ContextReader,
    GatherRequest,
    Piece,
    shown,
)
from cowork.kinds.test_reach import indirect_tests

HISTORY_COMMITS = 10
MAX_NEIGHBOURS = 20


@dataclass
class ModuleFacts:
    rel: str
    text: str
    facts: FileFacts | None
    module: str | None
    imports: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    importers: list[tuple[str, int]] = field(default_factory=list)  # (path, line)
    withheld: list[tuple[str, str]] = field(default_factory=list)  # imported, not sent: (path, why)
    tests: list[str] = field(default_factory=list)
    # Tests that reach the module through its package (a facade, a server): (path, names used).
    indirect_tests: list[tuple[str, list[str]]] = field(default_factory=list)
    history: list[gitfacts.Commit] = field(default_factory=list)
    git: gitfacts.GitInfo = field(default_factory=lambda: gitfacts.GitInfo(is_repo=False))
    todo_count: int = 0
    # Where it serves or calls another service (`module_wiring`).
    wiring: list[Site] = field(default_factory=list)


@functools.lru_cache(maxsize=1 << 16)
def is_test_file(rel: str) -> bool:
    # By string work, not PurePosixPath: a new process asks about thousands of paths.
    folder, _, name = rel.rpartition("/")
    dot = name.rfind(".")
    stem = name[:dot] if dot > 0 else name
    return (
        name.startswith("test_")
        or stem.endswith(("_test", "Test", "Tests", "_spec", "Spec"))
        or ".test." in name
        or ".spec." in name
        or name == "conftest.py"
        or any(part in ("tests", "test", "__tests__", "spec") for part in folder.split("/"))
    )


def test_names_for(rel: str) -> set[str]:
    """File names that by convention hold the tests of `rel`."""
    p = PurePosixPath(rel)
    stem, suffix = p.stem, p.suffix
    return {
        f"test_{stem}.py",
        f"{stem}_test.py",
        f"{stem}_test.go",
        f"{stem}.test{suffix}",
        f"{stem}.spec{suffix}",
        f"{stem}Test.java",
        f"{stem}Tests.java",
        f"{stem}Test.kt",
        f"{stem}Tests.cs",
        f"{stem}Test.cs",
        f"{stem}_spec.rb",
        f"{stem}_test.rb",
        f"test_{stem}.rb",
        f"{stem}Test.php",
        f"{stem}_test.cc",
        f"{stem}_test.cpp",
        f"test_{stem}.c",
        f"{stem}_test.c",
        f"{stem}.rs" if "tests" in p.parts else "",
    } - {""}


def public(facts: FileFacts) -> list[Definition]:
    """What the module offers: Python's `__all__` when given, else the language's rule."""
    if facts.all_names is not None:
        wanted = set(facts.all_names)
        return [d for d in facts.definitions if d.name in wanted]
    return [d for d in facts.definitions if d.public and not d.name.startswith("_")]


def outline_text(facts: FileFacts) -> str:
    lines: list[str] = []
    for d in facts.definitions:
        lines.append(f"{d.signature}  # {d.kind}, line {d.line}")
        lines.extend(f"    {c.signature}  # line {c.line}" for c in d.children)
    return "\n".join(lines) or "(no definitions)"


SYSTEM_PROMPT = system_prompt(
    """The hand-off: explain one module to an engineer who is about to change it. A
    diligent colleague reads the module whole, then its imports, importers and tests,
    and writes what the next person needs: what the module is responsible for (and
    what it deliberately is not); what each public entry point is for, from the
    caller's side rather than a paraphrase of its body; who it works with and why (what
    it takes from each import, what each importer relies on); how it is tested and
    which behaviour no test covers; the risks of changing it (hidden coupling, shared
    state, error paths, concurrency) with the lines that show them; and the questions
    only its authors can answer. Out of scope: rewriting or refactoring it, style nits,
    and code outside the module's contract."""
)


class Summarize:
    name = "summarize"
    system_prompt = SYSTEM_PROMPT

    def answer_schema(self) -> dict[str, Any] | None:
        from cowork.kinds.summarize_answer import SummaryAnswer

        return schema_of(SummaryAnswer)

    def render_answer(self, text: str) -> Rendered | None:
        from cowork.kinds.summarize_answer import read_summary

        return read_summary(text)

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        uri = params.get("uri")
        if uri is None:
            raise InputError(
                'cowork.summarizeModule needs {"uri": "file:///…"}: the module to summarise'
            )
        if not isinstance(uri, str) or not uri:
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
                "Responsibility (two or three sentences); Public API (what each entry point "
                "is for); Collaborators (imports and importers, and why); Tests (how it is "
                "tested, and what is not); Risks; Open questions. Cite `path:line`."
            ),
            out_of_scope=(
                "Rewriting the code, style nits, and anything outside this module's contract."
            ),
            params={"uri": params["uri"]},
        )

    # -- gathering (worker process) -----------------------------------------------

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        rel = request.params["path"]
        text = reader.text(rel, required=True)
        assert text is not None
        facts = reader.outline(rel)
        m = ModuleFacts(rel=rel, text=text, facts=facts, module=None, git=reader.git)
        m.todo_count = _todo_count(text)
        if facts is not None and facts.language is not None:
            m.wiring = module_wiring.sites(rel, facts.language, text)
        reader.check_cancelled()
        graph = graph_for(reader)
        reader.check_cancelled()
        self._collaborators(m, graph, reader)
        if m.git.has_commits:
            m.history = [
                replace(c, subject=reader.redact(f"git history of {rel}", c.subject))
                for c in gitfacts.file_history(reader.root, rel, HISTORY_COMMITS)
            ]
        return Collected(pieces=self._pieces(m, reader), offline_report=render(m))

    def _collaborators(self, m: ModuleFacts, graph: ImportGraph, reader: ContextReader) -> None:
        m.module = graph.module_name(m.rel)
        groups: dict[str, list[tuple[str, str | None]]] = {}
        for edge in graph.imports_of(m.rel):
            name = graph.module_name(edge.target) or edge.target
            entry: tuple[str, str | None] = (name, edge.target)
            if entry not in groups.setdefault("workspace", []):
                groups["workspace"].append(entry)
        for name, kind in graph.external.get(m.rel, []):
            entry = (name, None)
            if entry not in groups.setdefault(kind, []):
                groups[kind].append(entry)
        m.imports = groups
        self._withheld(m, graph, reader)
        seen: set[str] = set()
        for edge in graph.importers_of(m.rel):
            if edge.source in seen:
                continue
            seen.add(edge.source)
            if is_test_file(edge.source):
                m.tests.append(edge.source)
            else:
                m.importers.append((edge.source, edge.line))
        conventional = test_names_for(m.rel)
        m.tests += [f for f in reader.named(conventional) if f not in m.tests and f != m.rel]
        m.tests.sort()
        if m.facts is not None:
            m.indirect_tests = indirect_tests(
                m.rel, {d.name for d in public(m.facts)}, m.tests, graph, reader, is_test_file
            )
        m.importers.sort()

    def _withheld(self, m: ModuleFacts, graph: ImportGraph, reader: ContextReader) -> None:
        """Imports of files that exist but are never sent (gitignored, secrets): recorded
        with their reason, and not mistaken for third-party packages."""
        if m.facts is None:
            return
        names: set[str] = set()
        known = set(graph.files)  # a list: hundreds of candidates each scanned it
        top = str(reader.root)
        for imp in m.facts.imports:
            for path in import_candidates(graph, m.rel, m.facts.language, imp):
                if path in known or path == m.rel or not os.path.isfile(os.path.join(top, path)):
                    continue
                why = reader.withheld(path)
                if why is not None and (path, why) not in m.withheld:
                    m.withheld.append((path, why))
                    names.add(imp.spec)
        for group in ("third-party", "workspace"):
            kept = [entry for entry in m.imports.get(group, []) if entry[0] not in names]
            if kept:
                m.imports[group] = kept
            else:
                m.imports.pop(group, None)

    def _pieces(self, m: ModuleFacts, reader: ContextReader) -> list[Piece]:
        target = Piece(
            f"{m.rel} (the module to summarise)",
            m.text,
            priority=TARGET,
            source=m.rel,
            outline=outline_text(m.facts) if m.facts else None,
            required=True,
        )
        pieces = [target]
        neighbours = [p for _, p in m.imports.get("workspace", []) if p][:MAX_NEIGHBOURS]
        for path in neighbours:
            f = reader.outline(path)
            if f is not None:
                pieces.append(
                    Piece(f"{path} (imported; outline)", outline_text(f), NEIGHBOURS, source=path)
                )
        if m.importers:
            lines = [f"{p}:{line}" for p, line in m.importers]
            pieces.append(Piece(f"Who imports {m.rel}", "\n".join(lines), CALLERS))
        indirect = [p for p, _ in m.indirect_tests]
        for path in (m.tests + indirect)[:MAX_NEIGHBOURS]:
            test_text = reader.text(path)
            f = reader.outline(path) if test_text is not None else None
            if test_text is not None:
                pieces.append(
                    Piece(
                        f"{path} (tests)",
                        test_text,
                        TESTS,
                        source=path,
                        outline=outline_text(f) if f else None,
                    )
                )
        if m.wiring:
            pieces.append(
                Piece(
                    f"What {m.rel} serves and calls",
                    "\n".join(module_wiring.lines(m.rel, m.wiring)),
                    CALLERS,
                )
            )
        if m.history:
            pieces.append(
                Piece(
                    f"Recent history of {m.rel}",
                    "\n".join(f"{c.sha[:10]} {c.date} {c.author}: {c.subject}" for c in m.history),
                    HISTORY,
                )
            )
        return pieces


def workspace_overview(files: list[str], git: gitfacts.GitInfo) -> str:
    """A few lines about the whole workspace: the stable, cacheable part of a prompt."""
    tops: dict[str, int] = {}
    for f in files:
        top = f.split("/")[0] + "/" if "/" in f else "(top level)"
        tops[top] = tops.get(top, 0) + 1
    layout = "\n".join(f"{name}  ({n} files)" for name, n in sorted(tops.items()))
    return f"{len(files)} files; {git.describe()}.\n{layout}"


# -- the offline report ----------------------------------------------------------


def _def_line(rel: str, d: Definition) -> str:
    doc = f" — {d.doc}" if d.doc else " — *(no docstring)*"
    return f"- `{d.signature}` ({d.kind}, `{rel}:{d.line}`){doc}"


def render(m: ModuleFacts) -> str:
    """The deterministic summary: every line comes from a fact gathered above."""
    out: list[str] = [f"# Summary: `{m.rel}`", ""]
    if m.module:
        out += [f"Module `{m.module}`.", ""]
    f = m.facts
    parsed = f is not None and f.language is not None and not f.syntax_error
    out += ["## Responsibility", ""]
    if f is None or f.language is None:
        suffix = PurePosixPath(m.rel).suffix or "this kind of"
        out += [
            f"cowork does not parse `{suffix}` files yet; "
            "the outline below is limited to size and history.",
            "",
        ]
    elif f.syntax_error:
        out += [f"The module does not parse: {f.syntax_error}. The outline below is empty.", ""]
    elif f.docstring:
        out += [f.docstring.strip(), ""]
    elif f.language == "python":
        out += ["The module has no docstring; its responsibility is inferred from its API.", ""]
    else:
        shown_language = LANGUAGE_NAMES.get(f.language, f.language)
        out += [f"A {shown_language} file; its responsibility is inferred from its API below.", ""]
    role = module_wiring.role_sentence(m.wiring)
    if role:
        out += [role, ""]

    if parsed and f is not None:
        offered = public(f)
        out += ["## Public API", ""]
        if not offered:
            out += ["No public definitions.", ""]
        for d in offered:
            out.append(_def_line(m.rel, d))
            out.extend("  " + _def_line(m.rel, c) for c in d.children if c.public)
        private = [d for d in f.definitions if d not in offered]
        if private:
            out += ["", f"Private helpers: {', '.join(f'`{d.name}`' for d in private)}."]
        out.append("")

        out += ["## Collaborators", "", "### Imports", ""]
        if not m.imports:
            out.append("None.")
        for group in ("workspace", "third-party", "standard library"):
            items = m.imports.get(group, [])
            if items:
                shown_items = ", ".join(
                    f"`{n}`" + (f" (`{p}`)" if p and p != n else "") for n, p in items
                )
                out.append(f"- **{group.capitalize()}**: {shown_items}")
        if m.withheld:
            out.append(
                "- **Not sent** (never leaves the machine): "
                + ", ".join(f"`{p}` ({why})" for p, why in m.withheld)
            )
        out += ["", "### Imported by", ""]
        if m.importers:
            out += [f"- `{p}:{line}`" for p, line in m.importers]
        else:
            out.append("No workspace file imports it.")
        out.append("")
    if m.wiring:
        out += ["### Over the wire", "", *module_wiring.lines(m.rel, m.wiring), ""]

    out += ["## Tests", ""]
    out += [f"- `{t}`" for t in m.tests]
    out += [
        f"- `{t}` (indirect: imports its package and uses {', '.join(f'`{n}`' for n in names)})"
        for t, names in m.indirect_tests
    ]
    if not m.tests and not m.indirect_tests:
        out.append("No tests found (by import, by name or through its package).")
    out += ["", "## Recent history", ""]
    if not m.git.is_repo:
        out.append("The workspace is not a git repository: no history.")
    elif not m.git.has_commits:
        out.append("The repository has no commits yet.")
    elif not m.history:
        out.append("No commit has touched this file yet (new or untracked).")
    else:
        out += [f"- {c.date} {c.author}: {c.subject} (`{c.sha[:10]}`)" for c in m.history]
    lines = m.text.count("\n") + (1 if m.text and not m.text.endswith("\n") else 0)
    out += ["", "## Size", "", f"{lines:,} lines, {len(m.text.encode('utf-8')):,} bytes."]
    if parsed and f is not None:
        # Go and Rust methods are top-level definitions with a receiver: methods all the same
        receivers = sum(1 for d in f.definitions if d.kind == "method")
        methods = sum(len(d.children) for d in f.definitions) + receivers
        top = len(f.definitions) - receivers
        out[-1] += f" {top} top-level definitions, {methods} methods."

    risks = _risks(m)
    out += ["", "## Risks", ""]
    out += [f"- {r}" for r in risks] if risks else ["Nothing stood out in the facts gathered."]
    return "\n".join(out) + "\n"


def _risks(m: ModuleFacts) -> list[str]:
    risks: list[str] = []
    f = m.facts
    if f is not None and f.syntax_error:
        risks.append(f"It does not parse ({f.syntax_error}).")
    if not m.tests and not m.indirect_tests:
        risks.append("No tests were found for it: changes here are unguarded.")
    if len(m.importers) >= 5:
        risks.append(
            f"{len(m.importers)} workspace files import it: a change here has a wide reach."
        )
    if f is not None and f.language == "python" and not f.syntax_error:
        undocumented = [d.name for d in public(f) if not d.doc]
        if undocumented:
            names = ", ".join(f"`{n}`" for n in undocumented)
            risks.append(f"Public names without a docstring: {names}.")
        if not f.docstring:
            risks.append("No module docstring: its intended responsibility is not written down.")
    if m.todo_count:
        risks.append(f"{m.todo_count} TODO/FIXME markers in the file.")
    if m.text.count("\n") > 800:
        risks.append("Over 800 lines: consider whether it holds more than one responsibility.")
    return risks


# The same module is summarised again (a revision, another try): counting over 10,000
# lines once is enough. Keyed by the text itself.
@functools.lru_cache(maxsize=32)
def _todo_count(text: str) -> int:
    return len(_TODO.findall(text))


_TODO = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")
