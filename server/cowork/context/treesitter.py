"""Outlines and imports of source files via tree-sitter: TypeScript/JavaScript (ES
modules and CommonJS), Go, Java and Rust here; C, C++ and C# in `ts_c`; Kotlin,
Ruby and PHP in `ts_more`.

The grammars come compiled inside `tree-sitter-language-pack` (0.x bundles
them; 1.x downloads at run time, which these machines cannot). Parsers are
made per thread: a tree-sitter Parser must not be shared between threads.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from cowork.context import ts_c, ts_more
from cowork.context.outline import Definition
from cowork.context.tsnodes import CodeOutline
from cowork.context.tsnodes import definition as _definition
from cowork.context.tsnodes import descendants as _descendants
from cowork.context.tsnodes import signature as _signature
from cowork.context.tsnodes import text as _text

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "CodeOutline", "code_outline", "language_of"]

# file suffix -> tree-sitter language name
LANGUAGES: dict[str, str] = {
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".cs": "csharp",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".rb": "ruby",
    ".php": "php",
    ".c": "c",
    ".h": "c",  # C++ when the header uses C++ (see `code_outline`)
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
}

# How the report names a tree-sitter language.
LANGUAGE_NAMES = {
    "csharp": "C#",
    "cpp": "C++",
    "c": "C",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "tsx": "TypeScript (TSX)",
    "go": "Go",
    "java": "Java",
    "kotlin": "Kotlin",
    "rust": "Rust",
    "ruby": "Ruby",
    "php": "PHP",
}

# A `.h` header that uses one of these is parsed as C++.
_CPP_HEADER = re.compile(r"^\s*(namespace|class|template\s*<|using\s+namespace)\b", re.M)

_local = threading.local()


def language_of(path: str) -> str | None:
    return LANGUAGES.get(PurePosixPath(path).suffix.lower())


def _parser(language: str) -> Any:
    parsers: dict[str, Any] = _local.__dict__.setdefault("parsers", {})
    if language not in parsers:
        from tree_sitter_language_pack import get_parser

        parsers[language] = get_parser(language)  # type: ignore[arg-type]
    return parsers[language]


# -- TypeScript / JavaScript -------------------------------------------------------

_JS_KINDS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
}


def _js(root: Any, out: CodeOutline) -> None:
    commonjs: set[str] = set()  # names `module.exports` / `exports.x` make public
    for node in root.named_children:
        if node.type == "expression_statement" and _commonjs(node, out, commonjs):
            continue
        exported = node.type == "export_statement"
        decl = node.child_by_field_name("declaration") if exported else node
        if exported and decl is None:
            source = node.child_by_field_name("source")  # export { x } from "./x"
            if source is not None:
                out.imports.append((_text(source).strip("\"'`"), node.start_point[0] + 1))
            continue
        if node.type == "import_statement":
            source = node.child_by_field_name("source")
            if source is not None:
                out.imports.append((_text(source).strip("\"'`"), node.start_point[0] + 1))
            continue
        _js_requires(node, out)
        if decl is None:
            continue
        if decl.type in _JS_KINDS:
            children: tuple[Definition, ...] = ()
            body = decl.child_by_field_name("body")
            if decl.type.endswith("class_declaration") and body is not None:
                children = tuple(
                    _definition(m, "method", not _text(m).startswith(("private", "#")))
                    for m in body.named_children
                    if m.type == "method_definition"
                )
            out.definitions.append(_definition(decl, _JS_KINDS[decl.type], exported, children))
        elif decl.type in ("lexical_declaration", "variable_declaration"):
            for var in decl.named_children:
                value = var.child_by_field_name("value")
                if (
                    var.type == "variable_declarator"
                    and value is not None
                    and value.type in ("arrow_function", "function_expression", "function")
                ):
                    d = _definition(var, "function", exported)
                    name = var.child_by_field_name("name")
                    sig = (
                        f"{_text(name)} = {_signature(value)}" if name is not None else d.signature
                    )
                    out.definitions.append(replace(d, signature=sig))
    if commonjs:
        out.definitions = [
            replace(d, exported=True) if d.name in commonjs and not d.exported else d
            for d in out.definitions
        ]


def _exports_target(left: Any) -> str | None:
    """`module.exports` -> "", `exports.x` / `module.exports.x` -> "x", else None."""
    if left.type != "member_expression":
        return None
    written = _text(left).replace(" ", "")
    if written == "module.exports":
        return ""
    for prefix in ("module.exports.", "exports."):
        rest = written.removeprefix(prefix)
        if rest != written and rest.isidentifier():
            return rest
    return None


def _commonjs(node: Any, out: CodeOutline, exported: set[str]) -> bool:
    """Record a CommonJS export statement (`module.exports = …`, `exports.x = …`);
    False when `node` is no such statement."""
    assign = node.named_children[0] if node.named_children else None
    if assign is None or assign.type != "assignment_expression":
        return False
    left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
    target = _exports_target(left) if left is not None else None
    if target is None or right is None:
        return False
    _js_requires(node, out)
    if target and right.type in ("function_expression", "function", "arrow_function"):
        d = _definition(
            assign, "function", True, name=target, body=right.child_by_field_name("body")
        )
        out.definitions.append(d)
    elif target and right.type == "class":
        out.definitions.append(_definition(assign, "class", True, name=target))
    elif target and right.type == "identifier":
        exported.add(_text(right))
    elif not target and right.type == "object":
        for prop in right.named_children:
            if prop.type == "shorthand_property_identifier":
                exported.add(_text(prop))
            elif prop.type == "method_definition":  # module.exports = { handle(req) {…} }
                name_node = prop.child_by_field_name("name")
                if name_node is not None:
                    out.definitions.append(
                        _definition(prop, "function", True, name=_text(name_node))
                    )
            elif prop.type == "pair":
                key, value = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                if value is not None and value.type == "identifier":
                    exported.add(_text(value))
                elif (
                    key is not None
                    and value is not None
                    and value.type
                    in (
                        "function_expression",
                        "function",
                        "arrow_function",
                    )
                ):
                    out.definitions.append(_definition(prop, "function", True, name=_text(key)))
    elif not target and right.type == "identifier":
        exported.add(_text(right))
    elif not target and right.type in ("function_expression", "function", "class"):
        name_node = right.child_by_field_name("name")
        kind = "class" if right.type == "class" else "function"
        name = _text(name_node) if name_node is not None else "module.exports"
        out.definitions.append(_definition(right, kind, True, name=name))
    return True


def _js_requires(node: Any, out: CodeOutline) -> None:
    """`require("x")` calls anywhere in a statement, lazy ones in function and method
    bodies too (a module loaded on first use is still a dependency), in line order."""
    if b"require" not in (node.text or b""):
        return  # most statements require nothing: no walk
    found: list[tuple[str, int]] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            args = n.child_by_field_name("arguments")
            if (
                fn is not None
                and _text(fn) == "require"
                and args is not None
                and args.named_children
            ):
                first = args.named_children[0]
                if first.type == "string":
                    found.append((_text(first).strip("\"'`"), n.start_point[0] + 1))
        stack.extend(n.named_children)
    out.imports += sorted(found, key=lambda f: f[1])


# -- Go ------------------------------------------------------------------------------


def _go(root: Any, out: CodeOutline) -> None:
    for node in root.named_children:
        if node.type == "import_declaration":
            for spec in _descendants(node, "import_spec"):
                path = spec.child_by_field_name("path")
                if path is not None:
                    out.imports.append((_text(path).strip('"`'), spec.start_point[0] + 1))
        elif node.type in ("function_declaration", "method_declaration"):
            name = node.child_by_field_name("name")
            exported = name is not None and _text(name)[:1].isupper()
            kind = "function" if node.type == "function_declaration" else "method"
            out.definitions.append(_definition(node, kind, exported))
        elif node.type == "type_declaration":
            for spec in node.named_children:
                if spec.type == "type_spec":
                    name = spec.child_by_field_name("name")
                    exported = name is not None and _text(name)[:1].isupper()
                    type_node = spec.child_by_field_name("type")
                    kind = (
                        "interface"
                        if type_node is not None and type_node.type == "interface_type"
                        else "type"
                    )
                    out.definitions.append(_definition(spec, kind, exported))


# -- Java ----------------------------------------------------------------------------

_JAVA_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
    "annotation_type_declaration": "annotation",
}


def _java_public(node: Any) -> bool:
    mods = next((c for c in node.children if c.type == "modifiers"), None)
    return mods is not None and "public" in _text(mods).split()


def _java_type(node: Any) -> Definition:
    body = node.child_by_field_name("body")
    children: list[Definition] = []
    if body is not None:
        for member in body.named_children:
            if member.type in ("method_declaration", "constructor_declaration"):
                children.append(_definition(member, "method", _java_public(member)))
            elif member.type in _JAVA_KINDS:
                children.append(_java_type(member))
    return _definition(node, _JAVA_KINDS[node.type], _java_public(node), tuple(children))


def _java(root: Any, out: CodeOutline) -> None:
    for node in root.named_children:
        if node.type == "import_declaration":
            target = " ".join(_text(node).removeprefix("import").rstrip(";").split())
            out.imports.append((target.removeprefix("static ").strip(), node.start_point[0] + 1))
        elif node.type in _JAVA_KINDS:
            out.definitions.append(_java_type(node))
        elif node.type == "package_declaration":
            out.package = " ".join(_text(node).removeprefix("package").rstrip(";").split())


# -- Rust ----------------------------------------------------------------------------

_RUST_KINDS = {
    "function_item": "function",
    "struct_item": "struct",
    "enum_item": "enum",
    "trait_item": "trait",
    "mod_item": "module",
    "type_item": "type",
    "const_item": "const",
    "static_item": "static",
    "macro_definition": "macro",
}


def _rust_pub(node: Any) -> bool:
    return any(c.type == "visibility_modifier" for c in node.children)


def _rust(root: Any, out: CodeOutline) -> None:
    for node in root.named_children:
        if node.type == "use_declaration":
            arg = node.child_by_field_name("argument")
            if arg is not None:
                out.imports.append((" ".join(_text(arg).split()), node.start_point[0] + 1))
        elif node.type == "mod_item" and node.child_by_field_name("body") is None:
            out.imports.append(
                (f"mod {_text(node.child_by_field_name('name'))}", node.start_point[0] + 1)
            )
            out.definitions.append(_definition(node, "module", _rust_pub(node)))
        elif node.type in _RUST_KINDS:
            out.definitions.append(_definition(node, _RUST_KINDS[node.type], _rust_pub(node)))
        elif node.type == "impl_item":
            body = node.child_by_field_name("body")
            methods = tuple(
                _definition(m, "method", _rust_pub(m))
                for m in (body.named_children if body is not None else [])
                if m.type == "function_item"
            )
            type_node = node.child_by_field_name("type")
            name = f"impl {_text(type_node)}" if type_node is not None else "impl"
            trait = node.child_by_field_name("trait")
            out.definitions.append(
                _definition(
                    node,
                    "impl",
                    (bool(methods) and any(m.exported for m in methods)) or trait is not None,
                    methods,
                    name=name,
                )
            )


_WALKERS = {
    "typescript": _js,
    "tsx": _js,
    "javascript": _js,
    "go": _go,
    "java": _java,
    "rust": _rust,
    **ts_c.WALKERS,
    **ts_more.WALKERS,
}


def code_outline(path: str, text: str) -> CodeOutline | None:
    """The outline of `text` if `path` is in a language cowork parses with tree-sitter."""
    language = language_of(path)
    if language is None:
        return None
    if language == "c" and path.lower().endswith(".h") and _CPP_HEADER.search(text):
        language = "cpp"
    out = CodeOutline(language)
    if language in ("c", "cpp"):
        text = ts_c.without_macro_lines(text)
    tree = _parser(language).parse(text.encode("utf-8"))
    if tree.root_node.has_error:
        first = _descendants(tree.root_node, "ERROR")
        line = first[0].start_point[0] + 1 if first else None
        out.syntax_error = "the parser found errors" + (f" (line {line})" if line else "")
    _WALKERS[language](tree.root_node, out)
    return out
