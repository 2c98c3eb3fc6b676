"""Revisions: a person's feedback written into an artifact, and the next version.

Feedback is written in the artifact itself, where the person reads it: a
`## Feedback` section (anywhere, usually at the end) for the whole draft, and
inline notes — blockquotes starting `> cowork:` — next to the passage they
concern (the paragraph just above the note). The next version is asked for
with the same brief, the previous draft without the feedback, the feedback with
the passages it annotates, and the context gathered again. Pure functions on
text, plus the file names of versions; no LSP, no git, no models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cowork.errors import InputError

_FEEDBACK_HEADING = re.compile(r"^##\s+Feedback\s*#*\s*$", re.I)
_NOTE = re.compile(r"^>\s*cowork:\s?(.*)$", re.I)
_QUOTE_GOES_ON = re.compile(r"^>\s?(.*)$")
_HEADING = re.compile(r"^(#{1,2})\s")
_VERSION = re.compile(r"^(?P<stem>.*)-v(?P<n>\d+)$")
# Where the provenance block a person reads starts (it is not part of the answer).
_PROVENANCE = re.compile(r"^<details><summary>(What this draft was built from|Provenance)", re.I)
PASSAGE_CHARS = 600  # of the annotated passage, quoted back to the model

NO_FEEDBACK = (
    "this artifact has no feedback to revise it with: write it in a '## Feedback' "
    "section at the end, or as '> cowork: …' notes under the passages they concern, "
    "save, and ask again"
)


@dataclass(frozen=True)
class Note:
    """An inline note and the passage it annotates."""

    passage: str
    note: str


@dataclass(frozen=True)
class Feedback:
    general: str = ""
    notes: list[Note] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.general.strip() or self.notes)


@dataclass(frozen=True)
class Revision:
    """What a revision task carries (persisted with its request)."""

    artifact: str  # the previous version's path
    version: int  # of the one to write
    draft: str  # the previous draft's answer, without the feedback
    feedback: Feedback

    def to_json(self) -> dict[str, Any]:
        return {
            "artifact": self.artifact,
            "version": self.version,
            "draft": self.draft,
            "general": self.feedback.general,
            "notes": [{"passage": n.passage, "note": n.note} for n in self.feedback.notes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Revision:
        notes = [Note(str(n["passage"]), str(n["note"])) for n in data.get("notes") or []]
        return cls(
            artifact=str(data["artifact"]),
            version=int(data["version"]),
            draft=str(data["draft"]),
            feedback=Feedback(str(data.get("general") or ""), notes),
        )


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter YAML, the rest) of an artifact; ("", text) without one."""
    match = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if not match:
        return "", text
    return match.group(1), text[match.end() :]


def answer_of(body: str) -> str:
    """The artifact's body without the provenance block a person reads at its end."""
    lines = body.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if _PROVENANCE.match(lines[i]):
            end = i
            while end > 0 and lines[end - 1].strip() in ("", "---"):
                end -= 1
            return "\n".join(lines[:end]).rstrip() + "\n"
    return body.rstrip() + "\n"


def read_feedback(body: str) -> tuple[str, Feedback]:
    """(the answer without its feedback or provenance, the feedback) of an artifact's
    body. The Feedback section may stand anywhere, after the provenance too."""
    lines = body.split("\n")
    kept: list[str] = []
    general: list[str] = []
    notes: list[Note] = []
    in_feedback = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FEEDBACK_HEADING.match(line):
            in_feedback = True
            i += 1
            continue
        if in_feedback:
            # The section ends at the next heading of its level, or at the provenance.
            if _HEADING.match(line) or _PROVENANCE.match(line):
                in_feedback = False
            else:
                general.append(line)
                i += 1
                continue
        note = _NOTE.match(line)
        if note:
            said = [note.group(1)]
            i += 1
            while i < len(lines) and (goes_on := _QUOTE_GOES_ON.match(lines[i])):
                if _NOTE.match(lines[i]):
                    break
                said.append(goes_on.group(1))
                i += 1
            text = "\n".join(said).strip()
            if text:
                notes.append(Note(_passage_before(kept), text))
            continue
        kept.append(line)
        i += 1
    draft = re.sub(r"\n{3,}", "\n\n", answer_of("\n".join(kept))).strip() + "\n"
    return draft, Feedback(_clean("\n".join(general)), notes)


