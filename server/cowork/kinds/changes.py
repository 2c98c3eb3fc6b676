"""`review` and `docs`: a branch's committed changes against its base."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context import git as gitfacts
from cowork.context.privacy import redact
from cowork.context.workspace import relative_to
from cowork.errors import InputError, TaskFailure
from cowork.kinds.base import (
    CHANGES,
    TARGET,
    Collected,
    ContextReader,
    GatherRequest,
    Piece,
    optional_str,
    str_list,
)

# Added lines worth a second look in a first-pass review, with why.
_CHECKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(TODO|FIXME|XXX)\b"), "a TODO/FIXME is added"),
    (re.compile(r"^\s*print\("), "a print() call is added (debug output?)"),
    (re.compile(r"\bbreakpoint\(\)|\bpdb\.set_trace\(\)"), "a debugger breakpoint is added"),
    (re.compile(r"except\s*:\s*$|except Exception:\s*pass"), "an exception is swallowed"),
]


def _gather_changes(request: GatherRequest) -> gitfacts.ChangeSet:
    try:
        return gitfacts.changes(request.root, request.params.get("base"))
    except ValueError as exc:
        raise TaskFailure(str(exc)) from None


def split_diff(diff: str) -> list[tuple[str, str]]:
    """(path, that file's part of the diff) for each file of a `git diff`."""
    files: list[tuple[str, str]] = []
    for chunk in re.split(r"(?m)^(?=diff --git )", diff):
        if not chunk.startswith("diff --git "):
            continue
        m = re.search(r"(?m)^\+\+\+ b/(.+)$", chunk) or re.search(r"(?m)^--- a/(.+)$", chunk)
        header = re.match(r"diff --git a/(.+?) b/(.+)$", chunk.split("\n", 1)[0])
        path = m.group(1) if m else (header.group(2) if header else "")
        files.append((path, chunk))
    return files


def allowed_diff(diff: str, reader: ContextReader) -> str:
    """The diff without excluded files' hunks, secrets redacted."""
    kept: list[str] = []
    for path, chunk in split_diff(diff):
        why = reader.why_excluded(path)
        if why is not None:
            reader.excluded.setdefault(path, why)
            kept.append(f"diff --git a/{path} b/{path}\n(changes not shown: {why})\n")
        else:
            kept.append(chunk)
    return redact("".join(kept))[0]


def _observations(diff: str) -> list[tuple[str, int, str]]:
    """(path, line in the new file, why) for added lines that match a check."""
    found: list[tuple[str, int, str]] = []
    path, line = "", 0
    for raw in diff.splitlines():
        if raw.startswith("+++ "):
            path = raw[6:] if raw.startswith("+++ b/") else ""
        elif raw.startswith("@@"):
            m = re.search(r"\+(\d+)", raw)
            line = int(m.group(1)) if m else 0
        elif raw.startswith("+") and path:
            for pattern, why in _CHECKS:
                if pattern.search(raw[1:]):
                    found.append((path, line, why))
            line += 1
        elif not raw.startswith("-"):
            line += 1
    return found


class _ChangesKind:
    name = ""
    command = ""

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        base = optional_str(params, "base")
        if base is not None:
            base = base.strip()  # checked after stripping: " --output=x" is an option too
            if not base or base.startswith("-"):
                raise InputError(f"'base' must name a git ref, got {base!r}")
            out["base"] = base
        description = optional_str(params, "description")
        if description:
            out["description"] = description
        notes = str_list(params, "notes")
        if notes:
            out["notes"] = [relative_to(root, uris.to_path(n)) for n in notes]
        return out

    def _common_parts(
        self, request: GatherRequest, reader: ContextReader
    ) -> tuple[gitfacts.ChangeSet, list[Piece]]:
        cs = _gather_changes(request)
        if not cs.commits and not cs.numstat:
            raise TaskFailure(
                f"HEAD is at its merge-base with {cs.base_ref} ({cs.base[:10]}): there are no "
                "committed changes to compare. Commit your work, or pass another base."
            )
        reader.check_cancelled()
        pieces = [
            Piece(
                "Commits",
                "\n".join(f"{c.sha[:10]} {c.author}: {c.subject}" for c in cs.commits) or "(none)",
                TARGET,
            ),
            Piece(
                f"Diff {cs.base[:10]}..{cs.head[:10]}",
                allowed_diff(cs.diff, reader) or "(empty)",
                TARGET,
            ),
        ]
        desc = request.params.get("description")
        if desc:
            pieces.insert(0, Piece("What the change is supposed to do", redact(desc)[0], TARGET))
        for path, _, _ in cs.numstat:
            reader.text(path)  # records the file's hash (or why it is not sent) in provenance
        for note in request.params.get("notes", []):
            text = reader.text(note, required=True)
            assert text is not None
            pieces.append(Piece(f"Notes: {note}", text, CHANGES, source=note))
        return cs, pieces

    def _stat_lines(self, cs: gitfacts.ChangeSet) -> list[str]:
        out = [
            f"Compared `{cs.head[:10]}` with its merge-base `{cs.base[:10]}` on `{cs.base_ref}`: "
            f"{len(cs.commits)} commits, {len(cs.numstat)} files.",
            "",
        ]
        out += ["| file | added | deleted |", "| --- | ---: | ---: |"]
        for path, added, deleted in cs.numstat:
            if added is None:
                out.append(f"| `{path}` | binary | binary |")
            else:
                out.append(f"| `{path}` | {added} | {deleted} |")
        out += ["", "### Commits", ""]
        out += [f"- {c.subject} (`{c.sha[:10]}`, {c.author})" for c in cs.commits] or ["None."]
        return out


class Review(_ChangesKind):
    name = "review"

    def title(self, params: dict[str, Any]) -> str:
        return f"Review of this branch against {params.get('base', 'its base')}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title="Review this branch's changes",
            goal="A first-pass review of this branch's changes: does it do what it is supposed "
            "to, and what should a human reviewer look at first?",
            context=["the diff against the merge-base", "the commit messages", "the description"],
            output_format="Observations, each with `path:line`, a severity (error, warning, "
            "information, hint), what and why, and a suggested replacement when obvious.",
            out_of_scope="Formatting and style a linter would catch.",
            params={k: v for k, v in params.items() if k in ("base", "description")},
        )

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        cs, pieces = self._common_parts(request, reader)
        out = ["# Review: this branch's changes", ""]
        if request.params.get("description"):
            out += ["## What it is supposed to do", "", request.params["description"].strip(), ""]
        out += ["## The change", "", *self._stat_lines(cs), "", "## Observations", ""]
        observations = [o for o in _observations(cs.diff) if reader.why_excluded(o[0]) is None]
        out += [f"- `{p}:{n}` — {why}" for p, n, why in observations] or [
            "The offline checks (TODO markers, print calls, breakpoints, swallowed exceptions) "
            "found nothing in the added lines."
        ]
        return Collected(pieces, "\n".join(out) + "\n", base=cs.base)


class Docs(_ChangesKind):
    name = "docs"

    def title(self, params: dict[str, Any]) -> str:
        return f"Docs for the change since {params.get('base', 'the base')}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title="Draft docs for this change",
            goal="Draft the documentation for the change just finished: the decision, the API "
            "changes, and what operators need to know.",
            context=["the diff and commits", "the description", "the notes files"],
            output_format="A decision record (context, decision, consequences), API changes "
            "before/after, operational considerations.",
            out_of_scope="Marketing copy; re-explaining unchanged code.",
            params={k: v for k, v in params.items() if k in ("base", "description", "notes")},
        )

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        cs, pieces = self._common_parts(request, reader)
        out = ["# Docs draft: this change", "", "## Context", ""]
        out.append(
            request.params.get("description", "").strip()
            or "*(No description given: describe why this change was made.)*"
        )
        out += [
            "",
            "## What changed",
            "",
            *self._stat_lines(cs),
            "",
            "## Decision",
            "",
            "*(To be written: the decision and its alternatives.)*",
            "",
            "## Operational considerations",
            "",
            "*(To be written.)*",
        ]
        return Collected(pieces, "\n".join(out) + "\n", base=cs.base)
