"""`architecture` and `research`: several paths seen from above."""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context.generated import generated_reason
from cowork.context.index import language_of
from cowork.context.reader_graph import graph_for
from cowork.context.workspace import relative_to
from cowork.errors import InputError
from cowork.kinds import arch_questions
from cowork.kinds.answer import Rendered, schema_of, system_prompt
from cowork.kinds.base import (
    CHANGES,
    NEIGHBOURS,
    TARGET,
    Collected,
    ContextReader,
    GatherRequest,
    Piece,
    optional_str,
    str_list,
)
from cowork.kinds.service_wiring import generated_module as _generated_module
from cowork.kinds.service_wiring import head as _head
from cowork.kinds.service_wiring import integration_of as _integration
from cowork.kinds.service_wiring import is_protocol as _is_protocol
from cowork.kinds.service_wiring import owner_of as _owner
from cowork.kinds.service_wiring import under as _under
from cowork.kinds.summarize import is_test_file, public

# An entry point is a code file with one of these names, in any language: `main.go`,
# `index.ts`, `Main.java`, `src/main.rs` as well as `__main__.py`.
_ENTRY_STEMS = {
    "__main__",
    "main",
    "app",
    "server",
    "cli",
    "wsgi",
    "asgi",
    "index",
    "manage",
    "program",  # C#'s Program.cs
}
_CONFIG_NAMES = {
    "Dockerfile",
    "docker-compose.yml",
    "docker-compose.yaml",
    "pyproject.toml",
    "setup.cfg",
    "package.json",
    "go.mod",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "Makefile",
}
_CONFIG_SUFFIXES = {".toml", ".yaml", ".yml", ".ini", ".cfg", ".conf"}
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


def _is_entry(rel: str) -> bool:
    p = PurePosixPath(rel)
    return p.stem.lower() in _ENTRY_STEMS and language_of(rel) is not None


def _is_config(rel: str) -> bool:
    p = PurePosixPath(rel)
    return p.name in _CONFIG_NAMES or (p.suffix in _CONFIG_SUFFIXES and not _is_protocol(rel))


def _shared(files: list[str], paths: list[str]) -> list[str]:
    """Configuration and protocols that sit above the given paths, in the folders that
    hold them (`docker-compose.yml`, a top-level `config.yaml`): what the services share."""
    given = [p for p in paths if p]
    if len(given) < len(paths):  # the whole workspace is one of the paths: nothing is above
        return []
    folders = {
        a.as_posix() if a.as_posix() != "." else "" for p in given for a in PurePosixPath(p).parents
    }
    return [
        f
        for f in files
        if posixpath.dirname(f) in folders
        and _owner(given, f) is None
        and not PurePosixPath(f).name.startswith(".")  # tools' settings, not the services'
        and (_is_config(f) or _is_protocol(f))
    ]


SYSTEM_PROMPT = system_prompt(
    """The hand-off: prepare the developer for an architecture review of the services
    given. A diligent colleague maps each service: its responsibility, its entry points
    (what starts it, what it serves) and what it owns (data stores and schemas,
    protocols, queues, configuration). Then the integration points between services as
    edges: from which service, to which, how (HTTP, RPC, events, a shared database or
    file, an import), with the `path:line` that shows each. Then the patterns that look
    inconsistent or concerning across services (error handling, timeouts and retries,
    auth, configuration, duplicated contracts, versioning), each with the files that
    show it, and the questions to raise in the review. An edge or a concern with no
    evidence in the context is a question, not a fact. Out of scope: line-level code
    review, style, and proposing a redesign."""
)


