"""What a reviewer reads first in a change, and how a large diff shrinks.

Every changed file gets a rank: source files of the workspace's main
languages first, then source in other languages, tests, build and
configuration, docs, CI, and data. Within a rank, files whose changed
definitions other files use come first. A diff too large for the budget
shrinks in steps before it is dropped: deletion-only, whitespace-only and
rename-only hunks become one-line notes, then hunks far from any definition,
then every hunk except those inside definitions that other files call.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from cowork.context.diff import FileChange, Hunk
from cowork.context.index import FileFacts, language_of
from cowork.kinds.base import CHANGES, NEIGHBOURS, TARGET
from cowork.kinds.summarize import is_test_file

# Ranks, in reading order.
SOURCE, OTHER_SOURCE, TEST, BUILD, DOCS, CI, DATA = range(7)

# A language is one of the workspace's main ones when it has this share of its code files.
_MAIN_SHARE = 0.15
NEAR = 3  # lines from a definition that a hunk may be and still be "at" it
_MIN_LINES = 12  # a diff is not cut to fewer lines than this (its outline comes next)
SHRINK_FROM_LINES = 40  # a smaller patch goes whole or as its outline

_BUILD_NAMES = frozenset(
    {
        "Makefile",
        "makefile",
        "GNUmakefile",
        "CMakeLists.txt",
        "Dockerfile",
        "Containerfile",
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.yml",
        "compose.yaml",
        "pyproject.toml",
        "setup.cfg",
        "tox.ini",
        "noxfile.py",
        "Pipfile",
        "package.json",
        "tsconfig.json",
        "go.mod",
        "go.work",
        "Cargo.toml",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
        "Gemfile",
        "composer.json",
        "BUILD",
        "BUILD.bazel",
        "WORKSPACE",
        "MODULE.bazel",
        "meson.build",
        "Justfile",
        "Rakefile",
        ".gitattributes",
        ".gitignore",
        ".dockerignore",
        ".editorconfig",
        ".pre-commit-config.yaml",
    }
)
_BUILD_SUFFIXES = (".toml", ".cfg", ".ini", ".mk", ".cmake", ".gradle", ".csproj", ".sln")
_BUILD_PREFIXES = ("requirements", "constraints", "Dockerfile", ".eslintrc", ".prettierrc")
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".org", ".textile")
_DOC_NAMES = frozenset(
    {"LICENSE", "LICENCE", "COPYING", "AUTHORS", "CHANGES", "CHANGELOG", "NEWS", "NOTICE"}
)
_CI_NAMES = frozenset(
    {".gitlab-ci.yml", ".travis.yml", "azure-pipelines.yml", "Jenkinsfile", "appveyor.yml"}
)
_CI_FOLDERS = (".github/", ".circleci/", ".buildkite/", ".gitlab/", ".azure-pipelines/")


_main_memo: tuple[object, frozenset[str]] | None = None


def main_languages(paths: Iterable[str]) -> frozenset[str]:
    """The languages of at least a sixth or so of the workspace's code files (tests aside).
    Remembered for the very list last asked about (a reader's inventory is kept while
    the workspace's files stay the same)."""
    global _main_memo
    if _main_memo is not None and _main_memo[0] is paths:
        return _main_memo[1]
    found = _main_languages(paths)
    if isinstance(paths, list):
        _main_memo = (paths, found)
    return found


def _main_languages(paths: Iterable[str]) -> frozenset[str]:
    by_suffix = Counter(os.path.splitext(p)[1] for p in paths if not is_test_file(p))
    counts: Counter[str] = Counter()
    for suffix, n in by_suffix.items():
        language = language_of("x" + suffix) if suffix else None
        if language is not None:
            counts[language] += n
    total = sum(counts.values())
    return frozenset(lang for lang, n in counts.items() if total and n >= total * _MAIN_SHARE)


@functools.lru_cache(maxsize=1 << 14)
def code_language(path: str) -> str | None:
    """`language_of(path)`, memoised."""
    return language_of(path)


@functools.lru_cache(maxsize=1 << 14)
def rank_of(path: str, main: frozenset[str]) -> int:
    """The rank of a changed file (lower is read first)."""
    p = PurePosixPath(path)
    name = p.name
    if path.startswith(_CI_FOLDERS) or name in _CI_NAMES:
        return CI
    language = language_of(path)
    if language is not None and name not in _BUILD_NAMES:
        if is_test_file(path):
            return TEST
        return SOURCE if language in main or not main else OTHER_SOURCE
    if (
        name in _BUILD_NAMES
        or name.endswith(_BUILD_SUFFIXES)
        or (name.startswith(_BUILD_PREFIXES) and not name.endswith(".md"))
    ):
        return BUILD
    if (
        name.endswith(_DOC_SUFFIXES)
        or p.stem.upper() in _DOC_NAMES
        or any(part in ("docs", "doc", "documentation") for part in p.parts[:-1])
    ):
        return DOCS
    return DATA


def priority_of(rank: int) -> int:
    """The context priority of a diff of this rank: source and tests with the change
    itself, build files with the code around it, docs, CI and data after the callers
    and tests of the source (a changelog never crowds out who calls what changed)."""
    if rank <= TEST:
        return TARGET
    return CHANGES if rank == BUILD else NEIGHBOURS


def order(
    changes: Iterable[FileChange], main: frozenset[str], users: dict[str, int] | None = None
) -> list[FileChange]:
    """`changes` in reading order: by rank, then by how many other files use what
    changed in them (`users`, by path), then by path; changelogs last of the docs."""
    used = users or {}
    return sorted(
        changes,
        key=lambda fc: (
            rank_of(fc.path, main),
            _is_changelog(fc.path),
            -used.get(fc.path, 0),
            fc.path,
        ),
    )


def _is_changelog(path: str) -> bool:
    stem = path.rpartition("/")[2].partition(".")[0].upper().replace("-", "_")
    return stem in ("CHANGELOG", "CHANGES", "NEWS", "HISTORY", "RELEASE_NOTES", "RELEASES")


# -- shrinking a diff ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Judged:
    hunk: Hunk
    trivial: str | None  # "deletion-only", "whitespace-only", "rename-only: a → b", or None
    near_definition: bool
    in_called: bool  # inside a definition that other files use


_WORD_SPLIT = re.compile(r"(\w+)")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")  # a renamed name, not a changed number


def _trivial(hunk: Hunk) -> str | None:
    removed = [line[1:] for line in hunk.lines if line.startswith("-")]
    added = [line[1:] for line in hunk.lines if line.startswith("+")]
    if removed and not added:
        return f"deletion-only, {len(removed)} lines removed"
    if not removed or not added:
        return None
    if "".join("".join(removed).split()) == "".join("".join(added).split()):
        return "whitespace-only"
    if len(removed) != len(added):
        return None
    renames: dict[str, str] = {}
    for old, new in zip(removed, added, strict=True):
        a, b = _WORD_SPLIT.split(old), _WORD_SPLIT.split(new)
        if len(a) != len(b):
            return None
        for x, y in zip(a, b, strict=True):
            if x == y:
                continue
            if not (_IDENTIFIER.fullmatch(x) and _IDENTIFIER.fullmatch(y)):
                return None
            if renames.setdefault(x, y) != y:
                return None
    if not renames or len(renames) > 3:
        return None
    shown = ", ".join(f"`{a}` → `{b}`" for a, b in sorted(renames.items()))
    return f"rename-only: {shown}"


def _spans(facts: FileFacts | None) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    if facts is None:
        return out
    for d in facts.definitions:
        out.append((d.line, d.end_line, d.name))
        out.extend((c.line, c.end_line, c.name) for c in d.children)
    return out


def _judge(hunk: Hunk, spans: list[tuple[int, int, str]], called: set[str]) -> _Judged:
    touched = hunk.touched()
    near = any(s - NEAR <= line <= e + NEAR for line in touched for s, e, _ in spans)
    in_called = any(s <= line <= e and name in called for line in touched for s, e, name in spans)
    return _Judged(hunk, _trivial(hunk), near, in_called)


def _note(hunk: Hunk, why: str) -> str:
    added = sum(1 for line in hunk.lines if line.startswith("+"))
    removed = sum(1 for line in hunk.lines if line.startswith("-"))
    return f"{hunk.header}\n    … ({why}; +{added} -{removed} lines, not shown)\n"


def shrink_steps(
    fc: FileChange,
    facts: FileFacts | None,
    called: set[str],
    clean: Callable[[str], str] = lambda text: text,
) -> list[tuple[str, str]]:
    """Smaller forms of `fc`'s patch, each smaller than the one before: (what was cut,
    text). `facts` are of the new version (None: no definitions known); `called` the
    names of its definitions that other files use; `clean` redacts each hunk's text
    (the forms are made of them). A patch of a few lines has none: its outline will do."""
    if not fc.hunks or sum(len(h.lines) for h in fc.hunks) < SHRINK_FROM_LINES:
        return []
    spans = _spans(facts)
    judged = [_judge(h, spans, called) for h in fc.hunks]
    steps: list[tuple[str, Callable[[_Judged], str | None]]] = [
        (
            "deletion-only, whitespace-only and rename-only hunks as notes",
            lambda j: j.trivial,
        ),
    ]
    if spans:  # code: what lies far from definitions, then what no other file calls
        steps += [
            (
                "also hunks far from any definition as notes",
                lambda j: j.trivial or (None if j.near_definition else "far from any definition"),
            ),
            (
                "only hunks inside definitions that other files use",
                lambda j: (
                    j.trivial or (None if j.in_called else "not in a definition other files use")
                ),
            ),
        ]
    out: list[tuple[str, str]] = []
    texts = {id(j): clean(j.hunk.text()) for j in judged}
    header = clean(fc.header)
    last = header + "".join(texts.values())
    why_of: Callable[[_Judged], str | None] = steps[0][1]
    for label, why_of in steps:
        text = _form(header, judged, texts, why_of, clean)
        if len(text) < len(last):
            out.append((label, text))
            last = text
    # Then fewer of the hunks still shown, halving: the first ones (a file's opening
    # changes), so a long document keeps what fits rather than nothing.
    last_why = why_of
    kept = [j for j in judged if last_why(j) is None]
    k = len(kept) // 2
    while k >= 1:
        first = {id(j) for j in kept[:k]}

        def cut(j: _Judged, first: set[int] = first) -> str | None:
            return last_why(j) or (None if id(j) in first else "cut for the budget")

        text = _form(header, judged, texts, cut, clean)
        if len(text) < len(last):
            out.append((f"only the first {k} of its {len(judged)} hunks", text))
            last = text
        k //= 2
    # Last, the first lines of what is left: a single long hunk (a rewritten document)
    # keeps its beginning.
    lines = last.split("\n")
    n = len(lines) // 2
    while n >= _MIN_LINES:
        text = "\n".join(lines[:n]) + f"\n… ({len(lines) - n} more lines cut for the budget)\n"
        out.append((f"only its first {n} lines", text))
        n //= 2
    return out


def _form(
    header: str,
    judged: list[_Judged],
    texts: dict[int, str],
    why_of: Callable[[_Judged], str | None],
    clean: Callable[[str], str],
) -> str:
    parts = [header]
    for j in judged:
        why = why_of(j)
        parts.append(clean(_note(j.hunk, why)) if why else texts[id(j)])
    return "".join(parts)
