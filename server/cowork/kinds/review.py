"""`review`: a first-pass review of a branch's changes against its base, and the
offline checks that find what is worth a reviewer's look."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cowork.brief import Brief
from cowork.errors import InputError
from cowork.kinds import signatures
from cowork.kinds.base import optional_str
from cowork.kinds.change_model import ChangeFacts
from cowork.kinds.change_report import (
    ChangesKind,
    against,
    api_section,
    callers_section,
    change_lines,
    tests_section,
)
from cowork.kinds.findings import Finding, Severity
from cowork.kinds.summarize import is_test_file

# Added lines worth a second look in a first-pass review: (pattern, what to do, severity,
# category, the pattern of a line that is nothing but the finding, so removing it is the fix).
_CHECKS: list[tuple[re.Pattern[str], str, Severity, str, re.Pattern[str] | None]] = [
    (
        re.compile(r"\b(TODO|FIXME|XXX)\b"),
        "Resolve or track the added TODO/FIXME",
        "information",
        "todo",
        None,
    ),
    (
        re.compile(r"^\s*print\("),
        "Remove the print() call or use logging (debug output?)",
        "information",
        "debug-print",
        re.compile(r"^\s*print\([^()]*(\([^()]*\)[^()]*)*\)\s*(#.*)?$"),
    ),
    (
        re.compile(r"\bbreakpoint\(\)|\bpdb\.set_trace\(\)"),
        "Remove the debugger breakpoint",
        "warning",
        "debug-statement",
        re.compile(r"^\s*(breakpoint\(\)|(import pdb;\s*)?pdb\.set_trace\(\))\s*;?\s*(#.*)?$"),
    ),
    (
        re.compile(r"except\s*:\s*$|except Exception:\s*pass"),
        "Handle or log the exception instead of swallowing it",
        "warning",
        "swallowed-exception",
        None,
    ),
    (
        re.compile(r"^(<{7}|>{7})( |$)|^={7}$"),
        "Resolve the merge conflict: a conflict marker is left in",
        "error",
        "conflict-marker",
        re.compile(r"^(<{7}|>{7})( .*)?$|^={7}$"),
    ),
]


def _line_checks(path: str, line: int, text: str) -> list[Finding]:
    """The offline checks' findings on one added line; a line that is nothing but a
    debugger call, a debug print or a conflict marker carries its removal as the fix."""
    return [
        Finding(
            path,
            line,
            severity,
            message,
            category=category,
            suggestion="" if whole is not None and whole.match(text) else None,
        )
        for pattern, message, severity, category, whole in _CHECKS
        if pattern.search(text)
    ]


def observations(f: ChangeFacts) -> list[Finding]:
    """What is worth a reviewer's look, from the facts alone, at file:line."""
    found: list[Finding] = []
    for fc in f.shown:
        for hunk in fc.hunks:
            for line, text in hunk.added():
                found += _line_checks(fc.path, line, text)
    by_name = {(a.path, a.name.rsplit(".", 1)[-1]): a for a in f.api if a.change != "added"}
    for c in f.callers:
        a = by_name.get((c.target, c.name))
        if a is None or signatures.ambiguous(c.name, a.name):
            continue
        if a.change != "removed" and (
            a.kind == "class" or not signatures.calls_may_break(a.before, a.after)
        ):
            # Annotations only, or a class's bases (its __init__ is judged on its
            # own): every call stays as it was.
            continue
        if a.change == "removed":
            what = f"Update this call: `{c.name}` is removed from `{a.path}`"
            why = f"This line uses `{c.name}`, which this change removes from `{a.path}`."
            found.append(Finding(c.path, c.line, "error", what, why, category="removed-definition"))
        else:
            what = f"Check this call: the signature of `{c.name}` changed"
            why = f"`{a.before}` → `{a.after}` (in `{a.path}`)."
            found.append(Finding(c.path, c.line, "warning", what, why, category="signature-change"))
    for path, defs in f.touched.items():
        public_defs = [d for d in defs if d.public and not is_test_file(path)]
        if public_defs and path not in f.tested:
            d = public_defs[0]
            what = f"Add a test: `{d.name}` changed and no related test was found"
            why = "No test file imports this module or is named after it."
            found.append(
                Finding(path, d.line, "information", what, why, category="untested-change")
            )
    return sorted(set(found), key=lambda x: (x.path, x.line, x.message))


def review_report(
    f: ChangeFacts, description: str | None, observed: list[Finding] | None = None
) -> str:
    """The offline review; `observed`: the observations to list, when not all of them
    (an incremental review's, on the new commits)."""
    out = ["# Review: this branch's changes", ""]
    if description:
        out += ["## What it is supposed to do", "", description.strip(), ""]
    out += ["## The change", "", *change_lines(f), ""]
    out += api_section(f) + callers_section(f) + tests_section(f)
    out += ["## Observations", ""]
    out += [
        f"- `{o.path}:{o.line}` — {o.message} ({o.severity})"
        + (f": {o.detail}" if o.detail else "")
        for o in (observations(f) if observed is None else observed)
    ] or [
        "The offline checks (TODO markers, print calls, breakpoints, swallowed exceptions, "
        "conflict markers, callers of removed or changed definitions, untested changes) "
        "found nothing."
    ]
    return "\n".join(out) + "\n"


class Review(ChangesKind):
    name = "review"

    def title(self, params: dict[str, Any]) -> str:
        return f"Review of this branch against {against(params, 'its base')}"

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief:
        return Brief(
            kind=self.name,
            title="Review this branch's changes",
            goal="A first-pass review of this branch's changes: does it do what it is supposed "
            "to, and what should a human reviewer look at first?",
            context=[
                "the diff against the merge-base",
                "the commit messages",
                "the description",
                "the code around each change",
                "callers of changed definitions",
                "related tests",
                "public API before/after",
            ],
            output_format="Observations, each with `path:line`, a severity (error, warning, "
            "information, hint), what and why, and a suggested replacement when obvious.",
            out_of_scope="Formatting and style a linter would catch.",
            params={
                k: v
                for k, v in params.items()
                if k in ("base", "description", "since", "uncommitted")
            },
        )

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        out = super().validate(params, root)
        since = optional_str(params, "since")
        if since is not None:
            if since != "last":
                raise InputError(
                    f"'since' must be \"last\" (review only the commits after the last "
                    f"review of this branch), got {since!r}"
                )
            out["since"] = since
        return out

    def report(
        self, f: ChangeFacts, description: str | None, observed: list[Finding] | None = None
    ) -> str:
        return review_report(f, description, observed)

    def findings(self, f: ChangeFacts) -> list[Finding]:
        return observations(f)