class Architecture:
    name = "architecture"
    system_prompt = SYSTEM_PROMPT

    def answer_schema(self) -> dict[str, Any] | None:
        from cowork.kinds.overview_answer import ArchitectureAnswer

        return schema_of(ArchitectureAnswer)

    def render_answer(self, text: str) -> Rendered | None:
        from cowork.kinds.overview_answer import read_architecture

        return read_architecture(text)

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
            output_format="Per service its responsibility, entry points and what it owns "
            "(data, protocols); the integration points as edges (from, to, how, evidence "
            "`path:line`); patterns that look inconsistent or concerning across services, "
            "with the files that show them; questions to raise in the review.",
            out_of_scope="Line-level code review.",
            params={k: v for k, v in params.items() if k in ("uris", "focus")},
        )

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        files = reader.inventory
        graph = graph_for(reader)
        paths: list[str] = request.params["paths"]
        out = ["# Architecture brief", ""]
        if request.params.get("focus"):
            out += [f"Focus: {request.params['focus']}", ""]
        pieces: list[Piece] = []  # the workspace map comes with every task
        edges: dict[tuple[str, str], list[str]] = {}
        shared: dict[str, set[str]] = {}
        wired = _integration(reader, files, paths)
        copies = {e.rpartition(":")[0] for where in wired.copies.values() for e in where}
        copies -= {d.path for d in wired.protocols}  # a file with a first definition is sent
        generated = dict(wired.skipped)
        reader.notes.extend(wired.notes)  # a protocol or manifest not read: in provenance too
        # How the services talk, before what each offers: the review is about the seams.
        rendered = wired.render()
        at = rendered.index("### Connections between services")
        pieces.append(
            Piece(
                "Integration points between services",
                "\n".join(rendered),
                TARGET,
                # Under a tight budget the edges stay; the protocol listing goes first.
                outline="\n".join(rendered[at:]),
            )
        )
        for rel in paths:
            reader.check_cancelled()
            members = _under(files, rel)
            name = rel or "."
            out += [f"## `{name}`", "", f"{len(members)} files."]
            entries = [m for m in members if _is_entry(m)]
            protocols = [m for m in members if _is_protocol(m)]
            configs = [m for m in members if _is_config(m)]
            if entries:
                out.append(
                    "Entry points: "
                    + ", ".join(
                        f"`{e}`"
                        + (
                            f" ({'; '.join(dict.fromkeys(wired.starts[e]))})"
                            if e in wired.starts
                            else ""
                        )
                        for e in entries
                    )
                    + "."
                )
            starting = [f for f in members if f in wired.starts and f not in entries]
            if starting:
                out.append(
                    "Serving code: "
                    + ", ".join(
                        f"`{f}` ({'; '.join(dict.fromkeys(wired.starts[f]))})" for f in starting
                    )
                    + "."
                )
            if protocols:
                out.append("Protocols and schemas: " + ", ".join(f"`{p}`" for p in protocols) + ".")
            if configs:
                out.append("Configuration: " + ", ".join(f"`{c}`" for c in configs) + ".")
            api: list[str] = []
            own: list[str] = []  # an entry point's unexported definitions (a script's handlers)
            outward: dict[str, int] = {}
            external: dict[str, set[str]] = {}
            skipped = [m for m in members if m in generated]
            for m in members:
                if m not in generated and language_of(m) is not None:
                    why = generated_reason(m, _head(reader.root, m))
                    if why is not None:
                        generated[m] = why
                        skipped.append(m)
            if skipped:
                out.append(
                    f"Generated or vendored, not outlined: {len(skipped)} files ("
                    + ", ".join(f"`{m}` ({generated[m]})" for m in skipped[:5])
                    + (" …" if len(skipped) > 5 else "")
                    + ")."
                )
            for member in [m for m in members if m not in generated][:_MAX_FILES_PER_PATH]:
                facts = reader.outline(member)
                if facts is None:
                    continue
                if not is_test_file(member):  # tests are no one's API
                    api += [
                        f"`{d.signature}` (`{member}:{d.line}`)" + (f" — {d.doc}" if d.doc else "")
                        for d in public(facts)
                    ]
                    if member in entries or member in wired.starts:
                        own += [
                            f"`{d.signature}` (`{member}:{d.line}`)"
                            for d in facts.definitions
                            if not d.public
                        ]
                for edge in graph.imports_of(member):
                    owner = _owner(paths, edge.target)
                    if owner is not None and owner != rel:
                        edges.setdefault((name, owner or "."), []).append(
                            f"{member}:{edge.line} → {edge.target}"
                        )
                    elif owner is None:
                        top = edge.target.split("/")[0]
                        outward[top] = outward.get(top, 0) + 1
                for n, kind in graph.external.get(member, []):
                    if kind == "third-party" and _generated_module(reader, member, n):
                        n, kind = f"{n} (generated)", "workspace"
                    external.setdefault(kind, set()).add(n)
            if len(members) > _MAX_FILES_PER_PATH:
                out.append(f"Only the first {_MAX_FILES_PER_PATH} files were read.")
            if outward:
                out.append(
                    "Uses elsewhere in the workspace: "
                    + ", ".join(f"`{t}` ({n})" for t, n in sorted(outward.items()))
                    + "."
                )
            for kind in ("third-party", "standard library", "workspace"):
                if external.get(kind):
                    names = sorted(external[kind])
                    out.append(
                        f"Dependencies, {kind}: "
                        + ", ".join(f"`{e}`" for e in names[:30])
                        + (f" and {len(names) - 30} more" if len(names) > 30 else "")
                        + "."
                    )
            if not api and own:
                # Nothing exported (a Node script, a Go main): what its entry points define.
                out += ["", "Public API: nothing exported; the entry points define:", ""]
                api = own
            else:
                out += ["", "Public API:", ""]
            out += [f"- {a}" for a in api[:60]] or ["- (none found)"]
            if len(api) > 60:
                out.append(f"- … and {len(api) - 60} more")
            out.append("")
            pieces.append(
                Piece(
                    f"Public outline of {name}",
                    "\n".join(api) or "(none)",
                    TARGET,
                    outline="\n".join(api[:40]) or None,
                )
            )
            for proto in protocols + configs:
                shared.setdefault(PurePosixPath(proto).name, set()).add(name)
                if proto in copies:
                    continue  # the same services as a definition sent once, below
                text = reader.text(proto)
                if text is not None:
                    pieces.append(
                        Piece(f"{proto}", text, CHANGES, source=proto, outline=text[:2000])
                    )
        out += ["## Integration points", "", *wired.render()]
        out += ["", "### Imports between the given paths", ""]
        out += [
            f"- `{a}` imports from `{b}` ({len(where)} imports, e.g. `{where[0]}`)"
            for (a, b), where in sorted(edges.items())
        ] or ["No imports between the given paths were found."]
        asked = arch_questions.questions(wired, {p or "." for p in paths})
        if asked:
            out += ["", "## Questions to raise in the review", "", *asked]
        common = {n: owners for n, owners in shared.items() if len(owners) > 1}
        above = _shared(files, paths)
        if common or above:
            out += ["", "## Shared configuration and protocols", ""]
            out += [
                f"- `{n}` in " + ", ".join(f"`{o}`" for o in sorted(owners))
                for n, owners in sorted(common.items())
            ]
            out += [f"- `{f}`, above the given paths" for f in above]
        sent = {p.source for p in pieces if p.source}
        for proto in dict.fromkeys(d.path for d in wired.protocols):
            text = reader.text(proto) if proto not in sent else None
            if text is not None:  # the contract the services share, wherever it is kept
                pieces.append(Piece(proto, text, NEIGHBOURS, source=proto, outline=text[:2000]))
        for path in above:
            text = reader.text(path)
            if text is not None:
                # After the services' own files: a monorepo's top holds much that is shared.
                pieces.append(
                    Piece(f"{path} (shared)", text, NEIGHBOURS, source=path, outline=text[:2000])
                )
        if edges:
            pieces.append(
                Piece(
                    "Imports between the given paths",
                    "\n".join(
                        f"{a} -> {b}: " + "; ".join(w[:5]) for (a, b), w in sorted(edges.items())
                    ),
                    TARGET,
                )
            )
        return Collected(pieces, "\n".join(out) + "\n")


__all__ = ["Architecture"]
