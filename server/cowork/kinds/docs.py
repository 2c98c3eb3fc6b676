"""`docs`: a draft of the documentation for a change just finished."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cowork.brief import Brief
from cowork.kinds.answer import Rendered, schema_of, system_prompt
from cowork.kinds.change_model import ChangeFacts
from cowork.kinds.change_report import (
    ChangesKind,
    against,
    api_section,
    change_lines,
    tests_section,
)
from cowork.kinds.findings import Finding


def docs_report(f: ChangeFacts, description: str | None) -> str:
    out = ["# Docs draft: this change", "", "## Context", ""]
    out.append(
        (description or "").strip()
        or "*(No description given: describe why this change was made.)*"
    )
    out += ["", "## What changed", "", *change_lines(f), ""]
    out += api_section(f) + tests_section(f)
    # The sections a model's answer has (docs_answer), for the author to fill in.
    out += [
        "## Decision",
        "",
        "*(To be written: the decision.)*",
        "",
        "## Alternatives considered",
        "",
        "*(To be written.)*",
        "",
        "## Consequences",
        "",
        "*(To be written.)*",
        "",
        "## Operational considerations",
        "",
        "*(To be written: configuration, migrations, rollout, monitoring.)*",
        "",
        "## What the author must still add",
        "",
        "- Why this change was made, and the alternatives weighed: the code cannot say.",
    ]
    return "\n".join(out) + "\n"


SYSTEM_PROMPT = system_prompt(
    """The hand-off: draft the documentation of a change just finished, for the people who
    will maintain and operate it. A diligent colleague writes a decision record (the
    context that made the change necessary, the decision, the alternatives considered
    and why they were not taken, the consequences good and bad), the API changes as
    before/after with where they are, and the operational considerations
    (configuration, migrations, rollout and rollback, monitoring); then lists what the
    author must still add: what the code cannot say, such as the motivation, the
    alternatives not visible in the diff, deadlines and who agreed. Write only what the
    diff, commits, description and notes support, and leave the rest to the author.
    Out of scope: marketing copy, re-explaining unchanged code, reviewing the change."""
)


class Docs(ChangesKind):
    name = "docs"
    system_prompt = SYSTEM_PROMPT
    with_callers = False  # docs describe the change, not its blast radius

    def title(self, params: dict[str, Any]) -> str:
        return f"Docs for the change since {against(params, 'the base')}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title="Draft docs for this change",
            goal="Draft the documentation for the change just finished: the decision, the API "
            "changes, and what operators need to know.",
            context=[
                "the diff and commits",
                "the description",
                "the notes files",
                "public API before/after",
                "related tests",
            ],
            output_format="A decision record (context, decision, alternatives considered, "
            "consequences), API changes before/after, operational considerations "
            "(configuration, migrations, rollout, monitoring), and what the author must "
            "still add.",
            out_of_scope="Marketing copy; re-explaining unchanged code.",
            params={
                k: v
                for k, v in params.items()
                if k in ("base", "description", "notes", "uncommitted")
            },
        )

    def report(
        self, f: ChangeFacts, description: str | None, observed: list[Finding] | None = None
    ) -> str:
        return docs_report(f, description)

    def answer_schema(self) -> dict[str, Any] | None:
        from cowork.kinds.docs_answer import DocsAnswer

        return schema_of(DocsAnswer)

    def render_answer(self, text: str) -> Rendered | None:
        from cowork.kinds.docs_answer import read_docs

        return read_docs(text)
