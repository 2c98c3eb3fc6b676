"""The compact pieces of a change that survive any budget: the facts (public API
before/after, callers, related tests), one line per generated file, and the
diff statistics of every file."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cowork.context.budget import Piece
from cowork.context.diff import FileChange
from cowork.context.privacy import redact
from cowork.kinds.base import TARGET, ContextReader

MAX_FACT_LINES = 400  # per section of the facts piece; the rest is counted


def generated_line(fc: FileChange, why: str) -> str:
    """One line for a change to a generated, vendored, minified or lock file."""
    if why.startswith("generated (") and why.endswith(")"):
        why = why[len("generated (") : -1]  # "generated: … (name: *.pb.go)"
    if fc.added is None:
        return f"generated: {fc.path} changed ({fc.describe()}; {why})"
    return f"generated: {fc.added + (fc.deleted or 0)} lines changed in {fc.path} ({why})"


def generated_piece(changes: Sequence[tuple[FileChange, str]]) -> Piece | None:
    """The changes to generated files, one line each (their diffs are never sent)."""
    if not changes:
        return None
    lines: list[str] = []
    vendored: dict[tuple[str, str], list[FileChange]] = {}
    for fc, why in changes:
        if why.startswith("vendored (") and why.endswith("/)"):
            segment = why[len("vendored (") : -1]
            folder = fc.path[: ("/" + fc.path).find("/" + segment)] + segment
            vendored.setdefault((folder, why), []).append(fc)
        else:
            lines.append(generated_line(fc, why))
    for (folder, why), group in sorted(vendored.items()):
        if len(group) == 1:
            lines.append(generated_line(group[0], why))
        else:  # a vendored folder is one line, however many files changed in it
            n = sum((fc.added or 0) + (fc.deleted or 0) for fc in group)
            lines.append(
                f"generated: {n} lines changed in {len(group):,} files in {folder} ({why})"
            )
    text = "\n".join(lines)
    return Piece(
        "Generated, vendored and lock files changed (their diffs are not sent)",
        redact(text)[0],
        TARGET,
        outline=f"{len(changes)} generated, vendored or lock files changed",
    )


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_FACT_LINES:
        return lines
    return [*lines[:MAX_FACT_LINES], f"… and {len(lines) - MAX_FACT_LINES} more {what}"]


def facts_piece(api: list[str], callers: list[str] | None, tests: list[str], files: int) -> Piece:
    """The facts of every changed source file, compact: taken before any diff is, so
    that no budget leaves a model without them. `callers` None: not looked for (docs)."""
    out = [f"Facts of the {files} changed source files (computed for all of them).", ""]
    out += ["## Public API before/after", ""]
    out += _capped(api, "API changes") or ["No public definition was added, removed or changed."]
    if callers is not None:
        out += ["", "## Callers of changed definitions", ""]
        out += _capped(callers, "call sites") or [
            "No other workspace file uses the changed definitions."
        ]
    out += ["", "## Related tests", ""]
    out += _capped(tests, "tests") or ["No related tests were found."]
    title = (
        "Public API before/after, callers and related tests"
        if callers is not None
        else "Public API before/after and related tests"
    )
    outline = (
        f"{len(api)} API lines, {len(callers or [])} call sites, {len(tests)} related tests "
        "(listed in the offline report)"
    )
    # redacted with every other piece by the gatherer (its signatures may hold secrets)
    return Piece(title, "\n".join(out), TARGET, outline=outline)


def stats_outline(lines: Iterable[str]) -> str:
    """The changed-file list by folder, when the list itself is too long to send."""
    counts: dict[str, int] = {}
    for line in lines:
        path = line.split(" (", 1)[0]
        folder = path.rpartition("/")[0] or "."
        top = "/".join(folder.split("/")[:2])
        counts[top] = counts.get(top, 0) + 1
    return "\n".join(f"{folder}/: {n} files changed" for folder, n in sorted(counts.items()))


def why_generated(fc: FileChange, reader: ContextReader) -> str | None:
    """Why this change is to a generated, vendored, minified or lock file, or None.
    Recorded in provenance. Secrets are judged first: their reason is the one shown."""
    if fc.submodule:
        return None
    for path in fc.paths:
        if reader.rules.reason(path) is not None:
            return None
        why = reader.why_generated(path, _patch_head(fc) if fc.status == "D" else None)
        if why is not None:
            reader.excluded.setdefault(path, why)
            return why
    return None


def _patch_head(fc: FileChange) -> str:
    """The first lines of a deleted file, from its patch (the file is gone)."""
    if not fc.hunks or fc.hunks[0].old_start > 1:
        return ""
    return "\n".join(line[1:] for line in fc.hunks[0].lines[:60])
