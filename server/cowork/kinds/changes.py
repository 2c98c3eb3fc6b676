"""`review` and `docs`: a branch's changes against its base, with what it takes to
understand them — the code around each hunk, the public API before and after, the
callers of what changed and the related tests.

Every file's content reaches a model through the `ContextReader`'s rules: a
change to an excluded file shows only as "changes not shown: why", binary and
unreadable files are listed and never sent, and all text is redacted. Versions
that are not in the work tree (the base, or HEAD when the work tree differs)
are read from git and held to the same rules here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context import git as gitfacts
from cowork.context.budget import LocalEstimator
from cowork.context.defspans import spans_of
from cowork.context.diff import FileChange, text_change
from cowork.context.git import ChangeSet
from cowork.context.graph import ImportGraph, graph_for
from cowork.context.index import FileFacts, decode, parse
from cowork.context.outline import Definition
from cowork.context.privacy import redact
from cowork.context.workspace import MAX_FILE_BYTES, relative_to
from cowork.errors import InputError, TaskFailure
from cowork.kinds import change_facts, change_memo, change_rank, rpc_callers, signatures
from cowork.kinds.base import (
    CALLERS,
    CHANGES,
    TARGET,
    TESTS,
    Collected,
    ContextReader,
    GatherRequest,
    Piece,
    optional_bool,
    optional_str,
    str_list,
)
from cowork.kinds.findings import Finding, Severity
from cowork.kinds.summarize import is_test_file, outline_text, public, test_names_for
from cowork.kinds.workspace_map import SMALL_SHARE

language_of = change_rank.code_language  # memoised: asked of the same paths many times

# Changed source files read in depth (API, callers, tests), by rank; the first ones of
# all changed files are read whole too (the code around their changes).
MAX_DEEP_FILES = 300
MAX_READ_FILES = 40
MAX_DEF_LINES = 150  # a longer definition is shown by its changed method, or around the change
AROUND = 15  # lines either side of a change inside a definition too long to show whole
MAX_AROUND_LINES = 400  # surrounding code per file
MAX_CALLER_FILES = 40
MAX_SITES_PER_FILE = 12
MAX_TESTS = 10
_SYMLINK_MODE = "120000"

# Added lines worth a second look in a first-pass review: (pattern, what to do, severity,
# category, the pattern of a line that is nothing but the finding, so removing it is the fix).
_CHECKS: list[tuple[re.Pattern[str], str, Severity, str, re.Pattern[str] | None]] = [
    (
        re.compile(r"\b(TODO|FIXME|XXX)\b"),
        "Resolve or track the added TODO/FIXME",
        "information",
        "todo",
        None,
    ),
    (
        re.compile(r"^\s*print\("),
        "Remove the print() call or use logging (debug output?)",
        "information",
        "debug-print",
        re.compile(r"^\s*print\([^()]*(\([^()]*\)[^()]*)*\)\s*(#.*)?$"),
    ),
    (
        re.compile(r"\bbreakpoint\(\)|\bpdb\.set_trace\(\)"),
        "Remove the debugger breakpoint",
        "warning",
        "debug-statement",
        re.compile(r"^\s*(breakpoint\(\)|(import pdb;\s*)?pdb\.set_trace\(\))\s*;?\s*(#.*)?$"),
    ),
    (
        re.compile(r"except\s*:\s*$|except Exception:\s*pass"),
        "Handle or log the exception instead of swallowing it",
        "warning",
        "swallowed-exception",
        None,
    ),
    (
        re.compile(r"^(<{7}|>{7})( |$)|^={7}$"),
        "Resolve the merge conflict: a conflict marker is left in",
        "error",
        "conflict-marker",
        re.compile(r"^(<{7}|>{7})( .*)?$|^={7}$"),
    ),
]


def _line_checks(path: str, line: int, text: str) -> list[Finding]:
    """The offline checks' findings on one added line; a line that is nothing but a
    debugger call, a debug print or a conflict marker carries its removal as the fix."""
    return [
        Finding(
            path,
            line,
            severity,
            message,
            category=category,
            suggestion="" if whole is not None and whole.match(text) else None,
        )
        for pattern, message, severity, category, whole in _CHECKS
        if pattern.search(text)
    ]


# -- the facts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One side of a changed file: its text as a model may see it (redacted), and the
    facts parsed from the text as it is (so line numbers are the file's own)."""

    text: str
    facts: FileFacts


@dataclass(frozen=True)
class ApiChange:
    path: str
    change: str  # "added" | "removed" | "changed"
    name: str  # qualified: "Class.method"
    kind: str
    before: str | None  # signature at the base
    after: str | None  # signature now
    line: int | None  # in the new version


@dataclass(frozen=True)
class CallSite:
    path: str
    line: int
    name: str  # the changed definition used there
    target: str  # the changed file that defines it
    within: str | None  # signature of the definition holding the call


