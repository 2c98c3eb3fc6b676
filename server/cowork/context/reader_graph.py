"""The import graph a reader's tasks use: the one this process made while no file
changed, else the one kept on disk (whole, or patched where files changed), else
built; a graph built from scratch is kept on disk for the next process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cowork.context import graphdisk
from cowork.context.graph import ImportGraph, _build, _Memo
from cowork.context.resolver import go_modules

if TYPE_CHECKING:
    from cowork.context.reader import ContextReader


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
    texts = []
    for f in facts:
        if f.path == "go.mod" or f.path.endswith("/go.mod"):
            # Read for analysis only: a module path and requirements are not sent.
            text = reader.overlays.get(f.path)
            try:
                text = text if text is not None else (reader.root / f.path).read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            texts.append((f.path, text))
    files = [f.path for f in facts]
    go_mods = go_modules(texts)
    store = reader.index.store
    # Kept on disk after a build from scratch and after patching what was on disk; a
    # warm process's patches are not worth writing the whole graph for each time.
    keep = memo is None
    if memo is None and store is not None:
        # A new process: the graph a process last kept on disk, whole when no file
        # changed since, else patched where they did.
        packages = tuple((f.path, f.package) for f in facts if f.package)
        memo = graphdisk.load(store, facts, (tuple(files), go_mods, packages), source)
        if memo is not None and memo.key == key:
            reader.index.graph_cache = memo
            return memo.graph
    graph, made = _build(facts, files, go_mods, memo, source)
    reader.index.graph_cache = made
    if keep and store is not None:
        graphdisk.save(store, made)
    return graph
