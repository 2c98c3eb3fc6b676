"""What a model is asked for when it reviews: `ReviewAnswer`, a pydantic model whose
JSON schema is the structured output requested. Imported only where a model's review
is asked for or read (`findings`), since pydantic is slow to import."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _FindingOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The file, relative to the workspace, as in the diff.")
    line: int = Field(description="The first line concerned, 1-based, in the new version.")
    end_line: int | None = Field(
        description="The last line concerned (and replaced by the suggestion); null for one line."
    )
    severity: Literal["error", "warning", "information", "hint"]
    category: str | None = Field(
        default=None,
        description="A short kebab-case name for the kind of finding, such as "
        "`error-handling`, `naming`, `security`, `missing-test`; null when none fits.",
    )
    confidence: str | None = Field(
        default=None,
        description="How sure you are that this is a real problem: high, medium or low.",
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
    """A review as structured output."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(description="The review in Markdown: what the change does, overall risks.")
    findings: list[_FindingOut]
