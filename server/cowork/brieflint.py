"""Brief linting: what would make a hand-off come back as the wrong draft.

A brief is the whole ask: a model has nothing else to go on. The checks are the
ones a colleague would make before taking the task: is there a goal one can
act on, is it said what the result should look like and what is not wanted,
do the files named exist. Pure text work, plus a look at the named paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cowork import kinds
from cowork.brief import Brief
from cowork.errors import InputError

Severity = Literal["error", "warning", "information"]

# Words that start a goal nobody can tell is done: fine as a start, not as all of it.
_VAGUE = re.compile(
    r"^\s*(look (at|into)|check( out)?|improve|fix( up)?|clean ?up|help( with)?|"
    r"do something|think about|review|summari[sz]e|figure out)\b",
    re.I,
)
_PLACEHOLDER = re.compile(r"\((write|say|put)\b[^)]*\bhere\)", re.I)
# Goals a hand-off serves badly: chasing a bug step by step, or a decision still open.
_SYNCHRONOUS = re.compile(
    r"\b(why (does|do|is|are|did)|figure out (why|what)|track down|debug(ging)?|"
    r"root cause|what'?s (wrong|going on)|reproduce|should we|decide (whether|if|how)|"
    r"what (is|would be) the best (way|approach))\b",
    re.I,
)
_ENOUGH_WORDS = 8
# A Context item that names a file or folder: no spaces, and a slash or an extension.
_PATH = re.compile(r"^[^\s:]+(/[^\s]*|\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class BriefIssue:
    line: int  # 0-based
    severity: Severity
    code: str
    message: str


def lint(text: str, root: Path) -> list[BriefIssue]:
    """What is wrong with the brief document `text` of workspace `root`, top to bottom.
    Looks at the paths its Context names: call off the event loop."""
    lines = text.splitlines()
    try:
        brief = Brief.from_markdown(text)
        kinds.get(brief.kind).validate(brief.params, root)
    except InputError as exc:
        return [BriefIssue(_line_of(lines, r"^## Goal\b") or 0, "error", "brief-invalid", str(exc))]
    issues: list[BriefIssue] = []
    goal_line = _first_text_after(lines, r"^## Goal\b")
    words = brief.goal.split()
    if _PLACEHOLDER.search(brief.goal) or _PLACEHOLDER.search(str(brief.params)):
        issues.append(
            BriefIssue(
                goal_line,
                "warning",
                "brief-placeholder",
                "The brief still holds a placeholder: replace it with the real ask.",
            )
        )
    elif len(words) < _ENOUGH_WORDS or (
        _VAGUE.match(brief.goal) and len(words) < 2 * _ENOUGH_WORDS
    ):
        issues.append(
            BriefIssue(
                goal_line,
                "warning",
                "brief-vague-goal",
                "Vague goal: say what you want to know or decide, and what done looks like "
                "(e.g. 'List the risks of moving sessions to Redis, for Friday's review').",
            )
        )
    if brief.kind != "research" and _SYNCHRONOUS.search(brief.goal):
        issues.append(
            BriefIssue(
                goal_line,
                "information",
                "brief-synchronous",
                "This reads like exploratory debugging or a decision still open: that goes "
                "better in a synchronous session (pairing, a call) than as a hand-off. Hand "
                "off a well-defined part of it, or weigh the options with a research brief.",
            )
        )
    for rel, n in _context_entries(lines):
        if not _PATH.match(rel) or any(ch in rel for ch in "*?[") or ".." in rel:
            continue  # words ("its tests"), a glob, a git range: not a path to look for
        if not (root / rel).exists():
            issues.append(
                BriefIssue(
                    n,
                    "warning",
                    "brief-missing-path",
                    f"`{rel}` is not in the workspace: fix the path or drop the line.",
                )
            )
    if not brief.output_format.strip():
        issues.append(
            BriefIssue(
                _line_of(lines, r"^## Output format\b") or _title_line(lines),
                "warning",
                "brief-no-format",
                "No output format: say what the draft should look like (sections, a table, "
                "length, who reads it).",
            )
        )
    if not brief.out_of_scope.strip():
        issues.append(
            BriefIssue(
                _line_of(lines, r"^## Out of scope\b") or _title_line(lines),
                "information",
                "brief-no-scope",
                "Nothing is out of scope: say what you do not need, so the draft stays short.",
            )
        )
    return sorted(issues, key=lambda i: i.line)


def _line_of(lines: list[str], pattern: str) -> int | None:
    rx = re.compile(pattern, re.I)
    return next((n for n, line in enumerate(lines) if rx.match(line)), None)


def _title_line(lines: list[str]) -> int:
    return _line_of(lines, r"^# ") or 0


def _first_text_after(lines: list[str], heading: str) -> int:
    start = _line_of(lines, heading)
    if start is None:
        return 0
    for n in range(start + 1, len(lines)):
        if lines[n].startswith("## "):
            break
        if lines[n].strip():
            return n
    return start


def _context_entries(lines: list[str]) -> list[tuple[str, int]]:
    """(path as written, line) of each item of the Context section."""
    start = _line_of(lines, r"^## Context\b")
    if start is None:
        return []
    out: list[tuple[str, int]] = []
    for n in range(start + 1, len(lines)):
        line = lines[n]
        if line.startswith("## "):
            break
        item = line.strip()
        if item.startswith(("- ", "* ")) and "(none given)" not in item:
            out.append((item[2:].strip().strip("`"), n))
    return out
