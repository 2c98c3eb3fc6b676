"""Review findings: observations located at file:line, with a severity and an
optional replacement for the lines they concern.

A model answers a review with structured output (`ReviewAnswer`'s JSON schema, in
`review_answer`),
validated here; the offline provider's heuristic checks produce the same
`Finding`s from the gathered facts. Either way the artifact lists them and the
editor shows them as diagnostics.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "information", "hint"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "information", "hint")


@dataclass(frozen=True)
class Finding:
    path: str  # workspace-relative, as in the diff
    line: int  # 1-based, in the file as it is now
    severity: Severity
    message: str  # one line
    detail: str = ""  # Markdown
    end_line: int | None = None  # last line the finding (and its suggestion) covers
    suggestion: str | None = None  # replacement text for lines line..end_line

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def at_least(severity: str, minimum: str) -> bool:
    """Whether `severity` is `minimum` or more severe."""
    order: tuple[str, ...] = SEVERITIES
    return order.index(severity) <= order.index(minimum)


# -- what a model is asked for ------------------------------------------------------------


def review_schema() -> dict[str, Any]:
    """The JSON schema of `ReviewAnswer`."""
    from cowork.kinds.review_answer import ReviewAnswer

    return ReviewAnswer.model_json_schema()


def parse_review(text: str) -> tuple[str, list[Finding]] | None:
    """(the summary, the findings) of a structured review answer; None when `text` is
    not one (a model or server that ignored the schema)."""
    # pydantic is imported only when a model's review is read (a tenth of a second at
    # start-up that the offline provider and the other kinds never need).
    from pydantic import ValidationError

    from cowork.kinds.review_answer import ReviewAnswer

    try:
        answer = ReviewAnswer.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return None
    findings = [
        Finding(
            path=posixpath.normpath(f.path),
            line=max(1, f.line),
            severity=f.severity,
            message=" ".join(f.message.split()),
            detail=f.detail.strip(),
            end_line=f.end_line if f.end_line and f.end_line >= f.line else None,
            suggestion=f.suggestion,
        )
        for f in answer.findings
    ]
    # A path outside the workspace names no file of it: listed by no diagnostic.
    inside = [f for f in findings if not f.path.startswith(("/", "../")) and f.path != ".."]
    return answer.summary.strip(), inside


def render_findings(findings: list[Finding]) -> str:
    """The findings as a Markdown section, most severe first, each at file:line."""
    if not findings:
        return "## Findings\n\nNone.\n"
    out = ["## Findings", ""]
    for f in sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.path, f.line)):
        where = f"{f.path}:{f.line}" + (f"-{f.end_line}" if f.end_line else "")
        out.append(f"- **{f.severity}** `{where}`: {f.message}")
        if f.detail:
            out += ["", *[f"  {line}" if line else "" for line in f.detail.splitlines()]]
        if f.suggestion is not None:
            fence = "`" * max(3, _longest_backticks(f.suggestion) + 1)
            out += ["", "  Suggested replacement:", "", f"  {fence}"]
            out += [f"  {line}" if line else "" for line in f.suggestion.splitlines()]
            out += [f"  {fence}"]
        out.append("")
    return "\n".join(out)


def _longest_backticks(text: str) -> int:
    best = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        best = max(best, run)
    return best


# -- a finished answer ----------------------------------------------------------------------

NOT_STRUCTURED = (
    "> **Note**: the model did not answer in the structured form asked for, so its "
    "observations are not shown as diagnostics."
)


def schema_for(kind: str) -> dict[str, Any] | None:
    """The JSON schema a model's answer to `kind` must follow; None for Markdown."""
    return review_schema() if kind == "review" else None


def finish_answer(
    kind: str, offline: bool, text: str, recipe: list[Finding]
) -> tuple[str, list[Finding]]:
    """(the artifact body, the findings to show) of a finished answer. A review by a
    model is structured: its summary and findings are rendered as Markdown; the
    offline review's findings are the recipe's own checks, already in its report."""
    if kind != "review":
        return text, []
    if offline:
        return text, recipe
    parsed = parse_review(text)
    if parsed is None:
        return f"{text.rstrip()}\n\n{NOT_STRUCTURED}\n", []
    summary, findings = parsed
    return f"{summary}\n\n{render_findings(findings)}", findings
