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
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "information", "hint"]
DEFAULT_CATEGORY = "review"  # a finding no rule names (a model's, without a category)
MAX_MESSAGE = 100  # characters of a finding's one-line message; the rest goes to its detail
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "information", "hint")
CONFIDENCES = ("high", "medium", "low")


@dataclass(frozen=True)
class Finding:
    path: str  # workspace-relative, as in the diff
    line: int  # 1-based, in the file as it is now
    severity: Severity
    message: str  # one line
    detail: str = ""  # Markdown
    end_line: int | None = None  # last line the finding (and its suggestion) covers
    suggestion: str | None = None  # replacement text for lines line..end_line ("" removes them)
    # What kind of finding: a stable kebab-case rule name (the offline checks' own,
    # e.g. `debug-statement`; a model's category), shown as the diagnostic's code.
    category: str = DEFAULT_CATEGORY
    # How sure whoever raised it is: the offline checks are rules (high); a model says.
    confidence: str = "high"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word to at most `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def category_name(text: str | None) -> str:
    """A category as a kebab-case code (`Error handling` -> `error-handling`)."""
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")
    return slug[:40].rstrip("-") or DEFAULT_CATEGORY


def confident_enough(confidence: str, minimum: str) -> bool:
    """Whether `confidence` is `minimum` or surer (an unknown one counts as medium)."""

    def rank(c: str) -> int:
        return CONFIDENCES.index(c) if c in CONFIDENCES else 1

    return rank(confidence) <= rank(minimum)


def fingerprint(f: Finding, text: str | None) -> str:
    """What identifies a finding across reviews: its file, category and the text of the
    lines it concerns (whitespace folded), not their numbers; `text` is the file's."""
    import hashlib

    lines = (text or "").splitlines()
    concerned = lines[f.line - 1 : (f.end_line or f.line)] if lines else []
    folded = " ".join(" ".join(concerned).split()) or f.message
    return hashlib.sha256(f"{f.path}\0{f.category}\0{folded}".encode()).hexdigest()[:32]


def at_least(severity: str, minimum: str) -> bool:
    """Whether `severity` is `minimum` or more severe."""
    order: tuple[str, ...] = SEVERITIES
    return order.index(severity) <= order.index(minimum)


# -- what a model is asked for ------------------------------------------------------------


def review_schema() -> dict[str, Any]:
    """The JSON schema of `ReviewAnswer` (kept as data: no pydantic import)."""
    from cowork.kinds.review_schema import schema

    return schema()


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
            category=category_name(f.category),
            confidence=_confidence(f.confidence),
        )
        for f in answer.findings
    ]
    # A path outside the workspace is kept: the citation check lists it as not located.
    return answer.summary.strip(), findings


def _confidence(text: str | None) -> str:
    """A model's confidence as one of CONFIDENCES: none given counts as high (the
    finding stands as raised); a word it does not know, as medium."""
    if text is None:
        return "high"
    word = text.strip().lower()
    return word if word in CONFIDENCES else "medium"


def render_findings(findings: list[Finding]) -> str:
    """The findings as a Markdown section, most severe first, each at file:line."""
    if not findings:
        return "## Findings\n\nNone.\n"
    out = ["## Findings", ""]
    for f in sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.path, f.line)):
        where = f"{f.path}:{f.line}" + (f"-{f.end_line}" if f.end_line else "")
        sure = f" ({f.confidence} confidence)" if f.confidence != "high" else ""
        out.append(f"- **{f.severity}**{sure} `{where}`: {f.message}")
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


def cut_note(continuations: int) -> str:
    """What an answer still cut by the output limit says at its end."""
    asked = (
        f" after {continuations} continuation{'s' if continuations != 1 else ''}"
        if continuations
        else ""
    )
    return (
        f"> **Cut short**: the answer reached the output token limit{asked}, so it ends "
        "mid-way. Hand the task off again with a narrower brief, or raise "
        "cowork.maxContinuations."
    )


def finish_answer(
    kind: str,
    offline: bool,
    text: str,
    recipe: list[Finding],
    *,
    cut: bool = False,
    continuations: int = 0,
) -> tuple[str, list[Finding]]:
    """(the artifact body, the findings to show) of a finished answer. A review by a
    model is structured: its summary and findings are rendered as Markdown; the
    offline review's findings are the recipe's own checks, already in its report.
    An answer still `cut` by the output limit says so; a cut structured answer is
    kept as text and none of its findings are published (half a document)."""
    if kind != "review":
        return (f"{text.rstrip()}\n\n{cut_note(continuations)}\n" if cut else text), []
    if offline:
        return text, recipe
    if cut:
        fence = "`" * max(3, _longest_backticks(text) + 1)
        return (
            f"{cut_note(continuations)} Its findings are not shown as diagnostics: only "
            f"a whole answer is read.\n\n{fence}json\n{text.rstrip()}\n{fence}\n",
            [],
        )
    parsed = parse_review(text)
    if parsed is None:
        return f"{text.rstrip()}\n\n{NOT_STRUCTURED}\n", []
    summary, findings = parsed
    return f"{summary}\n\n{render_findings(findings)}", findings