@dataclass
class ChangeFacts:
    cs: ChangeSet
    shown: list[FileChange] = field(default_factory=list)
    hidden: list[tuple[FileChange, str]] = field(default_factory=list)  # (change, why)
    # Changes to generated, vendored, minified and lock files: one line each, never sent.
    generated: list[tuple[FileChange, str]] = field(default_factory=list)  # (change, why)
    main: frozenset[str] = frozenset()  # the workspace's main languages
    new: dict[str, Version] = field(default_factory=dict)
    old: dict[str, FileFacts] = field(default_factory=dict)
    touched: dict[str, list[Definition]] = field(default_factory=dict)
    api: list[ApiChange] = field(default_factory=list)
    api_notes: list[str] = field(default_factory=list)
    callers: list[CallSite] = field(default_factory=list)
    tests: dict[str, str] = field(default_factory=dict)  # path -> why it is related
    tested: set[str] = field(default_factory=set)  # changed files with a related test
    shallow_files: list[str] = field(default_factory=list)  # beyond MAX_DEEP_FILES

    @property
    def all_files(self) -> list[FileChange]:
        return sorted(
            [*self.shown, *(fc for fc, _ in self.hidden), *(fc for fc, _ in self.generated)],
            key=lambda f: f.path,
        )

    def users(self) -> dict[str, int]:
        """Changed path -> how many other files use its changed definitions."""
        by_target: dict[str, set[str]] = {}
        for c in self.callers:
            by_target.setdefault(c.target, set()).add(c.path)
        return {path: len(users) for path, users in by_target.items()}

    def ranked(self) -> list[FileChange]:
        """The shown changes in reading order (`change_rank.order`)."""
        return change_rank.order(self.shown, self.main, self.users())


def _gather_changes(request: GatherRequest) -> ChangeSet:
    try:
        return gitfacts.changes(
            request.root,
            request.params.get("base"),
            uncommitted=bool(request.params.get("uncommitted")),
        )
    except ValueError as exc:
        raise TaskFailure(str(exc)) from None


def collect(
    request: GatherRequest, reader: ContextReader, *, callers: bool, cs: ChangeSet | None = None
) -> ChangeFacts:
    """Everything `review` and `docs` know about the change, read through `reader`
    (`cs`: the change set, when the caller has it already)."""
    cs = cs or _gather_changes(request)
    reader.check_cancelled()
    files = _with_work_tree(cs, reader) if cs.uncommitted else list(cs.files)
    if not cs.commits and not files:
        raise TaskFailure(_nothing_to_compare(cs, request.root))
    f = ChangeFacts(replace(cs, files=files))
    f.main = change_rank.main_languages(reader.inventory)
    if any(language_of(fc.path) for fc in files):
        reader.all_facts  # noqa: B018 -- parsed files are judged generated by their facts
    for fc in sorted(files, key=lambda c: c.path):
        generated = change_facts.why_generated(fc, reader)
        if generated is not None:
            f.generated.append((fc, generated))
            continue
        why = _why_hidden(fc, reader)
        if why is None:
            f.shown.append(fc)
        else:
            f.hidden.append((fc, why))
    reader.check_cancelled()
    # Facts of every changed code file, most important first (the cap is far above a
    # release's worth of source files; beyond it, diffs alone).
    ranked = f.ranked()
    deep = [fc for fc in ranked if _has_text(fc) and language_of(fc.path) is not None]
    f.shallow_files = [fc.path for fc in deep[MAX_DEEP_FILES:]]
    deep = deep[:MAX_DEEP_FILES]
    # The first files in reading order are read whole (the code around their changes);
    # the other source files by their facts alone, which is all the facts need.
    read = [fc for fc in ranked if _has_text(fc)][:MAX_READ_FILES]
    texts = {fc.path for fc in read}
    _read_versions(f, [*read, *(fc for fc in deep if fc.path not in texts)], reader, texts)
    reader.check_cancelled()
    for fc in deep:
        if not is_test_file(fc.path):  # a test's functions are nobody's API
            _api_changes(f, fc)
        version = f.new.get(fc.path)
        if version is not None:
            f.touched[fc.path] = _touched_definitions(fc, version.facts)
    if any(f.new.get(fc.path) or f.old.get(fc.path) for fc in deep):
        graph = graph_for(reader)
        reader.check_cancelled()
        if callers:
            _find_callers(f, deep, graph, reader)
        _find_tests(f, deep, graph, reader)
    if callers:
        _find_rpc_callers(f, reader)
    return f


def _find_rpc_callers(f: ChangeFacts, reader: ContextReader) -> None:
    """Callers of each rpc a changed `.proto` adds, removes or changes (`rpc_callers`)."""
    for fc in f.shown:
        if not fc.path.endswith(".proto"):
            continue
        version = f.new.get(fc.path)
        lines = [t for h in fc.hunks for t in h.lines if t[:1] in "+-"]
        new_text = version.text if version is not None and version.text else None
        if new_text is None and fc.status != "D":
            new_text = reader.text(fc.path)  # beyond the files read whole
        rpcs = rpc_callers.changed_rpcs(fc.path, new_text, lines)
        for use in rpc_callers.rpc_uses(reader, fc.path, rpcs):
            facts = reader.facts(use.path)
            within = _innermost(facts, use.line) if facts is not None else None
            name = use.name if use.role == "calls" else f"{use.name} (serves it)"
            f.callers.append(
                CallSite(use.path, use.line, name, use.target, within.signature if within else None)
            )


