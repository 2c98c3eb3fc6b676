"""What a model answers an `architecture` task with: `ArchitectureAnswer` (each
service, the integration points between them as edges, the patterns that look
inconsistent or concerning, the questions to raise), and its Markdown. Imported
only when a model is asked or answers (pydantic is slow to import)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cowork.kinds.answer import Rendered, bullets, cell, cited, parse, section


class _Service(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The service, as its folder is named.")
    responsibility: str = Field(description="What it is for, in a sentence or two.")
    entry_points: list[str] = Field(
        description="What starts it or what it serves (a main, an HTTP route, a consumer), "
        "each with its `path:line`."
    )
    owns: list[str] = Field(
        description="What it owns: data stores and schemas, protocols and queues, "
        "configuration; each with its `path:line` when shown."
    )


class _Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from", description="The service that calls, sends or imports.")
    target: str = Field(alias="to", description="The service it reaches.")
    how: str = Field(
        description="How: HTTP, gRPC, events on a queue, a shared database or file, an import."
    )
    evidence: list[str] = Field(description="`path:line` of the code that shows the edge.")


class _Concern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(
        description="What looks inconsistent or concerning across services (error handling, "
        "timeouts and retries, auth, configuration, duplicated contracts, versioning)."
    )
    why: str = Field(description="Why it matters for the review.")
    files: list[str] = Field(description="The files (`path` or `path:line`) that show it.")


class ArchitectureAnswer(BaseModel):
    """An architecture brief as structured output."""

    model_config = ConfigDict(extra="forbid")

    overview: str = Field(description="How the services fit together, in two or three sentences.")
    services: list[_Service]
    integration_points: list[_Edge]
    concerns: list[_Concern]
    questions: list[str] = Field(description="Questions to raise in the architecture review.")


def render_architecture(answer: ArchitectureAnswer) -> list[str]:
    """The brief, in the offline report's sections where they meet."""
    out = ["# Architecture brief", "", answer.overview.strip(), ""]
    for s in answer.services:
        out += [f"## `{s.name.strip().strip('`')}`", "", s.responsibility.strip(), ""]
        out += ["Entry points:", "", *bullets(s.entry_points, "None found."), ""]
        out += ["Owns:", "", *bullets(s.owns, "Nothing of its own found."), ""]
    edges = [
        f"| `{cell(e.source)}` | `{cell(e.target)}` | {cell(e.how)} | "
        f"{cited(e.evidence) or '*(no evidence)*'} |"
        for e in answer.integration_points
    ]
    out += section(
        "Integration points",
        ["| from | to | how | evidence |", "| --- | --- | --- | --- |", *edges]
        if edges
        else ["None found between the given services."],
    )
    out += section(
        "Concerns",
        bullets(
            [
                f"**{c.pattern.strip()}**: {c.why.strip()}"
                + (f" (seen in {cited(c.files)})" if c.files else "")
                for c in answer.concerns
            ],
            "Nothing stood out.",
        ),
    )
    out += section("Questions for the review", bullets(answer.questions))
    return out


def read_architecture(text: str) -> Rendered | None:
    answer = parse(ArchitectureAnswer, text)
    if answer is None:
        return None
    return Rendered("\n".join(render_architecture(answer)))
