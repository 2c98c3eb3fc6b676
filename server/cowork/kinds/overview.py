"""`architecture` and `research`: several paths seen from above."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context import git as gitfacts
from cowork.context import outline as py
from cowork.context.workspace import inventory, read_text, relative_to
from cowork.errors import InputError, TaskFailure
from cowork.kinds.base import (
    ContextPart,
    FileRef,
    Gathered,
    GatherRequest,
    optional_str,
    str_list,
)

_ENTRY_NAMES = {"__main__.py", "main.py", "app.py", "server.py", "cli.py", "wsgi.py", "asgi.py"}
_PROTOCOL_SUFFIXES = {".proto", ".graphql", ".gql"}
_MAX_FILES_PER_PATH = 200


def _paths(params: dict[str, Any], root: Path, *, required: bool) -> list[str]:
    rels: list[str] = []
    for uri in str_list(params, "uris", required=required):
        path = uris.to_path(uri)
        rel = relative_to(root, path)
        if not path.exists():
            raise InputError(f"{rel} does not exist")
        rels.append(rel if rel != "." else "")
    return rels


def _under(files: list[str], rel: str) -> list[str]:
    if not rel:
        return files
    return [f for f in files if f == rel or f.startswith(rel.rstrip("/") + "/")]


def _outline_lines(
    request: GatherRequest, rel: str
) -> tuple[list[str], list[py.ImportRef], str | None]:
    try:
        text = read_text(request.root, rel, request.overlays)
    except TaskFailure:
        return [], [], None
    if not rel.endswith(".py"):
        return [], [], text
    outline = py.python_outline(text)
    lines = [
        f"`{d.signature}` (`{rel}:{d.line}`)" + (f" — {d.doc}" if d.doc else "")
        for d in py.public_definitions(outline)
    ]
    return lines, outline.imports, text


class Architecture:
    name = "architecture"

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        out: dict[str, Any] = {
            "paths": _paths(params, root, required=True),
            "uris": str_list(params, "uris", required=True),
        }
        focus = optional_str(params, "focus")
        if focus:
            out["focus"] = focus
        return out

    def title(self, params: dict[str, Any]) -> str:
        names = [PurePosixPath(p).name or "workspace" for p in params["paths"]]
        return f"Architecture brief: {', '.join(names)}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title=self.title(params),
            goal="Prepare me for an architecture review of these services: what each does, "
            "how they fit together, and what looks inconsistent or concerning."
            + (f" Focus: {params['focus']}." if params.get("focus") else ""),
            context=[p or "." for p in params["paths"]],
            output_format="One section per service (responsibility, entry points, public API, "
            "dependencies), then integration points, then concerns.",
            out_of_scope="Line-level code review.",
            params={k: v for k, v in params.items() if k in ("uris", "focus")},
        )

    def gather(self, request: GatherRequest) -> Gathered:
        files = inventory(request.root)
        info = gitfacts.info(request.root)
        paths: list[str] = request.params["paths"]
        out = ["# Architecture brief", ""]
        if request.params.get("focus"):
            out += [f"Focus: {request.params['focus']}", ""]
        parts: list[ContextPart] = []
        refs: list[FileRef] = []
        edges: dict[tuple[str, str], int] = {}
        tops = {p: (p.split("/")[-1] if p else "") for p in paths}
        for rel in paths:
            request.check_cancelled()
            members = _under(files, rel)
            out += [f"## `{rel or '.'}`", "", f"{len(members)} files."]
            entries = [m for m in members if PurePosixPath(m).name in _ENTRY_NAMES]
            protocols = [
                m
                for m in members
                if PurePosixPath(m).suffix in _PROTOCOL_SUFFIXES
                or "openapi" in PurePosixPath(m).name.lower()
            ]
            if entries:
                out.append("Entry points: " + ", ".join(f"`{e}`" for e in entries) + ".")
            if protocols:
                out.append(
                    "Protocol and schema files: " + ", ".join(f"`{p}`" for p in protocols) + "."
                )
            api: list[str] = []
            for member in members[:_MAX_FILES_PER_PATH]:
                lines, imports, text = _outline_lines(request, member)
                if text is None:
                    continue
                refs.append(FileRef.of(member, text))
                api += lines
                for imp in imports:
                    for other, top in tops.items():
                        if other != rel and top and imp.module.split(".")[0] == top:
                            edges[(rel, other)] = edges.get((rel, other), 0) + 1
            if len(members) > _MAX_FILES_PER_PATH:
                out.append(f"Only the first {_MAX_FILES_PER_PATH} files were read.")
            out += ["", "Public API:", ""] + ([f"- {a}" for a in api[:60]] or ["- (none found)"])
            if len(api) > 60:
                out.append(f"- … and {len(api) - 60} more")
            out.append("")
            parts.append(
                ContextPart(f"Outline of {rel or '.'}", "\n".join(api) or "(none)", source=None)
            )
        out += ["## Integration points", ""]
        out += [
            f"- `{a}` imports from `{b}` ({n} imports)" for (a, b), n in sorted(edges.items())
        ] or ["No imports between the given paths were found."]
        return Gathered(parts=parts, files=refs, git=info, offline_report="\n".join(out) + "\n")


class Research:
    name = "research"

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        question = optional_str(params, "question")
        if not question or not question.strip():
            raise InputError('cowork.research needs {"question": "…"}: the question to weigh')
        return {
            "question": question.strip(),
            "options": str_list(params, "options"),
            "uris": str_list(params, "uris"),
            "paths": _paths(params, root, required=False),
        }

    def title(self, params: dict[str, Any]) -> str:
        q = params["question"]
        return f"Research: {q[:60]}{'…' if len(q) > 60 else ''}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title=self.title(params),
            goal=f"{params['question']}\n\nWeigh the options for this codebase specifically.",
            context=[p or "." for p in params["paths"]]
            + [f"option: {o}" for o in params["options"]],
            output_format="A trade-off table (option × criteria), a recommendation with its "
            "assumptions, and what to prototype to decide.",
            out_of_scope="Options that need a rewrite of unrelated parts.",
            params={k: v for k, v in params.items() if k in ("question", "options", "uris")},
        )

    def gather(self, request: GatherRequest) -> Gathered:
        files = inventory(request.root)
        info = gitfacts.info(request.root)
        params = request.params
        out = ["# Research", "", f"**Question:** {params['question']}", "", "## Options", ""]
        out += [f"{i}. {o}" for i, o in enumerate(params["options"], 1)] or [
            "None given: list the candidate approaches in the brief."
        ]
        parts = [ContextPart("Workspace", f"{len(files)} files; {info.describe()}.", stable=True)]
        refs: list[FileRef] = []
        out += ["", "## Files named", ""]
        for rel in params["paths"]:
            for member in _under(files, rel)[:_MAX_FILES_PER_PATH]:
                lines, _, text = _outline_lines(request, member)
                if text is None:
                    continue
                refs.append(FileRef.of(member, text))
                parts.append(ContextPart(member, text, source=member))
                out.append(f"- `{member}`: {len(lines)} public definitions")
        if not params["paths"]:
            out.append("None.")
        out += [
            "",
            "## Trade-offs",
            "",
            "| option | fit with this codebase | cost | risk |",
            "| --- | --- | --- | --- |",
        ]
        out += [f"| {o} | ? | ? | ? |" for o in params["options"]]
        out += ["", "*(The offline provider cannot weigh options; a model fills this table.)*"]
        return Gathered(parts=parts, files=refs, git=info, offline_report="\n".join(out) + "\n")
