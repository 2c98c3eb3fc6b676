"""A Python module's shape from its AST: docstring, definitions, imports.

Pure functions on text; no file or git access.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Definition:
    kind: str  # "class" | "function" | "async function" | "method"
    name: str
    signature: str
    doc: str | None  # first line of the docstring
    line: int
    end_line: int
    children: tuple[Definition, ...] = ()
    # Set by languages that mark what is public (Go capitals, `pub`, `export`,
    # `public`); None means Python's leading-underscore convention.
    exported: bool | None = None

    @property
    def public(self) -> bool:
        if self.exported is not None:
            return self.exported
        return not self.name.startswith("_") or (
            self.name.startswith("__") and self.name.endswith("__") and self.name != "__init__"
        )


@dataclass(frozen=True)
class ImportRef:
    module: str  # as written, without the leading dots
    names: tuple[str, ...]  # for `from m import a, b`; empty for `import m`
    level: int  # leading dots of a relative import
    line: int


@dataclass
class PythonOutline:
    docstring: str | None = None
    definitions: list[Definition] = field(default_factory=list)
    imports: list[ImportRef] = field(default_factory=list)
    all_names: list[str] | None = None  # the module's __all__, when it is a literal
    syntax_error: str | None = None
    lines: int = 0


def _first_line(doc: str | None) -> str | None:
    if not doc:
        return None
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return None


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{node.name}({ast.unparse(node.args)}){returns}"


def _class_signature(node: ast.ClassDef) -> str:
    bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
    return f"{node.name}({', '.join(bases)})" if bases else node.name


def _definition(node: ast.stmt, in_class: bool = False) -> Definition | None:
    end = getattr(node, "end_lineno", None) or node.lineno
    if isinstance(node, ast.ClassDef):
        children = tuple(
            d for d in (_definition(child, in_class=True) for child in node.body) if d is not None
        )
        return Definition(
            "class",
            node.name,
            _class_signature(node),
            _first_line(ast.get_docstring(node)),
            node.lineno,
            end,
            children,
        )
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        kind = (
            "method"
            if in_class
            else ("async function" if isinstance(node, ast.AsyncFunctionDef) else "function")
        )
        prefix = "async " if isinstance(node, ast.AsyncFunctionDef) else ""
        return Definition(
            kind,
            node.name,
            prefix + _signature(node),
            _first_line(ast.get_docstring(node)),
            node.lineno,
            end,
        )
    return None


def python_outline(text: str) -> PythonOutline:
    """Outline `text`; a syntax error is recorded, not raised."""
    outline = PythonOutline(lines=text.count("\n") + (0 if text.endswith("\n") or not text else 1))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        outline.syntax_error = f"{getattr(exc, 'msg', exc)}" + (f" (line {line})" if line else "")
        return outline
    outline.docstring = ast.get_docstring(tree)
    for node in tree.body:
        definition = _definition(node)
        if definition is not None:
            outline.definitions.append(definition)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
                outline.all_names = [str(v) for v in value]
            except (ValueError, TypeError):
                pass
    _collect_imports(tree.body, outline.imports)
    outline.imports.sort(key=lambda i: i.line)
    return outline


def _collect_imports(body: list[ast.stmt], out: list[ImportRef]) -> None:
    """The imports among `body`'s statements and the statements nested in them (an
    import under `try`, `if TYPE_CHECKING`, in a class or a function). Only statements
    can hold an import: expressions, most of a module's nodes, are not visited."""
    stack = [body]
    while stack:
        for node in stack.pop():
            if isinstance(node, ast.Import):
                out.extend(ImportRef(alias.name, (), 0, node.lineno) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                out.append(
                    ImportRef(
                        node.module or "",
                        tuple(a.name for a in node.names),
                        node.level,
                        node.lineno,
                    )
                )
            elif isinstance(node, _COMPOUND):
                for name in ("body", "orelse", "finalbody"):
                    inner = getattr(node, name, None)
                    if inner:
                        stack.append(inner)
                holders: list[ast.ExceptHandler] | list[ast.match_case] = (
                    node.cases if isinstance(node, ast.Match) else getattr(node, "handlers", [])
                )
                stack.extend(holder.body for holder in holders)


# Statements that hold other statements (`def`, `class`, `if`, `for`, `while`, `with`,
# `try`, `match` and their async forms): the only places besides the top an import can be.
_COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.Match,
)


def module_name(rel: str, is_package_dir: set[str]) -> str:
    """The dotted module name of workspace file `rel`.

    The name climbs through folders that hold an `__init__.py`
    (`is_package_dir` is the set of such folders, relative POSIX paths), so
    `server/cowork/engine.py` is `cowork.engine` when `server/` is no package.
    """
    if "//" in rel or rel.startswith(("/", "./")) or "/./" in rel or rel.endswith("/"):
        return _module_name_slow(rel, is_package_dir)
    # String work: a new process names every Python file of the workspace.
    folder, _, name = rel.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    parts = [] if stem == "__init__" else [stem]
    while folder and folder in is_package_dir:
        folder, _, leaf = folder.rpartition("/")
        parts.append(leaf)
    return ".".join(reversed(parts))


def _module_name_slow(rel: str, is_package_dir: set[str]) -> str:
    path = PurePosixPath(rel)
    parts = [] if path.stem == "__init__" else [path.stem]
    folder = path.parent
    while folder.as_posix() != "." and folder.as_posix() in is_package_dir:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def resolve_import(
    importer: str, importer_is_package: bool, ref: ImportRef
) -> tuple[list[str], str]:
    """What `ref` may import, as absolute module names: (submodules, module).

    `from a import b` may import submodule `a.b` or name `b` of module `a`;
    the caller keeps the submodules that exist and falls back to `a`.
    `import a.b` gives ([], "a.b"). An unresolvable relative import gives ([], "").
    """
    base = ref.module
    if ref.level:
        package = importer.split(".") if importer_is_package else importer.split(".")[:-1]
        if ref.level - 1 > len(package):
            return [], ""
        anchor = package[: len(package) - (ref.level - 1)]
        base = ".".join([*anchor, ref.module] if ref.module else anchor)
    names = [f"{base}.{n}" if base else n for n in ref.names if n != "*"]
    return names, base
