"""Outlines and import edges of non-Python files, as the context gatherer sees them."""

from __future__ import annotations

from cowork.context.treesitter import code_outline, language_of


def names(path: str, text: str) -> list[tuple[str, str, bool]]:
    outline = code_outline(path, text)
    assert outline is not None and outline.syntax_error is None
    return [(d.kind, d.name, d.public) for d in outline.definitions]


def test_typescript() -> None:
    src = (
        'import { a } from "./b";\nexport const f = (x: number): string => "";\n'
        "export function g<T>(y: T): T { return y }\n"
        "export class K extends B { m(): void {} private p() {} }\ninterface I { x: number }\n"
        'const r = require("r");\nexport { z } from "./z";\n'
    )
    assert names("a.ts", src) == [
        ("function", "f", True),
        ("function", "g", True),
        ("class", "K", True),
        ("interface", "I", False),
    ]
    outline = code_outline("a.ts", src)
    assert outline is not None
    assert outline.imports == [("./b", 1), ("r", 6), ("./z", 7)]
    f, g, k, _ = outline.definitions
    assert f.signature == "f = (x: number): string =>"
    assert g.signature == "function g<T>(y: T): T" and g.line == 3
    assert [(c.name, c.public) for c in k.children] == [("m", True), ("p", False)]


def test_go_public_by_capital() -> None:
    src = (
        'package m\nimport (\n  "fmt"\n  x "a/b"\n)\nfunc F(a int) error { return nil }\n'
        "func (s *S) m() {}\ntype S struct{}\ntype Doer interface{ Do() }\n"
    )
    assert names("m.go", src) == [
        ("function", "F", True),
        ("method", "m", False),
        ("type", "S", True),
        ("interface", "Doer", True),
    ]
    outline = code_outline("m.go", src)
    assert outline is not None and [i for i, _ in outline.imports] == ["fmt", "a/b"]


def test_java_public_by_modifier() -> None:
    src = (
        "package a;\nimport java.util.List;\nimport static a.C.d;\n"
        "public class X extends Y { public void f(int a) {} private int g() { return 1; } }\n"
    )
    outline = code_outline("X.java", src)
    assert outline is not None
    assert [i for i, _ in outline.imports] == ["java.util.List", "a.C.d"]
    (x,) = outline.definitions
    assert (x.kind, x.name, x.public, x.signature) == (
        "class",
        "X",
        True,
        "public class X extends Y",
    )
    assert [(c.name, c.public) for c in x.children] == [("f", True), ("g", False)]


def test_rust_pub_and_modules() -> None:
    src = (
        "use std::io::{self, Read};\nmod inner;\npub fn f(a: i32) -> i32 { a }\n"
        "impl S { pub fn new() -> Self { S { a: 1 } } fn p(&self) {} }\n"
    )
    outline = code_outline("lib.rs", src)
    assert outline is not None
    assert [i for i, _ in outline.imports] == ["std::io::{self, Read}", "mod inner"]
    assert [(d.kind, d.name, d.public) for d in outline.definitions] == [
        ("module", "inner", False),
        ("function", "f", True),
        ("impl", "impl S", True),
    ]


def test_broken_code_is_reported_not_raised() -> None:
    outline = code_outline("bad.ts", "export function (((\n")
    assert outline is not None and outline.syntax_error is not None


def test_languages_by_suffix() -> None:
    assert [language_of(p) for p in ("a.tsx", "b.mjs", "c.go", "D.java", "e.rs", "f.py")] == [
        "tsx",
        "javascript",
        "go",
        "java",
        "rust",
        None,
    ]