def _nothing_to_compare(cs: ChangeSet, root: Path) -> str:
    what = "changes, committed or not," if cs.uncommitted else "committed changes"
    advice = "." if cs.uncommitted else " (or include uncommitted changes)."
    if cs.base != cs.head:  # commits, but none under this workspace folder
        return (
            f"nothing under {root} changed since the merge-base with {cs.base_ref} "
            f"({cs.base[:10]}): there are no {what} to compare here{advice}"
        )
    return (
        f"HEAD is at its merge-base with {cs.base_ref} ({cs.base[:10]}): there are no "
        f"{what} to compare. Commit your work, or pass another base{advice}"
    )


def _has_text(fc: FileChange) -> bool:
    return not (fc.submodule or _SYMLINK_MODE in (fc.old_mode, fc.new_mode))


def _why_hidden(fc: FileChange, reader: ContextReader) -> str | None:
    """Why none of this change's content may be sent, or None. Records exclusions."""
    if fc.submodule:  # before exclusions: its folder is outside the inventory's files
        return "a submodule: its content belongs to another repository and is not sent"
    for path in fc.paths:
        why = reader.why_excluded(path)
        if why is None and fc.hunks and reader.rules.needs_text(path):
            # token-bearing config (an .npmrc with a token) is judged by content too
            why = reader.rules.reason(path, fc.patch())
        if why is not None:
            reader.excluded.setdefault(path, why)
            return f"changes not shown: {why}"
    if fc.binary:
        return "binary, not sent"
    if fc.unreadable:
        return f"{fc.unreadable}, not sent"
    return None


# -- the work tree (uncommitted changes) ------------------------------------------------


def _with_work_tree(cs: ChangeSet, reader: ContextReader) -> list[FileChange]:
    """Tracked changes from git, plus untracked files and the editor's unsaved text,
    both read through the reader."""
    by_path = {fc.path: fc for fc in cs.files}
    for rel in gitfacts.untracked(reader.root):
        if rel in by_path:
            continue
        if reader.why_excluded(rel) is not None or reader.why_generated(rel) is not None:
            by_path[rel] = FileChange(rel, "A")  # listed as not shown, never read (whole)
            continue
        text = reader.text(rel)
        if text is None:
            why = reader.excluded.get(rel, "unreadable")
            by_path[rel] = FileChange(rel, "A", binary="binary" in why, unreadable=why)
        else:
            by_path[rel] = text_change(rel, None, text)
    # What the user sees is what is sent: an open document's unsaved text.
    open_docs = [
        rel
        for rel in sorted(reader.overlays)
        if (rel in by_path or rel in reader.inventory) and reader.why_excluded(rel) is None
    ]
    olds = {rel: (by_path[rel].old_path if rel in by_path else None) or rel for rel in open_docs}
    blobs = gitfacts.files_at(reader.root, cs.base, sorted(set(olds.values())), MAX_FILE_BYTES)
    for rel in open_docs:
        data = blobs.get(olds[rel])
        before = decode(data)[0] if data is not None else None
        if data is not None and before is None:
            continue  # the base is not text: keep git's account of it
        now = reader.overlays[rel]
        if before == now:
            by_path.pop(rel, None)
            continue
        change = text_change(rel, before, now)
        earlier = by_path.get(rel)
        if earlier is not None and earlier.old_path is not None:
            change = replace(change, status=earlier.status, old_path=earlier.old_path)
        by_path[rel] = change
    return sorted(by_path.values(), key=lambda c: c.path)


# -- versions, surrounding code, API -----------------------------------------------------


def _read_versions(
    f: ChangeFacts, deep: list[FileChange], reader: ContextReader, texts: set[str]
) -> None:
    """Each deep file's new version (HEAD's, or the work tree's with uncommitted
    changes) and facts of its base version; the text of those in `texts` only."""
    olds = {fc.path: fc.old_path or fc.path for fc in deep if fc.status != "A"}
    base = gitfacts.files_at(reader.root, f.cs.base, sorted(set(olds.values())), MAX_FILE_BYTES)
    for path, old in olds.items():
        data = base.get(old)
        text = decode(data)[0] if data is not None else None
        if text is not None:
            f.old[path] = reader.index.version_facts(old, text)
    alive = [fc.path for fc in deep if fc.status != "D"]
    head: dict[str, bytes | None] = {}
    if not f.cs.uncommitted:
        head = gitfacts.files_at(reader.root, f.cs.head, alive, MAX_FILE_BYTES)
    for path in alive:
        if path not in texts:
            version = _facts_only(path, head.get(path), f.cs.uncommitted, reader)
            if version is not None:
                f.new[path] = version
            continue
        work = reader.text(path)  # provenance: the file as it is, or why it is not sent
        if f.cs.uncommitted:
            facts = reader.facts(path)
            if work is not None and facts is not None:
                f.new[path] = Version(work, facts)
        else:
            version = _committed_version(path, head.get(path), work, reader)
            if version is not None:
                f.new[path] = version


