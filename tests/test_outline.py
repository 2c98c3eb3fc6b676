"""The Python outline: what a summary's API and collaborator sections are built from."""

from __future__ import annotations

from cowork.context.index import parse
from cowork.context.outline import (
    ImportRef,
    module_name,
    python_outline,
    resolve_import,
)
from cowork.kinds.summarize import public

SOURCE = '''"""Tools for jobs.

More detail."""
from __future__ import annotations
import os
from . import sibling
from ..up import thing as other

__all__ = ["Runner", "go"]


class Runner(Base, metaclass=Meta):
    """Runs things."""

    def start(self, n: int = 1) -> bool:
        """Start n things."""
        return True

    def _hidden(self): ...


async def go(*args, key=None) -> None:
    pass


def helper():
    pass
'''


def test_outline_reads_docstring_definitions_and_imports() -> None:
    o = python_outline(SOURCE)
    assert o.docstring is not None and o.docstring.startswith("Tools for jobs.")
    assert [d.name for d in o.definitions] == ["Runner", "go", "helper"]
    runner = o.definitions[0]
    assert runner.signature == "Runner(Base, metaclass=Meta)" and runner.doc == "Runs things."
    assert runner.line == 12 and runner.end_line == 19
    start = runner.children[0]
    assert start.kind == "method" and start.signature == "start(self, n: int=1) -> bool"
    assert o.definitions[1].kind == "async function"
    assert o.definitions[1].signature == "async go(*args, key=None) -> None"
    assert [(i.module, i.names, i.level) for i in o.imports] == [
        ("__future__", ("annotations",), 0),
        ("os", (), 0),
        ("", ("sibling",), 1),
        ("up", ("thing",), 2),
    ]
    # __all__ decides what is public
    assert [d.name for d in public(parse("m.py", SOURCE, "", len(SOURCE)))] == ["Runner", "go"]


def test_syntax_error_is_recorded_not_raised() -> None:
    o = python_outline("def broken(:\n    pass\n")
    assert o.syntax_error is not None and "line 1" in o.syntax_error
    assert o.definitions == []


def test_module_names_climb_packages_only() -> None:
    packages = {"server/cowork", "server/cowork/engine"}
    assert module_name("server/cowork/engine/store.py", packages) == "cowork.engine.store"
    assert module_name("server/cowork/__init__.py", packages) == "cowork"
    assert module_name("scripts/tool.py", packages) == "tool"


def test_relative_imports_resolve_against_the_package() -> None:
    ref = ImportRef("", ("sibling",), 1, 1)
    assert resolve_import("pkg.sub.mod", False, ref) == (["pkg.sub.sibling"], "pkg.sub")
    assert resolve_import("pkg.sub", True, ref) == (["pkg.sub.sibling"], "pkg.sub")
    up = ImportRef("up", ("thing",), 2, 1)
    assert resolve_import("pkg.sub.mod", False, up) == (["pkg.up.thing"], "pkg.up")
    assert resolve_import("mod", False, ImportRef("", ("x",), 3, 1)) == ([], "")
    assert resolve_import("a", False, ImportRef("os.path", (), 0, 1)) == ([], "os.path")
