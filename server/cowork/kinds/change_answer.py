"""What a model answers a `change` task with: `ChangeAnswer`, whose JSON schema is the
structured output requested. Imported only when a model is asked or answers (pydantic
is slow to import). The shape is public: scripts and checks rely on it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _EditOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="The file, relative to the workspace root.")
    search: str = Field(
        description="Text that occurs exactly once in the file as it is now, copied "
        "exactly (whitespace included), with enough lines to be unique; empty to "
        "create a new file at `path`."
    )
    replace: str = Field(description="What replaces `search` (the whole new file when creating).")


class ChangeAnswer(BaseModel):
    """A proposed change as structured output."""

    model_config = ConfigDict(extra="forbid")

    rationale: str = Field(description="Why this change meets the goal, in Markdown; brief.")
    edits: list[_EditOut]
    reviewerNotes: list[str] = Field(
        description="What a reviewer should check: risks, assumptions, what is untested."
    )
