"""The import graph kept on disk (a `snapshot.Record`): a new process whose workspace
holds the same files with the same contents loads the resolved graph in one read
instead of resolving every import again, and one whose files changed in a few
places resolves only those (`graph._patched`).

The record holds the files and their content hashes, what the resolver's layout
depends on (go.mod modules, declared packages), the Python module names, every
edge as four integers (source, target, line, spec by position in a table of
specs) and the external imports. Reverse edges are not stored: they are rebuilt in
the order a full build makes them (sources in file order).
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from operator import itemgetter
from typing import Any

from cowork.context import snapshot
from cowork.context.diskindex import DiskIndex
from cowork.context.graph import Edge, ImportGraph, _Memo, _Resolved
from cowork.context.index import FileFacts
from cowork.context.resolver import GoModules

NAME = "graph:workspace"


def _layout_data(layout: tuple[tuple[str, ...], GoModules, tuple[tuple[str, str], ...]]) -> Any:
    _, go_mods, packages = layout
    return [[[m[0], m[1], list(m[2])] for m in go_mods], [list(p) for p in packages]]


def save(store: DiskIndex | None, memo: _Memo) -> None:
    """Keep `memo`'s graph on disk (written at the index's next flush)."""
    if store is None:
        return
    files = list(memo.layout[0])
    order = {path: i for i, path in enumerate(files)}
    specs: dict[str, int] = {}
    counts: list[int] = []
    targets: list[int] = []
    lines: list[int] = []
    spec_of: list[int] = []
    external: list[list[object]] = []
    shas: list[str] = []
    by_target: dict[int, list[int]] = {}
    for path in files:
        sha, (edges, outside) = memo.by_file[path]
        shas.append(sha)
        counts.append(len(edges))
        for e in edges:
            target = order[e.target]
            by_target.setdefault(target, []).append(len(targets))
            targets.append(target)
            lines.append(e.line)
            spec_of.append(specs.setdefault(e.spec, len(specs)))
        for name, kind in outside:
            external.append([order[path], name, kind])
    data = {
        "layout": _layout_data(memo.layout),
        "modules": list(memo.graph.python_modules.items()),
        "specs": list(specs),
        "counts": counts,
        "targets": targets,
        "lines": lines,
        "spec_of": spec_of,
        # Reverse edges: per target (in the order a build meets them), its edges' positions.
        "reverse": [[t, len(found)] for t, found in by_target.items()],
        "reverse_edges": [k for found in by_target.values() for k in found],
        "external": external,
    }
    snapshot.save(store, NAME, snapshot.Record(files, shas, data))


def load(
    store: DiskIndex | None,
    facts: list[FileFacts],
    layout: tuple[tuple[str, ...], GoModules, tuple[tuple[str, str], ...]],
    source: object,
) -> _Memo | None:
    """The graph of `facts` (with this `layout`) as last kept on disk, as a memo for
    `graph._build` (whose resolver is made only if a file changed); None when none
    was kept for these files and this layout, or it does not read back whole."""
    with snapshot.bulk():
        return _load(store, layout, source)


def _load(
    store: DiskIndex | None,
    layout: tuple[tuple[str, ...], GoModules, tuple[tuple[str, str], ...]],
    source: object,
) -> _Memo | None:
    record = snapshot.load(store, NAME)
    files = list(layout[0])
    if record is None or record.files != files:
        return None
    data = record.data
    try:
        if data["layout"] != _layout_data(layout):
            return None
        edges, reverse = _edges(files, data)
        external: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for i, name, kind in data["external"]:
            external[files[i]].append((str(name), str(kind)))
        modules = {str(name): str(path) for name, path in data["modules"]}
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    graph = ImportGraph(files=files, python_modules=modules)
    graph.edges, graph.reverse, graph.external = edges, reverse, external
    empty: list[Edge] = []
    nothing: list[tuple[str, str]] = []
    by_file: dict[str, tuple[str, _Resolved]] = {
        path: (sha, (edges.get(path, empty), external.get(path, nothing)))
        for path, sha in zip(files, record.shas, strict=True)
    }
    key = tuple(zip(files, record.shas, strict=True))
    return _Memo(key, source, graph, layout, None, by_file)


def _edges(
    files: list[str], data: dict[str, Any]
) -> tuple[dict[str, list[Edge]], dict[str, list[Edge]]]:
    """Edges by source and by target from the record's columns. Made by C-level
    iteration (`map`, `zip`, slices): a large workspace has 150,000 edges, and a
    Python loop over them costs more than the rest of the load."""
    counts: list[int] = data["counts"]
    targets: list[int] = data["targets"]
    lines: list[int] = data["lines"]
    spec_of: list[int] = data["spec_of"]
    specs: list[str] = data["specs"]
    n = len(targets)
    if len(counts) != len(files) or sum(counts) != n or len(lines) != n or len(spec_of) != n:
        raise ValueError("columns of different lengths")
    sources = [path for path, c in zip(files, counts, strict=True) for _ in range(c)]
    made = list(
        map(
            partial(tuple.__new__, Edge),
            zip(
                sources,
                map(files.__getitem__, targets),
                lines,
                map(specs.__getitem__, spec_of),
                strict=True,
            ),
        )
    )
    edges: dict[str, list[Edge]] = defaultdict(list)
    at = 0
    for path, c in zip(files, counts, strict=True):
        if c:
            edges[path] = made[at : at + c]
            at += c
    reverse: dict[str, list[Edge]] = defaultdict(list)
    positions: list[int] = data["reverse_edges"]
    if len(positions) != n:
        raise ValueError("reverse edges do not match")
    at = 0
    for target, c in data["reverse"]:
        if c == 1:
            reverse[files[target]] = [made[positions[at]]]
        elif c:
            reverse[files[target]] = list(itemgetter(*positions[at : at + c])(made))
        at += c
    return edges, reverse