def _facts_only(
    path: str, data: bytes | None, uncommitted: bool, reader: ContextReader
) -> Version | None:
    """The new version's facts without its text (which is not sent): the work tree's
    outline when it is that version, else HEAD's parsed (never sent as text)."""
    if reader.why_excluded(path) is not None:
        return None
    if not uncommitted and data is None:
        return None
    facts = reader.outline(path)  # recorded in provenance: its outline is in the facts
    if facts is not None and (
        uncommitted or facts.sha256 == hashlib.sha256(data or b"").hexdigest()
    ):
        return Version("", facts)
    raw = decode(data)[0] if data is not None else None
    if raw is None:
        return None
    return Version("", parse(path, raw, hashlib.sha256(raw.encode()).hexdigest(), len(raw)))


def _committed_version(
    path: str, data: bytes | None, work: str | None, reader: ContextReader
) -> Version | None:
    """HEAD's version of `path` (`data`), held to the reader's rules: it may differ
    from the work tree's (`work`, as the reader gave it), which the reader guards."""
    if data is None:
        return None
    sha = hashlib.sha256(data).hexdigest()
    ref = reader.files.get(path)
    if work is not None and ref is not None and ref.sha256 == sha:
        facts = reader.facts(path)  # the work tree is HEAD's: its cached facts serve
        return Version(work, facts) if facts is not None else None
    raw = decode(data)[0]
    if raw is None or reader.why_excluded(path) is not None:
        return None
    why = reader.rules.reason(path, raw)
    if why is not None:
        reader.excluded.setdefault(path, why)
        return None
    clean, found = redact(raw)
    if found:
        reader.redacted.setdefault(path, found)
    return Version(clean, parse(path, raw, sha, len(data)))


def _innermost_pair(facts: FileFacts, line: int) -> tuple[Definition, Definition | None] | None:
    """The innermost definition holding `line`, with its class (or None)."""
    return spans_of(facts).innermost(line)


def _innermost(facts: FileFacts, line: int) -> Definition | None:
    pair = _innermost_pair(facts, line)
    return pair[0] if pair is not None else None


def _touched_definitions(fc: FileChange, facts: FileFacts) -> list[Definition]:
    """The definitions (innermost) that hold a changed line, in file order. A special
    method stands for its class: callers use `Engine(…)`, not `__init__`."""
    found: dict[tuple[int, str], Definition] = {}
    spans = spans_of(facts)
    for hunk in fc.hunks:
        for line in hunk.touched():
            pair = spans.innermost(line)
            if pair is None:
                continue
            d, owner = pair
            if owner is not None and d.name.startswith("__") and d.name.endswith("__"):
                d = owner
            found[(d.line, d.name)] = d
    return [found[k] for k in sorted(found)]


def _spans(fc: FileChange, facts: FileFacts) -> list[tuple[int, int]]:
    """Line spans of the new file that make each hunk understandable: the enclosing
    definition when short enough, else its changed method, else the lines around."""
    spans: list[tuple[int, int]] = []
    for hunk in fc.hunks:
        for line in hunk.touched():
            chosen: tuple[int, int] | None = None
            holders = [d for d, _ in spans_of(facts).holders(line)]
            for d in holders:  # outermost first
                if d.end_line - d.line < MAX_DEF_LINES:
                    chosen = (d.line, d.end_line)
                    break
            if chosen is None and holders:
                chosen = (max(holders[-1].line, line - AROUND), line + AROUND)
                spans.append((holders[-1].line, holders[-1].line))  # its signature
            if chosen is not None:
                spans.append(chosen)
    return _merge(spans)


def _numbered(text: str, spans: list[tuple[int, int]], limit: int) -> tuple[str, bool]:
    """The lines of `spans`, numbered; (text, whether `limit` cut it short)."""
    lines = text.split("\n")
    out: list[str] = []
    for start, end in spans:
        if out:
            out.append("     …")
        for n in range(start, min(end, len(lines)) + 1):
            if len(out) >= limit:
                return "\n".join(out), True
            out.append(f"{n:>5}  {lines[n - 1]}")
    return "\n".join(out), False


def _api_of(facts: FileFacts | None) -> dict[str, tuple[str, str, int]]:
    """Qualified public name -> (kind, signature, line)."""
    if facts is None or facts.syntax_error:
        return {}
    out: dict[str, tuple[str, str, int]] = {}
    for d in public(facts):
        out[d.name] = (d.kind, d.signature, d.line)
        for c in d.children:
            if c.public:
                out[f"{d.name}.{c.name}"] = (c.kind, c.signature, c.line)
    return out


def _api_changes(f: ChangeFacts, fc: FileChange) -> None:
    old, new = f.old.get(fc.path), f.new.get(fc.path)
    new_facts = new.facts if new is not None else None
    broken = False
    for facts, when in ((old, "at the base"), (new_facts, "now")):
        if facts is not None and facts.syntax_error:
            broken = True
            f.api_notes.append(
                f"`{fc.path}` does not parse {when} ({facts.syntax_error}): its public API "
                "before/after is not compared."
            )
    unparsed = all(x is None or x.language is None for x in (old, new_facts))
    if broken or unparsed:
        return
    before, after = _api_of(old), _api_of(new_facts)
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b is not None and a is not None and b[:2] == a[:2]:
            continue
        change = "added" if b is None else "removed" if a is None else "changed"
        kind = (a or b or ("", "", 0))[0]
        f.api.append(
            ApiChange(
                fc.path,
                change,
                name,
                kind,
                b[1] if b else None,
                a[1] if a else None,
                a[2] if a else None,
            )
        )


