"""The change a `review` or `docs` task looks at, as facts: each changed file's
versions, the definitions it touches, the public API before and after, the callers
of what changed and the related tests; and the line spans that show them."""

from __future__ import annotations

from dataclasses import dataclass, field

from cowork.context.defspans import spans_of
from cowork.context.diff import FileChange
from cowork.context.git import ChangeSet
from cowork.context.index import FileFacts
from cowork.context.outline import Definition
from cowork.kinds import change_rank

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
SYMLINK_MODE = "120000"


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


def innermost_pair(facts: FileFacts, line: int) -> tuple[Definition, Definition | None] | None:
    """The innermost definition holding `line`, with its class (or None)."""
    return spans_of(facts).innermost(line)


def innermost(facts: FileFacts, line: int) -> Definition | None:
    pair = innermost_pair(facts, line)
    return pair[0] if pair is not None else None


def spans_around(fc: FileChange, facts: FileFacts) -> list[tuple[int, int]]:
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
    return merge_spans(spans)


def numbered(text: str, spans: list[tuple[int, int]], limit: int) -> tuple[str, bool]:
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


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
