"""`review` and `docs`: a branch's committed changes against its base."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cowork import uris
from cowork.brief import Brief
from cowork.context import git as gitfacts
from cowork.context.workspace import read_text, relative_to
from cowork.errors import InputError, TaskFailure
from cowork.kinds.base import ContextPart, FileRef, Gathered, GatherRequest, optional_str, str_list

# Added lines worth a second look in a first-pass review, with why.
_CHECKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(TODO|FIXME|XXX)\b"), "a TODO/FIXME is added"),
    (re.compile(r"^\s*print\("), "a print() call is added (debug output?)"),
    (re.compile(r"\bbreakpoint\(\)|\bpdb\.set_trace\(\)"), "a debugger breakpoint is added"),
    (re.compile(r"except\s*:\s*$|except Exception:\s*pass"), "an exception is swallowed"),
]


def _gather_changes(request: GatherRequest) -> tuple[gitfacts.ChangeSet, gitfacts.GitInfo]:
    info = gitfacts.info(request.root)
    try:
        return gitfacts.changes(request.root, request.params.get("base")), info
    except ValueError as exc:
        raise TaskFailure(str(exc)) from None


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
        self, request: GatherRequest
    ) -> tuple[gitfacts.ChangeSet, gitfacts.GitInfo, list[ContextPart], list[FileRef]]:
        cs, info = _gather_changes(request)
        if not cs.commits and not cs.numstat:
            raise TaskFailure(
                f"HEAD is at its merge-base with {cs.base_ref} ({cs.base[:10]}): there are no "
                "committed changes to compare. Commit your work, or pass another base."
            )
        request.check_cancelled()
        parts = [
            ContextPart(
                "Commits",
                "\n".join(f"{c.sha[:10]} {c.author}: {c.subject}" for c in cs.commits) or "(none)",
            ),
            ContextPart(f"Diff {cs.base[:10]}..{cs.head[:10]}", cs.diff or "(empty)"),
        ]
        desc = request.params.get("description")
        if desc:
            parts.insert(0, ContextPart("What the change is supposed to do", desc))
        refs: list[FileRef] = []
        for path, _, _ in cs.numstat:
            try:
                text = read_text(request.root, path, request.overlays)
            except TaskFailure:
                continue  # deleted, binary or too large: the diff line says so
            refs.append(FileRef.of(path, text))
        for note in request.params.get("notes", []):
            text = read_text(request.root, note, request.overlays)
            refs.append(FileRef.of(note, text))
            parts.append(ContextPart(f"Notes: {note}", text, source=note))
        return cs, info, parts, refs

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

    def gather(self, request: GatherRequest) -> Gathered:
        cs, info, parts, refs = self._common_parts(request)
        out = ["# Review: this branch's changes", ""]
        if request.params.get("description"):
            out += ["## What it is supposed to do", "", request.params["description"].strip(), ""]
        out += ["## The change", "", *self._stat_lines(cs), "", "## Observations", ""]
        observations = _observations(cs.diff)
        out += [f"- `{p}:{n}` — {why}" for p, n, why in observations] or [
            "The offline checks (TODO markers, print calls, breakpoints, swallowed exceptions) "
            "found nothing in the added lines."
        ]
        return Gathered(
            parts=parts, files=refs, git=info, offline_report="\n".join(out) + "\n", base=cs.base
        )


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

    def gather(self, request: GatherRequest) -> Gathered:
        cs, info, parts, refs = self._common_parts(request)
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
        return Gathered(
            parts=parts, files=refs, git=info, offline_report="\n".join(out) + "\n", base=cs.base
        )
