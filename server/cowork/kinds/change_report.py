"""What `review` and `docs` share: the offline report's sections about the change,
and the kind that gathers a change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cowork import uris
from cowork.context.git import ChangeSet
from cowork.context.workspace import relative_to
from cowork.errors import InputError
from cowork.kinds import change_disk, change_facts, change_memo, change_since, rules
from cowork.kinds.base import (
    Collected,
    ContextReader,
    GatherRequest,
    optional_bool,
    optional_str,
    str_list,
)
from cowork.kinds.change_model import MAX_DEEP_FILES, ChangeFacts
from cowork.kinds.change_pieces import api_lines, pieces_for
from cowork.kinds.changes import collect, gather_changes
from cowork.kinds.findings import Finding


def change_lines(f: ChangeFacts) -> list[str]:
    cs = f.cs
    new = "the work tree" if cs.uncommitted else f"`{cs.head[:10]}`"
    count = len(cs.commits) + cs.more_commits
    out = [
        f"Compared {new} with its merge-base `{cs.base[:10]}` on `{cs.base_ref}`: "
        f"{count} commits, {len(f.all_files)} files"
        + (" (uncommitted changes included)." if cs.uncommitted else "."),
        "",
        "| file | change | added | deleted |",
        "| --- | --- | ---: | ---: |",
    ]
    hidden = dict((fc.path, why) for fc, why in f.hidden)
    hidden |= {fc.path: change_facts.generated_line(fc, why) for fc, why in f.generated}
    for fc in f.all_files:
        what = fc.describe() + (f" — {hidden[fc.path]}" if fc.path in hidden else "")
        if fc.added is None:
            out.append(f"| `{fc.path}` | {what} | | |")
        else:
            out.append(f"| `{fc.path}` | {what} | {fc.added} | {fc.deleted} |")
    if f.shallow_files:
        out += [
            "",
            f"{len(f.shallow_files)} more source files are shown by their diff only (over "
            f"{MAX_DEEP_FILES} files are not read in depth).",
        ]
    out += ["", "### Commits", ""]
    out += [
        f"- {c.subject} (`{c.sha[:10]}`, {c.author}{', a merge' if c.merge else ''})"
        for c in cs.commits
    ] or ["None."]
    if cs.more_commits:
        out.append(f"- … and {cs.more_commits} older commits")
    return out


def api_section(f: ChangeFacts) -> list[str]:
    lines = api_lines(f)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        lines = ["No public definition was added, removed or changed."]
    return ["## Public API before/after", "", *lines, ""]


def callers_section(f: ChangeFacts) -> list[str]:
    out = ["## Callers of changed definitions", ""]
    for c in f.callers:
        within = f", in `{c.within}`" if c.within else ""
        out.append(f"- `{c.path}:{c.line}` uses `{c.name}` (changed in `{c.target}`){within}")
    if not f.callers:
        out.append("No other workspace file uses the changed definitions.")
    return [*out, ""]


def tests_section(f: ChangeFacts) -> list[str]:
    out = ["## Related tests", ""]
    out += [f"- `{path}` — {why}" for path, why in sorted(f.tests.items())]
    if not f.tests:
        out.append("No related tests were found (by import or by name) for the changed files.")
    return [*out, ""]


class ChangesKind:
    name = ""
    command = ""
    with_callers = True

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
        if optional_bool(params, "uncommitted"):
            out["uncommitted"] = True
        return out

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        """Collect the change through `reader`. Blocking: runs in a worker process."""
        cs = gather_changes(request)
        key = change_memo.memo_key(self.name, request, reader, cs.base, cs.head)
        if key is not None:  # the rules file is outside the workspace's inventory
            key = (*key, rules.stamp(request.root))
        known = change_memo.lookup(reader, key) or change_disk.lookup(
            self.name, request, reader, key
        )
        if known is not None:
            change_memo.remember(reader, known)
            return known.restore(reader)
        collected = self._gather(request, reader, cs)
        change_memo.keep(reader, key, collected)
        change_disk.keep(self.name, request, reader, key, collected)
        return collected

    def _gather(self, request: GatherRequest, reader: ContextReader, cs: ChangeSet) -> Collected:
        f = collect(request, reader, callers=self.with_callers, cs=cs)
        reader.check_cancelled()
        pieces = pieces_for(f, request, reader, callers=self.with_callers)
        findings = self.findings(f)
        # An incremental review: the new commits are the subject, first of all.
        subject = change_since.subject(f, request, reader)
        if subject is not None:
            findings = change_since.on_subject(findings, subject)
        description = request.params.get("description")
        report = self.report(f, description, findings if subject is not None else None)
        # The team's rules for the files they match, right after what the change is.
        team, skipped = rules.load(request.root)
        reader.notes.extend(n for n in skipped if n not in reader.notes)
        applied = rules.applying(team, (fc.path for fc in f.all_files))
        rules_piece = rules.rules_piece(applied, self.name)
        if rules_piece is not None:
            pieces.insert(0, rules_piece)
        report += "\n".join(rules.report_section(team, applied))
        if subject is not None:
            pieces.insert(0, subject.piece)
            report += "\n".join(subject.report)
        return Collected(pieces, report, f.cs.base, findings=findings)

    def report(
        self, f: ChangeFacts, description: str | None, observed: list[Finding] | None = None
    ) -> str:
        raise NotImplementedError

    def findings(self, f: ChangeFacts) -> list[Finding]:
        return []


def against(params: dict[str, Any], default: str) -> str:
    extra = " (with uncommitted changes)" if params.get("uncommitted") else ""
    return f"{params.get('base', default)}{extra}"
