"""What a model answers a `research` task with: `ResearchAnswer` (criteria fitted
to this codebase, each option assessed against them with evidence, risks and
unknowns, what to prototype to decide; no decision), and its Markdown. Imported
only when a model is asked or answers (pydantic is slow to import)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cowork.kinds.answer import Rendered, bullets, cell, cited, parse, section
from cowork.kinds.findings import shorten

_CELL = 80  # characters of an assessment in the trade-offs table; the whole text is below


class _Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="A short name, such as 'fit with the async server'.")
    why: str = Field(description="Why it matters for this codebase, with `path:line` if shown.")


class _Assessment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(description="The criterion's name, as in `criteria`.")
    assessment: str = Field(description="How the option does on it, for this codebase.")
    evidence: list[str] = Field(
        description="`path:line` in the workspace, or a dependency fact (a manifest line, "
        "a version); empty when the context has none."
    )


class _Option(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    generated: bool = Field(
        description="True when you proposed the option (none or too few were given)."
    )
    summary: str = Field(description="What choosing it would mean here, in a sentence or two.")
    assessments: list[_Assessment]
    risks: list[str]
    unknowns: list[str] = Field(description="What the context cannot tell about it.")


class ResearchAnswer(BaseModel):
    """A question weighed for this codebase, as structured output. No decision."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The question, restated precisely.")
    criteria: list[_Criterion]
    options: list[_Option]
    prototype: list[str] = Field(
        description="What to prototype or measure to decide, and what result would tell."
    )


def render_research(answer: ResearchAnswer) -> list[str]:
    """The research note, in the offline report's sections where they meet."""
    out = ["# Research", "", f"**Question:** {answer.question.strip()}", ""]
    out += section(
        "Criteria",
        bullets([f"**{c.name.strip()}**: {c.why.strip()}" for c in answer.criteria]),
    )
    names = [c.name.strip() for c in answer.criteria]
    out += ["## Options", ""]
    if not answer.options:
        out += ["None.", ""]
    for o in answer.options:
        mark = " *(proposed: none was given)*" if o.generated else ""
        out += [f"### {o.name.strip()}{mark}", "", o.summary.strip(), ""]
        out += ["| criterion | assessment | evidence |", "| --- | --- | --- |"]
        out += [
            f"| {cell(a.criterion)} | {cell(a.assessment)} | {cited(a.evidence) or '—'} |"
            for a in o.assessments
        ]
        out += ["", "Risks:", "", *bullets(o.risks), ""]
        out += ["Unknowns:", "", *bullets(o.unknowns), ""]
    if answer.options and names:
        out += ["## Trade-offs", ""]
        out += [f"| option | {' | '.join(cell(n) for n in names)} |"]
        out += ["| --- |" + " --- |" * len(names)]
        for o in answer.options:
            by = {a.criterion.strip().lower(): a.assessment for a in o.assessments}
            row = [cell(shorten(by.get(n.lower(), "?"), _CELL)) for n in names]
            out.append(f"| {cell(o.name)} | {' | '.join(row)} |")
        out.append("")
    out += section("What to prototype to decide", bullets(answer.prototype))
    out += ["*No option is chosen here: the decision is yours.*", ""]
    return out


def read_research(text: str) -> Rendered | None:
    answer = parse(ResearchAnswer, text)
    if answer is None:
        return None
    return Rendered("\n".join(render_research(answer)))
