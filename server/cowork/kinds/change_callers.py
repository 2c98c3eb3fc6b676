"""Who uses what a change touched: the callers of changed definitions and the
related tests."""

from __future__ import annotations

import re

from cowork.context.diff import FileChange
from cowork.context.graph import ImportGraph
from cowork.kinds.base import (
    ContextReader,
)
from cowork.kinds.change_model import (
    MAX_CALLER_FILES,
    MAX_SITES_PER_FILE,
    CallSite,
    ChangeFacts,
    innermost,
    language_of,
)
from cowork.kinds.summarize import is_test_file, test_names_for


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


def find_callers(
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
                within = innermost(facts, n) if facts is not None else None
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


def find_tests(
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