# -- callers and tests ---------------------------------------------------------------------


def _searched_names(f: ChangeFacts, path: str) -> set[str]:
    """Names by which other files use what changed in `path`."""
    names = {d.name for d in f.touched.get(path, [])}
    names |= {a.name.rsplit(".", 1)[-1] for a in f.api if a.path == path and a.change != "added"}
    return {n for n in names if not (n.startswith("__") and n.endswith("__"))}


def _users_of(path: str, graph: ImportGraph, reader: ContextReader) -> dict[str, set[int]]:
    """Files that use `path` -> their import lines: importers, and for Go the files of
    the same package (which use each other without importing)."""
    users: dict[str, set[int]] = {}
    for edge in graph.importers_of(path):
        users.setdefault(edge.source, set()).add(edge.line)
    if path.endswith(".go"):
        for other in reader.in_folder(path.rpartition("/")[0]):
            if other.endswith(".go"):
                users.setdefault(other, set())
    users.pop(path, None)
    return users


def _find_callers(
    f: ChangeFacts, deep: list[FileChange], graph: ImportGraph, reader: ContextReader
) -> None:
    files_seen: set[str] = set()
    for fc in deep:
        names = _searched_names(f, fc.path)
        if not names:
            continue
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
        for user, import_lines in sorted(_users_of(fc.path, graph, reader).items()):
            if is_test_file(user):
                continue
            if user not in files_seen and len(files_seen) >= MAX_CALLER_FILES:
                break
            reader.check_cancelled()
            if not reader.may_mention(user, names):
                continue
            text = reader.text(user)
            if text is None or pattern.search(text) is None:
                continue  # (a match within a line is a match in the text, and back)
            facts = reader.facts(user)
            sites = 0
            # The first match of each line, as a search line by line finds it (a name
            # holds no line break, and a line break is a word boundary).
            n, counted, last_line = 1, 0, 0
            for m in pattern.finditer(text):
                n += text.count("\n", counted, m.start())
                counted = m.start()
                if n == last_line:
                    continue
                last_line = n
                if sites >= MAX_SITES_PER_FILE:
                    break
                if n in import_lines:
                    continue
                within = _innermost(facts, n) if facts is not None else None
                f.callers.append(
                    CallSite(
                        user,
                        n,
                        m.group(1),
                        fc.path,
                        within.signature if within else None,
                    )
                )
                sites += 1
                files_seen.add(user)


def _find_tests(
    f: ChangeFacts, deep: list[FileChange], graph: ImportGraph, reader: ContextReader
) -> None:
    changed_tests = [fc.path for fc in deep if is_test_file(fc.path)]
    for path in changed_tests:
        f.tests.setdefault(path, "changed in this change")
    for fc in deep:
        if is_test_file(fc.path):
            continue
        for edge in graph.importers_of(fc.path):
            if is_test_file(edge.source):
                f.tests.setdefault(edge.source, f"imports `{fc.path}`")
                f.tested.add(fc.path)
        conventional = test_names_for(fc.path)
        for other in reader.named(conventional):
            # a test is code: a file named like one (an issue template) is not a test
            if other != fc.path and language_of(other) is not None:
                f.tests.setdefault(other, f"named after `{fc.path}`")
                f.tested.add(fc.path)
        # A test changed in the same change that uses a changed name covers it.
        names = {d.name for d in f.touched.get(fc.path, []) if d.public}
        for test in changed_tests:
            used = sorted(n for n in names if reader.may_mention(test, {n}))
            if used:
                f.tests[test] = f"changed in this change; uses `{used[0]}` of `{fc.path}`"
                f.tested.add(fc.path)


# -- pieces ------------------------------------------------------------------------------


def _commit_lines(cs: ChangeSet) -> str:
    out: list[str] = []
    for c in cs.commits:
        merge = " (merge)" if c.merge else ""
        out.append(f"{c.sha[:10]} {c.date} {c.author}{merge}: {c.subject}")
        out.extend(f"    {line}" for line in c.body.split("\n") if c.body)
    if cs.more_commits:
        out.append(f"… and {cs.more_commits} older commits, not listed")
    if cs.uncommitted:
        out.append("(plus the uncommitted changes in the work tree)")
    return redact("\n".join(out) or "(none)")[0]


def _file_list(f: ChangeFacts) -> str:
    hidden = dict((fc.path, why) for fc, why in f.hidden)
    hidden |= {fc.path: f"not shown: {why}" for fc, why in f.generated}
    out = []
    for fc in f.all_files:
        counts = "" if fc.added is None else f" +{fc.added} -{fc.deleted}"
        why = f" — {hidden[fc.path]}" if fc.path in hidden else ""
        out.append(f"{fc.path} ({fc.describe()}){counts}{why}")
    return redact("\n".join(out))[0]


