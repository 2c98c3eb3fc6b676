"""Review findings: observations located at file:line, with a severity and an
optional replacement for the lines they concern.

A model answers a review with structured output (`ReviewAnswer`'s JSON schema, read
in `review_answer`); the offline provider's heuristic checks produce the same
`Finding`s from the gathered facts. Either way the artifact lists them and the
editor shows them as diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cowork import fences

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
        # Every field is a plain value: `asdict`'s deep copy took ~30 µs a finding, and a
        # review stores hundreds of them.
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

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


# -- in the artifact ---------------------------------------------------------------------


def render_findings(findings: list[Finding]) -> str:
    """The findings as a Markdown section, most severe first, each at file:line."""
    if not findings:
        return "## Findings\n\nNone.\n"
    out = ["## Findings", ""]
    for f in sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.path, f.line)):
        where = f"{f.path}:{f.line}" + (f"-{f.end_line}" if f.end_line else "")
        sure = f" ({f.confidence} confidence)" if f.confidence != "high" else ""
        about = f" — *{f.category}*" if f.category != DEFAULT_CATEGORY else ""
        out.append(f"- **{f.severity}**{sure} `{where}`: {f.message}{about}")
        if f.detail:
            out += ["", *[f"  {line}" if line else "" for line in f.detail.splitlines()]]
        if f.suggestion is not None:
            fence = fences.fence(f.suggestion)
            out += ["", "  Suggested replacement:", "", f"  {fence}"]
            out += [f"  {line}" if line else "" for line in f.suggestion.splitlines()]
            out += [f"  {fence}"]
        out.append("")
    return "\n".join(out)


# -- a finished answer ----------------------------------------------------------------------


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
