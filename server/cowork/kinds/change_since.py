"""An incremental review's subject: the commits after the head of the last review.

The engine resolves `{"since": "last"}` to that head (`sinceHead`, an ancestor of
HEAD) before gathering; here the new commits' diff becomes a piece of its own,
first in the prompt, while the whole change against the base stays as context.
The same privacy rules hold: a file whose change is not shown in the whole diff
(excluded, binary, generated) is listed here by name only.
"""

from __future__ import annotations

from dataclasses import dataclass

from cowork.context import git as gitfacts
from cowork.context.git import ChangeSet
from cowork.context.privacy import redact
from cowork.errors import TaskFailure
from cowork.kinds import change_facts
from cowork.kinds.base import TARGET, ContextReader, GatherRequest, Piece
from cowork.kinds.change_model import ChangeFacts
from cowork.kinds.changes import why_hidden
from cowork.kinds.findings import Finding

SINCE_HEAD = "sinceHead"  # the gathering's parameter: the commit the subject starts after
SUBJECT_TITLE = "The subject of this review: the new commits since the last review"


@dataclass(frozen=True)
class Subject:
    """What the new commits changed."""

    cs: ChangeSet
    paths: frozenset[str]  # the files they changed
    piece: Piece
    report: list[str]  # the offline report's section


def subject(f: ChangeFacts, request: GatherRequest, reader: ContextReader) -> Subject | None:
    """The new commits' piece and report section; None when this is no incremental
    review. Blocking: reads git."""
    since = request.params.get(SINCE_HEAD)
    if not isinstance(since, str):
        return None
    uncommitted = bool(request.params.get("uncommitted"))
    try:
        cs = gitfacts.changes(request.root, since, uncommitted=uncommitted)
    except ValueError as exc:
        raise TaskFailure(f"cannot read the commits since the last review: {exc}") from None
    not_shown = {fc.path: why for fc, why in [*f.hidden, *f.generated]}
    listing: list[str] = []
    patches: list[str] = []
    for fc in sorted(cs.files, key=lambda c: c.path):
        counts = "" if fc.added is None else f" +{fc.added} -{fc.deleted}"
        why = not_shown.get(fc.path) or why_hidden(fc, reader)
        if why is None:
            why = change_facts.why_generated(fc, reader)
            why = f"not shown: {why}" if why else None
        listing.append(f"{fc.path} ({fc.describe()}){counts}" + (f" — {why}" if why else ""))
        if why is None:
            patches.append(fc.patch() or f"({fc.path}: {fc.describe()}; no content change)\n")
    commits = [f"{c.sha[:10]} {c.date} {c.author}: {c.subject}" for c in cs.commits]
    if cs.uncommitted:
        commits.append("(plus the uncommitted changes in the work tree)")
    new = "the work tree" if cs.uncommitted else cs.head[:10]
    text = "\n".join(
        [
            f"Only what changed from {since[:10]} (the head of the last review) to {new} is "
            "the subject of this review; the whole change against the base, below, is "
            "context. Raise findings on these changes only.",
            "",
            "Commits:",
            *(commits or ["(none)"]),
            "",
            "Files:",
            *(listing or ["(none)"]),
            "",
            "".join(patches) or "(no diff to show)",
        ]
    )
    clean = redact(text)[0]
    outline = redact("\n".join(["Commits:", *commits, "", "Files:", *listing]))[0]
    piece = Piece(f"{SUBJECT_TITLE} ({since[:10]}..{new})", clean, TARGET, outline=outline)
    report = [
        "## Since the last review",
        "",
        f"This review's subject is what changed after `{since[:10]}`, the head of the last "
        f"review: {len(cs.commits)} new commits, {len(cs.files)} files.",
        "",
        *[f"- {c.subject} (`{c.sha[:10]}`, {c.author})" for c in cs.commits],
        *[f"- `{line.split(' (', 1)[0]}`" for line in listing],
        "",
    ]
    return Subject(
        cs, frozenset(fc.path for fc in cs.files), piece, redact("\n".join(report))[0].split("\n")
    )


def on_subject(found: list[Finding], s: Subject) -> list[Finding]:
    """The offline checks' findings on lines the new commits changed (the rest of the
    change was reviewed before: its findings are carried forward or dropped)."""
    touched = {(fc.path, line) for fc in s.cs.files for hunk in fc.hunks for line in hunk.touched()}
    return [x for x in found if (x.path, x.line) in touched]
