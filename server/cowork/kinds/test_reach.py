"""Tests that reach a module through its package: a test of the facade, the server
beside it or (Go) its package exercises the module when it uses its public names."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from cowork.context.graph import ImportGraph
from cowork.context.reader import ContextReader

_MAX_INDIRECT_CANDIDATES = 200


def indirect_tests(
    rel: str,
    names: set[str],
    direct: list[str],
    graph: ImportGraph,
    reader: ContextReader,
    is_test: Callable[[str], bool],
) -> list[tuple[str, list[str]]]:
    """(test file, public names of `rel` it uses) for each test file — not in `direct` —
    that imports a file of `rel`'s package (its `__init__`, a facade, a server beside
    it) or shares its Go package folder, and uses one of `names`."""
    if not names:
        return []
    folder = posixpath.dirname(rel)
    # By string work (workspace paths are normalised): asked of every file, every task.
    package = [f for f in graph.files if f.rpartition("/")[0] == folder and f != rel]
    candidates: dict[str, None] = {}
    for f in package:
        for edge in graph.importers_of(f):
            if is_test(edge.source):
                candidates.setdefault(edge.source)
        if f.endswith("_test.go"):  # Go tests live in the package itself
            candidates.setdefault(f)
    found: list[tuple[str, list[str]]] = []
    for test in list(candidates)[:_MAX_INDIRECT_CANDIDATES]:
        if test in direct or test == rel or not reader.may_mention(test, names):
            continue
        text = reader.text(test)  # recorded as read; may it be sent at all
        facts = reader.facts(test)
        # Its words are known by content hash (the sieve above asked for them), on
        # disk too: a new worker does not split every test file into words again.
        words: frozenset[str] = frozenset()
        if text and facts is not None:
            words = reader.index.words(facts, _given(text))
        used = sorted(names & words)
        if used:
            found.append((test, used[:5]))
    return sorted(found)


def _given(text: str) -> Callable[[], str | None]:
    return lambda: text
