"""Outlines and imports of Kotlin, Ruby and PHP through tree-sitter.

Kotlin: `import` headers, the `package` header, public unless `private`,
`internal` or `protected`. Ruby: `require`/`require_relative`/`load` calls
(a relative one written as `./path`), methods public until a bare `private`.
PHP: `use` clauses (grouped ones spelled whole) and `require`/`include` of a
literal path, the `namespace`, methods public unless `private`/`protected`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cowork.context.outline import Definition
from cowork.context.tsnodes import (
    CodeOutline,
    child_of_type,
    definition,
    descendants,
    line,
    string_value,
    text,
)

# -- Kotlin --------------------------------------------------------------------------

_KT_HIDDEN = {"private", "internal", "protected"}


def _kt_public(node: Any) -> bool:
    mods = child_of_type(node, "modifiers")
    return mods is None or not any(
        c.type == "visibility_modifier" and text(c) in _KT_HIDDEN for c in mods.children
    )


def _kt_name(node: Any) -> str:
    name = child_of_type(node, "type_identifier", "simple_identifier")
    return text(name) if name is not None else "?"


def _kt_decl(node: Any) -> Definition | None:
    if node.type == "function_declaration":
        return definition(
            node,
            "function",
            _kt_public(node),
            name=_kt_name(node),
            body=child_of_type(node, "function_body"),
        )
    if node.type in ("class_declaration", "object_declaration"):
        body = child_of_type(node, "class_body", "enum_class_body")
        members = [
            d
            for d in (_kt_decl(m) for m in (body.named_children if body is not None else []))
            if d is not None
        ]
        members = [
            Definition("method", d.name, d.signature, d.doc, d.line, d.end_line, (), d.exported)
            if d.kind == "function"
            else d
            for d in members
        ]
        keyword = next((text(c) for c in node.children if not c.is_named), "class")
        kind = {"interface": "interface", "object": "object"}.get(keyword, "class")
        if child_of_type(node, "enum_class_body") is not None:
            kind = "enum"
        return definition(node, kind, _kt_public(node), members, name=_kt_name(node), body=body)
    if node.type == "type_alias":
        return definition(node, "type", _kt_public(node), name=_kt_name(node))
    return None


def _kotlin(root: Any, out: CodeOutline) -> None:
    for node in root.named_children:
        if node.type == "package_header":
            ident = child_of_type(node, "identifier")
            if ident is not None:
                out.package = text(ident)
        elif node.type == "import_list":
            for header in node.named_children:
                if header.type != "import_header":
                    continue
                ident = child_of_type(header, "identifier")
                if ident is not None:
                    star = child_of_type(header, "wildcard_import") is not None
                    out.imports.append((text(ident) + (".*" if star else ""), line(header)))
        else:
            d = _kt_decl(node)
            if d is not None:
                out.definitions.append(d)


# -- Ruby ----------------------------------------------------------------------------

_RB_REQUIRES = {"require", "require_relative", "load", "autoload"}


def _rb_require(node: Any) -> str | None:
    method = node.child_by_field_name("method")
    args = node.child_by_field_name("arguments")
    if method is None or args is None or text(method) not in _RB_REQUIRES:
        return None
    strings = [a for a in args.named_children if a.type == "string"]
    if not strings:
        return None
    spec = string_value(strings[-1])
    if text(method) == "require_relative" and not spec.startswith("."):
        spec = "./" + spec
    return spec


def _rb_body(body: Any | None, in_class: bool) -> list[Definition]:
    out: list[Definition] = []
    public = True
    for node in body.named_children if body is not None else []:
        if node.type == "identifier" and text(node) in ("private", "protected"):
            public = False  # a bare `private` hides the methods after it
        elif node.type == "identifier" and text(node) == "public":
            public = True
        elif node.type in ("method", "singleton_method"):
            kind = "method" if in_class else "function"
            d = definition(node, kind, public)
            # `def name(args)` is the first line; a Ruby body has no opening brace.
            out.append(replace(d, signature=" ".join(text(node).splitlines()[0].split())))
        elif node.type == "begin":  # `begin … rescue LoadError … end` around a class
            out.extend(_rb_body(node, in_class))
        elif node.type in ("class", "module"):
            inner = node.child_by_field_name("body")
            out.append(definition(node, node.type, True, _rb_body(inner, True), body=inner))
    return out


def _ruby(root: Any, out: CodeOutline) -> None:
    for call in descendants(root, "call"):
        spec = _rb_require(call)
        if spec is not None:
            out.imports.append((spec, line(call)))
    out.imports.sort(key=lambda i: i[1])
    out.definitions.extend(_rb_body(root, False))


# -- PHP -----------------------------------------------------------------------------

_PHP_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "trait_declaration": "trait",
    "enum_declaration": "enum",
}
_PHP_INCLUDES = {
    "require_expression",
    "require_once_expression",
    "include_expression",
    "include_once_expression",
}


def _php_type(node: Any) -> Definition:
    body = node.child_by_field_name("body")
    methods = []
    for m in body.named_children if body is not None else []:
        if m.type == "method_declaration":
            vis = child_of_type(m, "visibility_modifier")
            public = vis is None or text(vis) == "public"
            methods.append(definition(m, "method", public))
    return definition(node, _PHP_KINDS[node.type], True, methods)


def _php_use(node: Any, out: CodeOutline) -> None:
    group = node.child_by_field_name("body")
    prefix = child_of_type(node, "namespace_name")
    if group is not None:
        base = text(prefix) + "\\" if prefix is not None else ""
        for clause in group.named_children:
            name = child_of_type(clause, "qualified_name", "name", "namespace_name")
            if name is not None:
                out.imports.append((base + text(name), line(clause)))
        return
    for clause in node.named_children:
        if clause.type == "namespace_use_clause":
            name = child_of_type(clause, "qualified_name", "name", "namespace_name")
            if name is not None:
                out.imports.append((text(name).lstrip("\\"), line(clause)))


def _php_scope(nodes: list[Any], out: CodeOutline) -> None:
    for node in nodes:
        if node.type == "namespace_definition":
            name = node.child_by_field_name("name")
            if name is not None and out.package is None:
                out.package = text(name)
            body = node.child_by_field_name("body")
            if body is not None:
                _php_scope(list(body.named_children), out)
        elif node.type == "namespace_use_declaration":
            _php_use(node, out)
        elif node.type == "expression_statement":
            for inc in node.named_children:
                if inc.type in _PHP_INCLUDES:
                    strings = [s for s in descendants(inc, "string") if s.named_children]
                    if strings:
                        spec = string_value(strings[-1]).lstrip("/")
                        out.imports.append(("./" + spec.removeprefix("./"), line(inc)))
        elif node.type in _PHP_KINDS:
            out.definitions.append(_php_type(node))
        elif node.type == "function_definition":
            out.definitions.append(definition(node, "function", True))


def _php(root: Any, out: CodeOutline) -> None:
    _php_scope(list(root.named_children), out)


WALKERS: dict[str, Callable[[Any, CodeOutline], None]] = {
    "kotlin": _kotlin,
    "ruby": _ruby,
    "php": _php,
}
