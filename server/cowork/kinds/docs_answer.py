"""What a model answers a `docs` task with: `DocsAnswer` (a decision record, the API
changes before/after, operational considerations, and what only the author can
add), and its Markdown. Imported only when a model is asked or answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cowork.kinds.answer import Rendered, bullets, cell, cited, parse, section


class _Alternative(BaseModel):
    model_config = ConfigDict(extra="forbid")

    option: str = Field(description="An alternative to the decision taken.")
    why_not: str = Field(
        description="Why it was not taken, as far as the context shows; say when it does not."
    )


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    context: str = Field(description="What made the change necessary: the problem, the forces.")
    decision: str = Field(description="What was decided and done, in a few sentences.")
    alternatives: list[_Alternative] = Field(description="The alternatives considered.")
    consequences: list[str] = Field(
        description="What follows from the decision, good and bad: what becomes easier, "
        "what becomes harder, what is now a constraint."
    )


class _ApiChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The public name (function, class, endpoint, setting).")
    before: str = Field(description="Its signature or contract before; empty when it is new.")
    after: str = Field(description="Its signature or contract after; empty when it is removed.")
    where: str = Field(description="`path:line` of its definition now (or before, if removed).")
    note: str = Field(description="What a caller must do differently; may be empty.")


class _Operations(BaseModel):
    model_config = ConfigDict(extra="forbid")

    configuration: list[str] = Field(description="Settings added, changed or removed.")
    migrations: list[str] = Field(description="Data or schema migrations, and their order.")
    rollout: list[str] = Field(description="How to roll it out, and back.")
    monitoring: list[str] = Field(description="What to watch once it is live.")


class DocsAnswer(BaseModel):
    """The documentation of a change as structured output."""

    model_config = ConfigDict(extra="forbid")

    decision_record: _Record
    api_changes: list[_ApiChange]
    operations: _Operations
    author_must_add: list[str] = Field(
        description="What the code cannot say and only the author knows: the motivation "
        "behind the choice, alternatives not visible in the diff, constraints, who agreed."
    )


def _code(text: str) -> str:
    text = text.strip()
    return f"`{text}`" if text and "`" not in text else (text or "—")


def render_docs(answer: DocsAnswer) -> list[str]:
    """The docs draft, in the offline report's sections where they meet."""
    r = answer.decision_record
    out = ["# Docs draft: this change", ""]
    out += section("Context", [r.context.strip() or "*(Not stated in the change.)*"])
    out += section("Decision", [r.decision.strip() or "*(Not stated in the change.)*"])
    out += section(
        "Alternatives considered",
        bullets(
            [f"**{a.option.strip()}**: {a.why_not.strip()}" for a in r.alternatives],
            "None recorded.",
        ),
    )
    out += section("Consequences", bullets(r.consequences))
    rows = [
        f"| {cell(c.name)} | {cell(_code(c.before))} | {cell(_code(c.after))} | "
        f"{cited([c.where])} | {cell(c.note) or '—'} |"
        for c in answer.api_changes
    ]
    out += section(
        "Public API before/after",
        ["| name | before | after | where | note |", "| --- | --- | --- | --- | --- |", *rows]
        if rows
        else ["No public API changed."],
    )
    ops = [
        ("Configuration", answer.operations.configuration),
        ("Migrations", answer.operations.migrations),
        ("Rollout", answer.operations.rollout),
        ("Monitoring", answer.operations.monitoring),
    ]
    out += ["## Operational considerations", ""]
    for title, items in ops:
        out += [f"### {title}", "", *bullets(items), ""]
    out += section(
        "What the author must still add", bullets(answer.author_must_add, "Nothing listed.")
    )
    return out


def read_docs(text: str) -> Rendered | None:
    answer = parse(DocsAnswer, text)
    if answer is None:
        return None
    return Rendered("\n".join(render_docs(answer)))
