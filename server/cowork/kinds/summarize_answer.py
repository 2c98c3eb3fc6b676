"""What a model answers a `summarize` task with: `SummaryAnswer` (responsibility,
public API, collaborators, tests, risks, open questions), and its Markdown.
Imported only when a model is asked or answers (pydantic is slow to import)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cowork.kinds.answer import Rendered, bullets, cited, parse, section


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The public name as written (function, class, constant).")
    where: str = Field(description="`path:line` of its definition.")
    purpose: str = Field(
        description="What a caller uses it for and what it promises, in a sentence or two; "
        "not a paraphrase of its body."
    )


class _Collaborator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The module, package or file.")
    where: str = Field(description="`path:line` of the import; empty when not shown.")
    why: str = Field(description="What this module takes from it, or what it relies on here.")


class _Collaborators(BaseModel):
    model_config = ConfigDict(extra="forbid")

    imports: list[_Collaborator] = Field(description="What it imports from the workspace.")
    importers: list[_Collaborator] = Field(description="Who imports it, and what they rely on.")


class _Tests(BaseModel):
    model_config = ConfigDict(extra="forbid")

    how: str = Field(description="How the module is tested: which test files, at what level.")
    untested: list[str] = Field(description="Behaviour no test shown covers.")


class SummaryAnswer(BaseModel):
    """A module's summary as structured output."""

    model_config = ConfigDict(extra="forbid")

    responsibility: str = Field(
        description="What the module is responsible for, and what it deliberately is not, "
        "in two or three sentences."
    )
    public_api: list[_Entry]
    collaborators: _Collaborators
    tests: _Tests
    risks: list[str] = Field(
        description="What could bite whoever changes it (coupling, shared state, error "
        "paths, concurrency), each with the `path:line` that shows it."
    )
    open_questions: list[str] = Field(
        description="What the context does not answer and only its authors can."
    )


def _collaborators(items: list[_Collaborator], empty: str) -> list[str]:
    return bullets(
        [
            f"`{c.name.strip().strip('`')}`"
            + (f" ({cited([c.where])})" if c.where.strip() else "")
            + (f" — {c.why.strip()}" if c.why.strip() else "")
            for c in items
        ],
        empty,
    )


def render_summary(answer: SummaryAnswer) -> list[str]:
    """The summary, in the offline report's sections where they meet."""
    out = section("Responsibility", [answer.responsibility.strip() or "*(Not stated.)*"])
    out += section(
        "Public API",
        bullets(
            [
                f"`{e.name.strip().strip('`')}`"
                + (f" ({cited([e.where])})" if e.where.strip() else "")
                + f" — {e.purpose.strip()}"
                for e in answer.public_api
            ],
            "No public definitions.",
        ),
    )
    out += ["## Collaborators", "", "### Imports", ""]
    out += _collaborators(answer.collaborators.imports, "None from the workspace.")
    out += ["", "### Imported by", ""]
    out += _collaborators(answer.collaborators.importers, "No workspace file imports it.")
    out += [""]
    tested = answer.tests
    out += section(
        "Tests",
        [
            tested.how.strip() or "*(Not stated.)*",
            "",
            "Not covered:",
            "",
            *bullets(tested.untested, "Nothing listed."),
        ],
    )
    out += section("Risks", bullets(answer.risks, "Nothing stood out."))
    out += section("Open questions", bullets(answer.open_questions))
    return out


def read_summary(text: str) -> Rendered | None:
    answer = parse(SummaryAnswer, text)
    if answer is None:
        return None
    return Rendered("\n".join(render_summary(answer)))