def _diff_piece(fc: FileChange, f: ChangeFacts) -> Piece:
    """The diff of `fc`, with the smaller forms it takes before its outline (one of the
    "diffs" group, ranked by its place in the list)."""
    title = f"Diff of {fc.path}" + (f" ({fc.describe()})" if fc.old_path else "")
    patch = fc.patch() or f"({fc.describe()}; no content change)"
    outline = "\n".join(f"{h.header}  (+{len(h.added())} lines)" for h in fc.hunks) or fc.describe()
    version = f.new.get(fc.path)
    called = {c.name for c in f.callers if c.target == fc.path}
    clean, found = redact(patch)
    steps: list[tuple[str, str]] = []
    if not any(r.kind == "private key" for r in found):  # a key block may span hunks
        steps = change_rank.shrink_steps(
            fc, version.facts if version else None, called, lambda t: redact(t)[0]
        )
    return Piece(
        title,
        clean,
        change_rank.priority_of(change_rank.rank_of(fc.path, f.main)),
        source=fc.path,
        outline=redact(outline)[0],
        smaller=tuple(steps),
        group="diffs",
    )


def _around_piece(fc: FileChange, version: Version) -> Piece | None:
    if not version.text:
        return None  # read for its facts only
    spans = _spans(fc, version.facts)
    if not spans:
        return None
    text, cut = _numbered(version.text, spans, MAX_AROUND_LINES)
    if cut:
        text += f"\n     … (cut at {MAX_AROUND_LINES} lines)"
    return Piece(
        f"{fc.path}: the code around the changes (numbered as in the new version)",
        text,
        CHANGES,
        source=fc.path,
        outline=redact(outline_text(version.facts))[0],
    )


def _api_lines(f: ChangeFacts) -> list[str]:
    out: list[str] = []
    for path in sorted({a.path for a in f.api}):
        out.append(f"### `{path}`")
        for a in (a for a in f.api if a.path == path):
            where = f" (`{a.path}:{a.line}`)" if a.line else ""
            if a.change == "changed":
                out.append(f"- changed {a.kind} `{a.before}` → `{a.after}`{where}")
            else:
                out.append(f"- {a.change} {a.kind} `{a.after or a.before}`{where}")
        out.append("")
    out += [f"- {note}" for note in f.api_notes]
    return out


def _caller_pieces(f: ChangeFacts, reader: ContextReader) -> list[Piece]:
    pieces: list[Piece] = []
    for path in sorted({c.path for c in f.callers}):
        sites = [c for c in f.callers if c.path == path]
        text = reader.text(path)
        facts = reader.facts(path)
        if text is None:
            continue
        spans: list[tuple[int, int]] = []
        for c in sites:
            d = _innermost(facts, c.line) if facts is not None else None
            if d is not None and d.end_line - d.line < MAX_DEF_LINES:
                spans.append((d.line, d.end_line))
            else:
                spans.append((max(1, c.line - 3), c.line + 3))
        body, _ = _numbered(text, _merge(spans), MAX_AROUND_LINES)
        listing = "\n".join(
            f"{c.path}:{c.line} uses `{c.name}` (changed in {c.target})" for c in sites
        )
        pieces.append(
            Piece(
                f"Callers of changed definitions in {path}",
                f"{listing}\n\n{body}",
                CALLERS,
                source=path,
                outline=listing,
            )
        )
    return pieces


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _test_pieces(f: ChangeFacts, reader: ContextReader) -> list[Piece]:
    pieces: list[Piece] = []
    for path in sorted(f.tests)[:MAX_TESTS]:
        text = reader.text(path)
        if text is None:
            continue
        facts = reader.facts(path)
        pieces.append(
            Piece(
                f"{path} (related tests: {f.tests[path]})",
                text,
                TESTS,
                source=path,
                outline=redact(outline_text(facts))[0] if facts else None,
            )
        )
    return pieces


def pieces_for(
    f: ChangeFacts, request: GatherRequest, reader: ContextReader, *, callers: bool
) -> list[Piece]:
    """The context pieces, in the order a model reads them."""
    pieces: list[Piece] = []
    desc = request.params.get("description")
    if desc:
        pieces.append(Piece("What the change is supposed to do", redact(desc)[0], TARGET))
    pieces.append(Piece("Commits", _commit_lines(f.cs), TARGET))
    listing = _file_list(f)
    pieces.append(
        Piece(
            f"Changed files ({f.cs.base[:10]}..{_new_side(f.cs)})",
            listing,
            TARGET,
            outline=change_facts.stats_outline(listing.splitlines()),
        )
    )
    deep = [fc for fc in f.shown if language_of(fc.path) and (fc.path in f.new or fc.path in f.old)]
    pieces.append(
        change_facts.facts_piece(
            _api_lines(f),
            [f"{c.path}:{c.line} uses `{c.name}` (changed in {c.target})" for c in f.callers]
            if callers
            else None,
            [f"{path} — {why}" for path, why in sorted(f.tests.items())],
            len(deep),
        )
    )
    ranked = f.ranked()
    pieces += [_diff_piece(fc, f) for fc in ranked]
    generated = change_facts.generated_piece(f.generated)
    if generated is not None:
        pieces.append(generated)
    for fc in ranked:
        version = f.new.get(fc.path)
        around = _around_piece(fc, version) if version is not None else None
        if around is not None:
            pieces.append(around)
    if callers:
        pieces += _caller_pieces(f, reader)
    pieces += _test_pieces(f, reader)
    for note in request.params.get("notes", []):
        text = reader.text(note, required=True)
        assert text is not None
        pieces.append(Piece(f"Notes: {note}", text, CHANGES, source=note))
    return pieces


