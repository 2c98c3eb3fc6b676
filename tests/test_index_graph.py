"""File facts are cached by content; import edges resolve across languages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cowork.context import graph, reader_graph
from cowork.context.index import WorkspaceIndex
from cowork.context.reader import ContextReader
from cowork.context.workspace import inventory
from repos import write

FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": "import os\nimport requests\n\ndef run():\n    pass\n",
    "pkg/api.py": "from . import core\nfrom pkg.core import run\n",
    "web/src/app.ts": 'import { h } from "./lib/helpers";\nimport React from "react";\n',
    "web/src/lib/helpers.ts": "export function h(): void {}\n",
    "web/src/lib/index.ts": 'export * from "./helpers";\n',
    "web/src/main.js": 'const lib = require("./lib");\n',
    "go.mod": "module example.com/shop\n\ngo 1.22\n",
    "cmd/server/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"example.com/shop/store"\n)\n\nfunc main() { fmt.Println(store.New()) }\n',
    "store/store.go": "package store\n\nfunc New() int { return 1 }\n",
    "svc/src/main/java/com/shop/App.java": "package com.shop;\nimport com.shop.model.Item;\npublic class App {}\n",
    "svc/src/main/java/com/shop/model/Item.java": "package com.shop.model;\npublic class Item {}\n",
    "engine/src/lib.rs": "mod parser;\nuse crate::parser::parse;\nuse serde::Serialize;\n",
    "engine/src/parser.rs": "pub fn parse() {}\n",
}


def build(root: Path) -> graph.ImportGraph:
    ix = WorkspaceIndex(root)
    files = inventory(root)
    return graph.build([ix.facts(f) for f in files], files, (root / "go.mod").read_text())


def edges(g: graph.ImportGraph, path: str) -> list[str]:
    return sorted({e.target for e in g.imports_of(path)})


def test_edges_in_every_language(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    g = build(tmp_path)
    assert edges(g, "pkg/api.py") == ["pkg/core.py"]
    assert sorted(e.source for e in g.importers_of("pkg/core.py")) == ["pkg/api.py", "pkg/api.py"]
    assert ("requests", "third-party") in g.external["pkg/core.py"]
    assert ("os", "standard library") in g.external["pkg/core.py"]
    assert edges(g, "web/src/app.ts") == ["web/src/lib/helpers.ts"]
    assert ("react", "third-party") in g.external["web/src/app.ts"]
    assert edges(g, "web/src/main.js") == ["web/src/lib/index.ts"]
    assert edges(g, "cmd/server/main.go") == ["store/store.go"]
    assert edges(g, "svc/src/main/java/com/shop/App.java") == [
        "svc/src/main/java/com/shop/model/Item.java"
    ]
    assert edges(g, "engine/src/lib.rs") == ["engine/src/parser.rs"]
    assert ("serde", "third-party") in g.external["engine/src/lib.rs"]


def test_second_pass_reparses_only_the_changed_file(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    ix = WorkspaceIndex(tmp_path)
    files = inventory(tmp_path)
    first = {f: ix.facts(f) for f in files}
    assert ix.parses == len(files)
    core = tmp_path / "pkg/core.py"
    core.write_text(core.read_text() + "\ndef stop():\n    pass\n")
    os.utime(tmp_path / "pkg/api.py")  # touched, same content: not re-parsed
    second = {f: ix.facts(f) for f in files}
    assert ix.parses == len(files) + 1
    assert [d.name for d in second["pkg/core.py"].definitions] == ["run", "stop"]
    assert second["pkg/api.py"] is first["pkg/api.py"]


def test_unsaved_editor_text_is_what_counts(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    ix = WorkspaceIndex(tmp_path)
    facts = ix.facts("pkg/core.py", {"pkg/core.py": "def unsaved():\n    pass\n"})
    assert [d.name for d in facts.definitions] == ["unsaved"]
    assert [d.name for d in ix.facts("pkg/core.py").definitions] == ["run"]  # disk untouched


def test_binary_and_non_utf8_are_marked_not_parsed(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": b"\x00\x01", "b.py": "caf\xe9".encode("latin-1")})
    ix = WorkspaceIndex(tmp_path)
    assert ix.facts("a.py").unreadable == "binary"
    assert ix.facts("b.py").unreadable == "not UTF-8"


def _module(imports: list[int]) -> str:
    lines = [f"from pkg import m{i}" for i in imports]
    return "\n".join([*lines, "", "def f():", "    pass", ""])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 99), st.lists(st.integers(0, 99), max_size=4)),
        min_size=1,
        max_size=4,
    )
)
def test_a_graph_kept_between_gatherings_is_the_graph_built_anew(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, list[int]]]
) -> None:
    """After a few files changed their imports, the graph a long-lived index patches
    gives every file the importers (in order) a graph built from scratch gives."""
    root = tmp_path_factory.mktemp("graph")
    files = {"pkg/__init__.py": ""}
    files |= {f"pkg/m{i}.py": _module([(i * 7 + k) % 100 for k in range(3)]) for i in range(100)}
    write(root, files)
    index = WorkspaceIndex(root)
    reader_graph.graph_for(ContextReader(root, index))
    for i, imports in edits:  # at most 4 of 100 files: the graph is patched, not rebuilt
        write(root, {f"pkg/m{i}.py": _module(imports)})
    kept = reader_graph.graph_for(ContextReader(root, index))
    fresh = reader_graph.graph_for(ContextReader(root, WorkspaceIndex(root, watch=False)))
    assert kept.files == fresh.files
    for path in fresh.files:
        assert kept.imports_of(path) == fresh.imports_of(path), path
        assert kept.importers_of(path) == fresh.importers_of(path), path
        assert kept.external.get(path, []) == fresh.external.get(path, []), path
