"""`change`: a goal for a code change (a refactor, a migration, a fix, tests) and the
files it concerns; the answer is a set of edits, applied in an isolated worktree
and tested there (engine/change_flow.py), never in the user's tree.

The answer's shape is public (scripts and checks rely on it):
`{"rationale": str, "edits": [{"path", "search", "replace"}], "reviewerNotes": [str]}`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context.edits import Edit
from cowork.context.reader_graph import graph_for
from cowork.context.workspace import relative_to
from cowork.errors import InputError
from cowork.kinds.answer import GENERIC_PROMPT, Rendered
from cowork.kinds.base import (
    CALLERS,
    NEIGHBOURS,
    TARGET,
    TESTS,
    Collected,
    ContextReader,
    GatherRequest,
    Piece,
    optional_str,
    shown,
    str_list,
)
from cowork.kinds.summarize import is_test_file, outline_text, test_names_for

MAX_FILES = 20
MAX_RELATED = 20


def change_schema() -> dict[str, Any]:
    """The JSON schema of the answer (pydantic loads only when a model is asked)."""
    from cowork.kinds.change_answer import ChangeAnswer

    return ChangeAnswer.model_json_schema()


def parse_change(text: str) -> tuple[str, list[Edit], list[str]] | None:
    """(rationale, edits, reviewer notes) of a structured answer; None when `text` is
    not one."""
    from pydantic import ValidationError

    from cowork.kinds.change_answer import ChangeAnswer

    try:
        answer = ChangeAnswer.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return None
    edits = [Edit(e.path.strip(), e.search, e.replace) for e in answer.edits]
    return answer.rationale.strip(), edits, [n.strip() for n in answer.reviewerNotes if n.strip()]


class Change:
    name = "change"
    system_prompt = GENERIC_PROMPT

    def answer_schema(self) -> dict[str, Any] | None:
        return change_schema()

    def render_answer(self, text: str) -> Rendered | None:
        """None: a change's edits are read and applied by the change flow, not here."""
        return None

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        goal = params.get("goal")
        if not isinstance(goal, str) or not goal.strip():
            raise InputError(
                'cowork.proposeChange needs {"goal": "…"}: what the change must achieve, '
                f"got {shown(goal)}"
            )
        uri_list = str_list(params, "uris")
        if len(uri_list) > MAX_FILES:
            raise InputError(f"a change takes at most {MAX_FILES} files in 'uris'")
        paths = []
        for uri in uri_list:
            path = uris.to_path(uri)
            rel = relative_to(root, path)
            if not path.is_file():
                raise InputError(f"{rel} is not a file of the workspace")
            paths.append(rel)
        out: dict[str, Any] = {"goal": goal.strip(), "uris": uri_list, "paths": paths}
        base = optional_str(params, "base")
        if base:
            out["base"] = base
        return out

    def title(self, params: dict[str, Any]) -> str:
        goal = " ".join(params["goal"].split())
        return f"Change: {goal[:60]}{'…' if len(goal) > 60 else ''}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        paths = params.get("paths") or []
        return Brief(
            kind=self.name,
            title=self.title(params),
            goal=params["goal"],
            context=[*paths, "what they import", "who imports them", "their tests"]
            if paths
            else ["the workspace overview"],
            output_format=(
                "A patch as structured edits: a short rationale; edits, each a `path`, a "
                "`search` text that occurs exactly once in that file as it is now (copied "
                "exactly, with enough lines to be unique) and its `replace`ment (an empty "
                "`search` creates a new file); notes for the reviewer (risks, assumptions, "
                "what the tests do not cover). Update or add the tests the change needs."
            ),
            out_of_scope=(
                "Anything the goal does not need: unrelated refactors, reformatting, new "
                "dependencies, and files under .git/ or .cowork/, secrets or ignored files."
            ),
            params={k: params[k] for k in ("goal", "uris", "base") if k in params},
        )

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        paths: list[str] = list(request.params.get("paths") or [])
        pieces: list[Piece] = []
        related: list[str] = []
        tests: list[str] = []
        importers: list[str] = []
        graph = graph_for(reader) if paths else None
        for rel in paths:
            text = reader.text(rel, required=True)
            assert text is not None
            facts = reader.outline(rel)
            pieces.append(
                Piece(
                    f"{rel} (to change)",
                    text,
                    priority=TARGET,
                    source=rel,
                    outline=outline_text(facts) if facts else None,
                    required=True,
                )
            )
            assert graph is not None
            for edge in graph.imports_of(rel):
                if edge.target not in paths and edge.target not in related:
                    related.append(edge.target)
            for edge in graph.importers_of(rel):
                bucket = tests if is_test_file(edge.source) else importers
                line = edge.source if bucket is tests else f"{edge.source}:{edge.line}"
                if edge.source not in paths and line not in bucket:
                    bucket.append(line)
            tests += [
                t for t in reader.named(test_names_for(rel)) if t not in tests and t not in paths
            ]
            reader.check_cancelled()
        for rel in related[:MAX_RELATED]:
            facts = reader.outline(rel)
            if facts is not None:
                pieces.append(
                    Piece(f"{rel} (imported; outline)", outline_text(facts), NEIGHBOURS, source=rel)
                )
        if importers:
            pieces.append(Piece("Who imports the files to change", "\n".join(importers), CALLERS))
        for rel in tests[:MAX_RELATED]:
            text = reader.text(rel)
            if text is not None:
                facts = reader.outline(rel)
                pieces.append(
                    Piece(
                        f"{rel} (tests)",
                        text,
                        TESTS,
                        source=rel,
                        outline=outline_text(facts) if facts else None,
                    )
                )
        return Collected(
            pieces=pieces,
            offline_report=_offline_report(request.params, tests),
            needs_map=not paths,  # no files named: the workspace map is where to look
        )


def _offline_report(params: dict[str, Any], tests: list[str]) -> str:
    paths = params.get("paths") or []
    lines = [
        f"# {Change().title(params)}",
        "",
        "> **The offline provider cannot write code.** No edits were made and no "
        "worktree was created. Set up a model provider (`ANTHROPIC_API_KEY`, or "
        "`cowork.provider`) to have this change proposed as a tested patch; the prompt "
        "it would receive is below.",
        "",
        "## Goal",
        "",
        params["goal"],
        "",
        "## Files in context",
        "",
        *([f"- `{p}`" for p in paths] or ["- (none named: give the files the change concerns)"]),
        "",
        "## Their tests",
        "",
        *([f"- `{t}`" for t in tests] or ["- none found"]),
    ]
    return "\n".join(lines) + "\n"