def _new_side(cs: ChangeSet) -> str:
    return "the work tree" if cs.uncommitted else cs.head[:10]


# -- the offline reports ------------------------------------------------------------------


def _observations(f: ChangeFacts) -> list[Finding]:
    """What is worth a reviewer's look, from the facts alone, at file:line."""
    found: list[Finding] = []
    for fc in f.shown:
        for hunk in fc.hunks:
            for line, text in hunk.added():
                found += _line_checks(fc.path, line, text)
    by_name = {(a.path, a.name.rsplit(".", 1)[-1]): a for a in f.api if a.change != "added"}
    for c in f.callers:
        a = by_name.get((c.target, c.name))
        if a is None or signatures.ambiguous(c.name, a.name):
            continue
        if a.change != "removed" and (
            a.kind == "class" or not signatures.calls_may_break(a.before, a.after)
        ):
            # Annotations only, or a class's bases (its __init__ is judged on its
            # own): every call stays as it was.
            continue
        if a.change == "removed":
            what = f"Update this call: `{c.name}` is removed from `{a.path}`"
            why = f"This line uses `{c.name}`, which this change removes from `{a.path}`."
            found.append(Finding(c.path, c.line, "error", what, why, category="removed-definition"))
        else:
            what = f"Check this call: the signature of `{c.name}` changed"
            why = f"`{a.before}` → `{a.after}` (in `{a.path}`)."
            found.append(Finding(c.path, c.line, "warning", what, why, category="signature-change"))
    for path, defs in f.touched.items():
        public_defs = [d for d in defs if d.public and not is_test_file(path)]
        if public_defs and path not in f.tested:
            d = public_defs[0]
            what = f"Add a test: `{d.name}` changed and no related test was found"
            why = "No test file imports this module or is named after it."
            found.append(
                Finding(path, d.line, "information", what, why, category="untested-change")
            )
    return sorted(set(found), key=lambda x: (x.path, x.line, x.message))


def _change_lines(f: ChangeFacts) -> list[str]:
    cs = f.cs
    new = "the work tree" if cs.uncommitted else f"`{cs.head[:10]}`"
    count = len(cs.commits) + cs.more_commits
    out = [
        f"Compared {new} with its merge-base `{cs.base[:10]}` on `{cs.base_ref}`: "
        f"{count} commits, {len(f.all_files)} files"
        + (" (uncommitted changes included)." if cs.uncommitted else "."),
        "",
        "| file | change | added | deleted |",
        "| --- | --- | ---: | ---: |",
    ]
    hidden = dict((fc.path, why) for fc, why in f.hidden)
    hidden |= {fc.path: change_facts.generated_line(fc, why) for fc, why in f.generated}
    for fc in f.all_files:
        what = fc.describe() + (f" — {hidden[fc.path]}" if fc.path in hidden else "")
        if fc.added is None:
            out.append(f"| `{fc.path}` | {what} | | |")
        else:
            out.append(f"| `{fc.path}` | {what} | {fc.added} | {fc.deleted} |")
    if f.shallow_files:
        out += [
            "",
            f"{len(f.shallow_files)} more source files are shown by their diff only (over "
            f"{MAX_DEEP_FILES} files are not read in depth).",
        ]
    out += ["", "### Commits", ""]
    out += [
        f"- {c.subject} (`{c.sha[:10]}`, {c.author}{', a merge' if c.merge else ''})"
        for c in cs.commits
    ] or ["None."]
    if cs.more_commits:
        out.append(f"- … and {cs.more_commits} older commits")
    return out


def _api_section(f: ChangeFacts) -> list[str]:
    lines = _api_lines(f)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        lines = ["No public definition was added, removed or changed."]
    return ["## Public API before/after", "", *lines, ""]


def _callers_section(f: ChangeFacts) -> list[str]:
    out = ["## Callers of changed definitions", ""]
    for c in f.callers:
        within = f", in `{c.within}`" if c.within else ""
        out.append(f"- `{c.path}:{c.line}` uses `{c.name}` (changed in `{c.target}`){within}")
    if not f.callers:
        out.append("No other workspace file uses the changed definitions.")
    return [*out, ""]


def _tests_section(f: ChangeFacts) -> list[str]:
    out = ["## Related tests", ""]
    out += [f"- `{path}` — {why}" for path, why in sorted(f.tests.items())]
    if not f.tests:
        out.append("No related tests were found (by import or by name) for the changed files.")
    return [*out, ""]


