"""Outlines and imports of C, C++ and C# through tree-sitter.

C and C++: `#include` paths are the imports (`<x>` kept with its brackets, so a
system header tells itself from the project's own); a function is public unless
`static`, a class member by its access specifier. C#: `using` directives are the
imports, the namespace the file declares is its package, and a member is public
when it says `public` (or sits in an interface).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cowork.context.outline import Definition
from cowork.context.tsnodes import CodeOutline, child_of_type, definition, line, text

# -- C and C++ ---------------------------------------------------------------------

_C_TYPES = {
    "struct_specifier": "struct",
    "union_specifier": "union",
    "enum_specifier": "enum",
    "class_specifier": "class",
}


# A name as C and C++ spell one (`f`, `ns::C::f`, `~C`, `operator==`); anything else is
# the parser's recovery from a macro it could not expand, not a definition.
_NAME = re.compile(r"~?[A-Za-z_][\w]*(?:::~?[A-Za-z_]\w*)*(?:::)?(?:operator\s*\S+)?")
_NOT_NAMES = {"namespace", "class", "struct", "return", "if", "for", "while", "switch", "else"}


def _declarator_name(node: Any) -> str | None:
    """The name a (function) declarator declares, through pointers and references."""
    while node is not None:
        if node.type in (
            "identifier",
            "field_identifier",
            "qualified_identifier",
            "operator_name",
            "destructor_name",
            "type_identifier",
        ):
            name = text(node)
            return name if _NAME.fullmatch(name) and name not in _NOT_NAMES else None
        node = node.child_by_field_name("declarator")
    return None


# A line that is only an ALL-CAPS macro (`NLOHMANN_JSON_NAMESPACE_BEGIN`, `BEGIN_NS(x)`):
# blanked before parsing, since the grammar cannot expand it and loses what follows.
_MACRO_LINE = re.compile(r"^[ \t]*[A-Z][A-Z0-9_]{3,}(?:\([^()\n]*\))?[ \t]*;?[ \t]*$", re.M)


def without_macro_lines(source: str) -> str:
    """`source` with macro-only lines blanked to spaces (lines and offsets kept)."""
    return _MACRO_LINE.sub(lambda m: " " * len(m.group()), source)


def _is_static(node: Any) -> bool:
    return any(c.type == "storage_class_specifier" and text(c) == "static" for c in node.children)


def _c_members(body: Any, default_public: bool) -> list[Definition]:
    """Methods of a C++ class body, public by the access specifier in force."""
    out: list[Definition] = []
    public = default_public
    for member in body.named_children:
        if member.type == "access_specifier":
            public = text(member).startswith("public")
        elif member.type == "function_definition" or (
            member.type in ("field_declaration", "declaration")
            and _function_declarator(member) is not None
        ):
            name = _declarator_name(member.child_by_field_name("declarator"))
            if name:
                out.append(definition(member, "method", public, name=name))
        elif member.type == "template_declaration":
            inner = _template_inner(member)
            if inner is not None and inner.type == "function_definition":
                name = _declarator_name(inner.child_by_field_name("declarator"))
                if name:
                    out.append(definition(member, "method", public, name=name))
    return out


def _function_declarator(node: Any) -> Any | None:
    d = node.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    return d


def _template_inner(node: Any) -> Any | None:
    return next(
        (c for c in node.named_children if c.type not in ("template_parameter_list",)), None
    )


def _c_node(node: Any, out: CodeOutline, header: bool) -> None:
    kind = node.type
    if kind == "preproc_include":
        path = node.child_by_field_name("path")
        if path is not None:
            written = text(path)
            spec = written if written.startswith("<") else written.strip('"')
            out.imports.append((spec, line(node)))
    elif kind in ("preproc_ifdef", "preproc_if", "preproc_else", "linkage_specification"):
        body = node.child_by_field_name("body")
        for child in body.named_children if body is not None else node.named_children:
            _c_node(child, out, header)
    elif kind == "namespace_definition":
        body = node.child_by_field_name("body")
        for child in body.named_children if body is not None else []:
            _c_node(child, out, header)
    elif kind == "function_definition":
        name = _declarator_name(node.child_by_field_name("declarator"))
        if name:
            out.definitions.append(definition(node, "function", not _is_static(node), name=name))
    elif kind == "template_declaration":
        inner = _template_inner(node)
        if inner is not None:
            before = len(out.definitions)
            _c_node(inner, out, header)
            # The outline spans the `template <…>` line too.
            out.definitions[before:] = [
                definition(node, d.kind, d.public, d.children, name=d.name, body=_body(inner))
                for d in out.definitions[before:]
            ]
    elif kind in ("declaration", "field_declaration") and header:
        # A prototype in a header is the file's API.
        if _function_declarator(node) is not None and not _is_static(node):
            name = _declarator_name(node.child_by_field_name("declarator"))
            if name:
                out.definitions.append(definition(node, "function", True, name=name))
    elif kind in _C_TYPES and node.child_by_field_name("body") is not None:
        body = node.child_by_field_name("body")
        members = _c_members(body, kind != "class_specifier") if kind != "enum_specifier" else []
        out.definitions.append(definition(node, _C_TYPES[kind], True, members))
    elif kind == "type_definition":
        name = _declarator_name(node.child_by_field_name("declarator"))
        if name:
            out.definitions.append(definition(node, "type", True, name=name))
    elif kind == "preproc_function_def":
        out.definitions.append(
            definition(node, "macro", True, body=node.child_by_field_name("value"))
        )


def _body(node: Any) -> Any | None:
    return node.child_by_field_name("body")


def _c(root: Any, out: CodeOutline) -> None:
    # Prototypes count as the API only in headers, which declare and rarely define.
    header = not any(c.type == "function_definition" for c in root.named_children)
    for node in root.named_children:
        _c_node(node, out, header)


# -- C# ------------------------------------------------------------------------------

_CS_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "struct_declaration": "struct",
    "record_declaration": "record",
    "record_struct_declaration": "record",
    "enum_declaration": "enum",
    "delegate_declaration": "delegate",
}
_CS_MEMBERS = {
    "method_declaration": "method",
    "constructor_declaration": "method",
    "property_declaration": "property",
    "event_declaration": "event",
    "operator_declaration": "method",
}


def _cs_modifiers(node: Any) -> set[str]:
    return {text(c) for c in node.children if c.type == "modifier"}


def _cs_type(node: Any, in_interface: bool = False) -> Definition:
    mods = _cs_modifiers(node)
    exported = "public" in mods or (in_interface and "private" not in mods)
    body = node.child_by_field_name("body")
    children: list[Definition] = []
    interface = node.type == "interface_declaration"
    for member in body.named_children if body is not None else []:
        if member.type in _CS_MEMBERS:
            m_mods = _cs_modifiers(member)
            public = "public" in m_mods or (interface and "private" not in m_mods)
            body_node = member.child_by_field_name("body") or child_of_type(
                member, "accessor_list", "arrow_expression_clause"
            )
            children.append(definition(member, _CS_MEMBERS[member.type], public, body=body_node))
        elif member.type in _CS_KINDS:
            children.append(_cs_type(member))
    return definition(node, _CS_KINDS[node.type], exported, children)


def _csharp_scope(nodes: list[Any], out: CodeOutline) -> None:
    for node in nodes:
        if node.type == "using_directive":
            target = child_of_type(node, "qualified_name", "identifier")
            alias = node.child_by_field_name("name")
            if alias is not None:  # using Foo = Bar.Baz: the target follows the alias
                target = next(
                    (c for c in node.named_children if c != alias and c.type != "modifier"), None
                )
            if target is not None:
                out.imports.append((text(target), line(node)))
        elif node.type in ("namespace_declaration", "file_scoped_namespace_declaration"):
            name = node.child_by_field_name("name")
            if name is not None and out.package is None:
                out.package = text(name)
            body = node.child_by_field_name("body")
            if body is not None:
                _csharp_scope(list(body.named_children), out)
        elif node.type in _CS_KINDS:
            out.definitions.append(_cs_type(node))


def _csharp(root: Any, out: CodeOutline) -> None:
    _csharp_scope(list(root.named_children), out)


WALKERS: dict[str, Callable[[Any, CodeOutline], None]] = {
    "c": _c,
    "cpp": _c,
    "csharp": _csharp,
}
