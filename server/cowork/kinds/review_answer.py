"""What a model is asked for when it reviews: `ReviewAnswer`, a pydantic model whose
JSON schema is the structured output requested, and its reading into findings.
Imported only where a model's review is asked for or read (`review`), since pydantic
is slow to import."""

from __future__ import annotations

import posixpath

from pydantic import BaseModel, ConfigDict, Field

from cowork.kinds.answer import Rendered, one_of, parse
from cowork.kinds.findings import CONFIDENCES, SEVERITIES, Finding, render_findings

# What a model's finding is about: its diagnostic code. The offline checks keep their
# own rule names (`debug-statement`, ...).
CATEGORIES = (
    "correctness",
    "security",
    "performance",
    "concurrency",
    "api",
    "tests",
    "maintainability",
)
UNKNOWN_CATEGORY = "maintainability"
UNKNOWN_CONFIDENCE = "medium"


class _FindingOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The file, relative to the workspace, as in the diff.")
    line: int = Field(description="The first line concerned, 1-based, in the new version.")
    end_line: int | None = Field(
        description="The last line concerned (and replaced by the suggestion); null for one line."
    )
    severity: str = Field(
        description="error: a bug or break that must be fixed; warning: likely wrong or "
        "risky; information: worth a look; hint: a minor improvement.",
        json_schema_extra={"enum": list(SEVERITIES)},
    )
    # Plain strings, not Literals: a word outside the list keeps the finding (read as
    # maintainability / medium, and noted) rather than failing the whole answer.
    category: str | None = Field(
        default=None,
        description="What the finding is about.",
        json_schema_extra={"enum": list(CATEGORIES)},
    )
    confidence: str | None = Field(
        default=None,
        description="How sure you are that this is a real problem: high (the lines "
        "shown prove it), medium, low (it depends on code you were not shown).",
        json_schema_extra={"enum": list(CONFIDENCES)},
    )
    message: str = Field(
        description="One line under 100 characters, what to do first: "
        "'Check this call: `f` now needs `g`'."
    )
    detail: str = Field(description="Why, and what to do, in Markdown; may be empty.")
    suggestion: str | None = Field(
        description="Replacement text for lines line..end_line, or null when there is none."
    )


class ReviewAnswer(BaseModel):
    """A review as structured output. There is no verdict: approving or rejecting is
    the reviewer's call."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(
        description="A short overall read in Markdown: what the change does, where the "
        "risk is, what to look at first. No verdict (no approve, reject or score)."
    )
    findings: list[_FindingOut]


def read_review(text: str) -> Rendered | None:
    """A structured review as Markdown (its overall read, then its findings) with the
    findings to publish; None when `text` is not one."""
    answer = parse(ReviewAnswer, text)
    if answer is None:
        return None
    notes: list[str] = []
    findings: list[Finding] = []
    for f in answer.findings:
        path = posixpath.normpath(f.path.strip())
        where = f"the finding at `{path}:{f.line}`"
        severity = one_of(f.severity, SEVERITIES, "warning", notes, field="severity", where=where)
        findings.append(
            Finding(
                path=path,
                line=max(1, f.line),
                severity=severity,  # type: ignore[arg-type]  # one of SEVERITIES
                message=" ".join(f.message.split()),
                detail=f.detail.strip(),
                end_line=f.end_line if f.end_line and f.end_line >= f.line else None,
                suggestion=f.suggestion,
                category=one_of(
                    f.category, CATEGORIES, UNKNOWN_CATEGORY, notes, field="category", where=where
                ),
                # None given: the finding stands as raised.
                confidence=(
                    "high"
                    if f.confidence is None
                    else one_of(
                        f.confidence,
                        CONFIDENCES,
                        UNKNOWN_CONFIDENCE,
                        notes,
                        field="confidence",
                        where=where,
                    )
                ),
            )
        )
    # A path outside the workspace is kept: the citation check lists it as not located.
    summary = answer.summary.strip() or "*(No overall read given.)*"
    body = f"## Overall read\n\n{summary}\n\n{render_findings(findings)}"
    return Rendered(body, notes, findings)