def review_report(f: ChangeFacts, description: str | None) -> str:
    out = ["# Review: this branch's changes", ""]
    if description:
        out += ["## What it is supposed to do", "", description.strip(), ""]
    out += ["## The change", "", *_change_lines(f), ""]
    out += _api_section(f) + _callers_section(f) + _tests_section(f)
    out += ["## Observations", ""]
    out += [
        f"- `{o.path}:{o.line}` — {o.message} ({o.severity})"
        + (f": {o.detail}" if o.detail else "")
        for o in _observations(f)
    ] or [
        "The offline checks (TODO markers, print calls, breakpoints, swallowed exceptions, "
        "conflict markers, callers of removed or changed definitions, untested changes) "
        "found nothing."
    ]
    return "\n".join(out) + "\n"


def docs_report(f: ChangeFacts, description: str | None) -> str:
    out = ["# Docs draft: this change", "", "## Context", ""]
    out.append(
        (description or "").strip()
        or "*(No description given: describe why this change was made.)*"
    )
    out += ["", "## What changed", "", *_change_lines(f), ""]
    out += _api_section(f) + _tests_section(f)
    out += [
        "## Decision",
        "",
        "*(To be written: the decision and its alternatives.)*",
        "",
        "## Operational considerations",
        "",
        "*(To be written.)*",
    ]
    return "\n".join(out) + "\n"


# -- the kinds --------------------------------------------------------------------------


class _ChangesKind:
    name = ""
    command = ""
    with_callers = True

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        base = optional_str(params, "base")
        if base is not None:
            base = base.strip()  # checked after stripping: " --output=x" is an option too
            if not base or base.startswith("-"):
                raise InputError(f"'base' must name a git ref, got {base!r}")
            out["base"] = base
        description = optional_str(params, "description")
        if description:
            out["description"] = description
        notes = str_list(params, "notes")
        if notes:
            out["notes"] = [relative_to(root, uris.to_path(n)) for n in notes]
        if optional_bool(params, "uncommitted"):
            out["uncommitted"] = True
        return out

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        """Collect the change through `reader`. Blocking: runs in a worker process."""
        cs = _gather_changes(request)
        key = change_memo.memo_key(self.name, request, reader, cs.base, cs.head)
        known = change_memo.lookup(reader, key)
        if known is not None:
            return known.restore(reader)
        collected = self._gather(request, reader, cs)
        change_memo.keep(reader, key, collected)
        return collected

    def _gather(self, request: GatherRequest, reader: ContextReader, cs: ChangeSet) -> Collected:
        f = collect(request, reader, callers=self.with_callers, cs=cs)
        reader.check_cancelled()
        pieces = pieces_for(f, request, reader, callers=self.with_callers)
        report = self.report(f, request.params.get("description"))
        # A change larger than the budget leaves the shared map only a small share.
        estimate = LocalEstimator()
        size = sum(estimate.count(p.text) for p in pieces)
        big = size > request.settings.context_budget_tokens - request.reserved_tokens
        return Collected(
            pieces,
            report,
            f.cs.base,
            findings=self.findings(f),
            map_share=SMALL_SHARE if big else None,
        )

    def report(self, f: ChangeFacts, description: str | None) -> str:
        raise NotImplementedError

    def findings(self, f: ChangeFacts) -> list[Finding]:
        return []


def _against(params: dict[str, Any], default: str) -> str:
    extra = " (with uncommitted changes)" if params.get("uncommitted") else ""
    return f"{params.get('base', default)}{extra}"


class Review(_ChangesKind):
    name = "review"

    def title(self, params: dict[str, Any]) -> str:
        return f"Review of this branch against {_against(params, 'its base')}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title="Review this branch's changes",
            goal="A first-pass review of this branch's changes: does it do what it is supposed "
            "to, and what should a human reviewer look at first?",
            context=[
                "the diff against the merge-base",
                "the commit messages",
                "the description",
                "the code around each change",
                "callers of changed definitions",
                "related tests",
                "public API before/after",
            ],
            output_format="Observations, each with `path:line`, a severity (error, warning, "
            "information, hint), what and why, and a suggested replacement when obvious.",
            out_of_scope="Formatting and style a linter would catch.",
            params={k: v for k, v in params.items() if k in ("base", "description", "uncommitted")},
        )

    def report(self, f: ChangeFacts, description: str | None) -> str:
        return review_report(f, description)

    def findings(self, f: ChangeFacts) -> list[Finding]:
        return _observations(f)


class Docs(_ChangesKind):
    name = "docs"
    with_callers = False  # docs describe the change, not its blast radius

    def title(self, params: dict[str, Any]) -> str:
        return f"Docs for the change since {_against(params, 'the base')}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title="Draft docs for this change",
            goal="Draft the documentation for the change just finished: the decision, the API "
            "changes, and what operators need to know.",
            context=[
                "the diff and commits",
                "the description",
                "the notes files",
                "public API before/after",
                "related tests",
            ],
            output_format="A decision record (context, decision, consequences), API changes "
            "before/after, operational considerations.",
            out_of_scope="Marketing copy; re-explaining unchanged code.",
            params={
                k: v
                for k, v in params.items()
                if k in ("base", "description", "notes", "uncommitted")
            },
        )

    def report(self, f: ChangeFacts, description: str | None) -> str:
        return docs_report(f, description)
