"""`research`: a question weighed for this codebase, with facts per option — whether a
manifest already declares it, where it is imported, how much the named files use it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cowork.brief import Brief
from cowork.context.declared import Declared, declared, is_manifest, matches
from cowork.context.graph import ImportGraph
from cowork.context.reader_graph import graph_for
from cowork.errors import InputError
from cowork.kinds.answer import Rendered, schema_of, system_prompt
from cowork.kinds.base import (
    TARGET,
    Collected,
    ContextReader,
    GatherRequest,
    Piece,
    optional_str,
    str_list,
)
from cowork.kinds.overview import _MAX_FILES_PER_PATH, _paths
from cowork.kinds.service_wiring import under as _under
from cowork.kinds.summarize import outline_text, public

SYSTEM_PROMPT = system_prompt(
    """The hand-off: weigh a question for this codebase so that the developer can decide.
    A diligent colleague restates the question, picks criteria that matter for this
    codebase (its languages and dependencies, how it is deployed, the code that would
    change, the conventions visible in it) and assesses each option against each
    criterion with evidence: `path:line` in the workspace, dependency facts from its
    manifests. When no options are given, propose the realistic ones, keeping things as
    they are among them. Name each option's risks and unknowns, and what to prototype
    or measure to decide. Do not make the decision: no recommendation, no winner, no
    ranking; lay out the trade-offs. Out of scope: options that need a rewrite of
    unrelated parts, and general advice not tied to this codebase."""
)


class Research:
    name = "research"
    system_prompt = SYSTEM_PROMPT

    def answer_schema(self) -> dict[str, Any] | None:
        from cowork.kinds.research_answer import ResearchAnswer

        return schema_of(ResearchAnswer)

    def render_answer(self, text: str) -> Rendered | None:
        from cowork.kinds.research_answer import read_research

        return read_research(text)

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
            output_format="Criteria fitted to this codebase; each option (proposed ones when "
            "none are given) assessed against them with evidence (`path:line`, dependency "
            "facts), its risks and unknowns; what to prototype to decide. No decision.",
            out_of_scope="Options that need a rewrite of unrelated parts.",
            params={k: v for k, v in params.items() if k in ("question", "options", "uris")},
        )

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        files = reader.inventory
        params = request.params
        out = ["# Research", "", f"**Question:** {params['question']}", "", "## Options", ""]
        out += [f"{i}. {o}" for i, o in enumerate(params["options"], 1)] or [
            "None given: list the candidate approaches in the brief."
        ]
        pieces: list[Piece] = []  # the workspace map (needs_map) is the outline
        graph = graph_for(reader)
        named_texts: dict[str, str] = {}
        out += ["", "## Files named", ""]
        for rel in params["paths"]:
            members = _under(files, rel)
            if not members and (reader.root / rel).is_file():
                members = [rel]  # named, but not in the inventory: gitignored or a secret
            for member in members[:_MAX_FILES_PER_PATH]:
                text = reader.text(member)
                if text is None:
                    why = reader.withheld(member) or reader.excluded.get(member, "unreadable")
                    out.append(f"- `{member}`: not sent ({why})")
                    continue
                facts = reader.outline(member)
                pieces.append(
                    Piece(
                        member,
                        text,
                        TARGET,
                        source=member,
                        outline=outline_text(facts) if facts else None,
                    )
                )
                count = len(public(facts)) if facts else 0
                named_texts[member] = text
                users = {e.source for e in graph.importers_of(member)}
                out.append(
                    f"- `{member}`: {count} public definitions"
                    + (f", imported by {len(users)} workspace files" if users else "")
                )
        if not params["paths"]:
            out.append("None.")
        evidence = _option_facts(reader, files, params["options"], named_texts)
        if params["options"]:
            out += ["", "## Facts per option", ""]
            out += [f"- **{o}**: {'; '.join(evidence[o])}." for o in params["options"]]
            pieces.insert(
                0,
                Piece(
                    "Facts per option (from the workspace's manifests and imports)",
                    "\n".join(f"{o}: {'; '.join(evidence[o])}" for o in params["options"]),
                    TARGET,
                ),
            )
        out += [
            "",
            "## Trade-offs",
            "",
            "| option | fit with this codebase | cost | risk |",
            "| --- | --- | --- | --- |",
        ]
        out += [f"| {o} | {_short(evidence[o])} | ? | ? |" for o in params["options"]]
        out += ["", "*(The offline provider cannot weigh options; a model fills this table.)*"]
        out += ["", "## What to prototype to decide", "", "*(A model's answer proposes it.)*"]
        # The workspace map is research's outline of the codebase: always in its context.
        return Collected(pieces, "\n".join(out) + "\n", needs_map=True)


_MAX_MANIFESTS_READ = 200


def _option_facts(
    reader: ContextReader, files: list[str], options: list[str], named: dict[str, str]
) -> dict[str, list[str]]:
    """Per option: whether a manifest declares it, where the workspace imports it, and
    how often the named files mention it — the evidence for "fit with this codebase"."""
    if not options:
        return {}
    graph = graph_for(reader)
    declared_all: list[Declared] = []
    for rel in [f for f in files if is_manifest(f)][:_MAX_MANIFESTS_READ]:
        text = reader.text(rel)
        if text is not None:
            found, _ = declared(rel, text)
            declared_all += found
    facts: dict[str, list[str]] = {}
    for option in options:
        lines: list[str] = []
        hits = [d for d in declared_all if matches(option, d.name)]
        if hits:
            lines.append(
                "already a dependency: "
                + ", ".join(f"`{d.name}` (`{d.manifest}:{d.line}`)" for d in hits[:4])
            )
        else:
            lines.append("not declared in any manifest")
        sites = _imports_of(reader, graph, option)
        if sites:
            lines.append(
                f"imported in {len(sites)} file{'s' if len(sites) != 1 else ''}: "
                + ", ".join(f"`{s}`" for s in sites[:5])
                + (" …" if len(sites) > 5 else "")
            )
        else:
            lines.append("imported nowhere")
        if named:
            word = re.compile(r"\b" + re.escape(option.lower()) + r"\b")
            uses = sum(
                1
                for text in named.values()
                for line in text.lower().splitlines()
                if word.search(line)
            )
            lines.append(f"{uses} line{'s' if uses != 1 else ''} of the named files mention it")
        facts[option] = lines
    return facts


def _imports_of(reader: ContextReader, graph: ImportGraph, option: str) -> list[str]:
    """`path:line` of each file that imports a module or package `option` names."""
    found: list[str] = []
    for path, names in sorted(graph.external.items()):
        wanted = [n for n, _ in names if matches(option, n)]
        if not wanted:
            continue
        facts = reader.facts(path)
        line = next(
            (i.line for i in (facts.imports if facts else ()) if any(w in i.spec for w in wanted)),
            1,
        )
        found.append(f"{path}:{line}")
    return found


def _short(facts: list[str]) -> str:
    """The table's cell: each fact up to its list of places (the full list is above)."""
    return "; ".join(f.split(": ")[0] if ": " in f else f for f in facts)