def _passage_before(lines: list[str]) -> str:
    """The paragraph just above a note (blank lines skipped), shortened."""
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    start = end
    while start > 0 and lines[start - 1].strip():
        start -= 1
    passage = "\n".join(lines[start:end]).strip()
    if len(passage) > PASSAGE_CHARS:
        passage = "…" + passage[-(PASSAGE_CHARS - 1) :]
    return passage or "(the beginning of the draft)"


def _clean(text: str) -> str:
    """Feedback text without HTML comments (a template's hints) and outer blank lines."""
    return re.sub(r"<!--.*?-->", "", text, flags=re.S).strip()


def next_version(path: Path) -> tuple[Path, int]:
    """Where the next version of the artifact at `path` goes, and its number:
    `X.md` → `X-v2.md`, `X-v2.md` → `X-v3.md`; the next free number when taken."""
    match = _VERSION.match(path.stem)
    stem, n = (match.group("stem"), int(match.group("n")) + 1) if match else (path.stem, 2)
    while (candidate := path.with_name(f"{stem}-v{n}{path.suffix}")).exists():
        n += 1
    return candidate, n


def revision_of(path: Path, text: str) -> tuple[dict[str, Any], Revision]:
    """(the artifact's front matter as data, the revision it asks for); InputError when
    it has no feedback or is no artifact."""
    import yaml  # here: the server starts without it

    front, body = split_front_matter(text)
    try:
        data = yaml.safe_load(front) if front else None
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict) or not data.get("taskId") or not data.get("kind"):
        raise InputError(f"{path.name} is not a cowork artifact (its front matter has no taskId)")
    if data.get("status") in ("writing", "incomplete"):
        raise InputError(f"{path.name} is not finished yet (status: {data['status']})")
    draft, feedback = read_feedback(body)
    if not feedback:
        raise InputError(NO_FEEDBACK)
    _, version = next_version(path)
    return data, Revision(str(path), version, draft, feedback)


def prompt_section(revision: Revision, fence: str) -> str:
    """What a model is told, after the brief, to write the next version."""
    out = [
        "## Revision",
        "",
        f"This is version {revision.version} of the document. The person who handed the "
        "task off reviewed your previous draft (below) and left feedback. Write the whole "
        "document again: act on every point of the feedback, keep what it does not "
        "question, and work from the context above, which was gathered again (the code "
        "may have changed since the previous draft). Where you cannot act on a point, "
        "say so and why.",
        "",
        "### Your previous draft",
        "",
        fence,
        revision.draft.rstrip(),
        fence,
    ]
    if revision.feedback.notes:
        out += ["", "### Feedback on specific passages", ""]
        for i, note in enumerate(revision.feedback.notes, 1):
            quoted = "\n".join(f"   > {line}" for line in note.passage.splitlines())
            out += [f"{i}. On this passage:", quoted, f"   Feedback: {note.note}", ""]
    if revision.feedback.general:
        out += ["", "### Feedback on the whole draft", "", revision.feedback.general]
    return "\n".join(out).rstrip() + "\n"


def offline_section(revision: Revision) -> str:
    """The offline answer's note on feedback it cannot act on."""
    items = [f"- On “{_one_line(n.passage)}”: {_one_line(n.note)}" for n in revision.feedback.notes]
    if revision.feedback.general:
        items.append(f"- On the whole draft: {_one_line(revision.feedback.general)}")
    return (
        f"\n\n## Feedback on version {revision.version - 1}\n\n"
        "The offline analysis was run again on the workspace as it is now. No model was "
        "used, so this feedback was not acted on (set up a model provider to have it "
        "addressed):\n\n" + "\n".join(items) + "\n"
    )


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def version_diff(previous: Path, current: Path, previous_text: str, current_text: str) -> str:
    """A unified diff of two versions' answers (front matter, feedback and provenance
    left out), named by their files."""
    import difflib

    def answer(text: str) -> list[str]:
        draft, _ = read_feedback(split_front_matter(text)[1])
        return draft.splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(
            answer(previous_text), answer(current_text), previous.name, current.name, n=3
        )
    )
