"""`docs`: a draft of the documentation for a change just finished."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cowork.brief import Brief
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
    out += [
        "## Decision",
        "",
        "*(To be written: the decision and its alternatives.)*",
        "",
        "## Operational considerations",
        "",
        "*(To be written.)*",
    ]
    return "\n".join(out) + "\n"


class Docs(ChangesKind):
    name = "docs"
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
            output_format="A decision record (context, decision, consequences), API changes "
            "before/after, operational considerations.",
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
