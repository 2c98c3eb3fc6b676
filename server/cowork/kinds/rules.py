"""Team rules: `.cowork/rules.md`, what a team wants every review (and docs draft) to
check, each for the files its path globs match.

The format: each rule is a level-2 heading naming one or more path globs in
backticks, a dash and a severity, followed by the rule's text up to the next
level-2 heading. Text before the first rule (a title, an introduction) is ignored.

    ## `src/api/**`, `src/rpc/*.py` — warning

    Every handler validates its input.

Globs are relative to the workspace folder: `*` and `?` stay within a folder,
`**` spans folders, `[abc]` is a set; a glob without `/` matches a file name in
any folder; a trailing `/` means everything under that folder. Severities are
those of findings: error, warning, information, hint.

A section that breaks the format (no glob, a bad glob, an unknown severity, no
text) is skipped — the other rules still apply — with a note in the task's
provenance, and a diagnostic when the file is open in the editor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cowork.context.privacy import redact
from cowork.kinds.base import TARGET, Piece
from cowork.kinds.findings import SEVERITIES

RULES_FILE = ".cowork/rules.md"
MAX_RULES_BYTES = 256_000  # a rules file larger than this is not read
_HEADING = re.compile(r"^##(?!#)\s*(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SEVERITY = re.compile(r"[\s,]*(?:—|–|--?|:)?\s*([\w-]*)\s*")
_GLOB = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class Rule:
    globs: tuple[str, ...]
    severity: str
    text: str
    line: int  # 1-based, of its heading

    def matches(self, path: str) -> bool:
        return any(_compiled(g).fullmatch(path) for g in self.globs)

    @property
    def name(self) -> str:
        return ", ".join(f"`{g}`" for g in self.globs)


@dataclass(frozen=True)
class RuleIssue:
    line: int  # 0-based, as diagnostics count
    code: str
    message: str


def glob_problem(glob: str) -> str | None:
    """Why `glob` is not a usable path glob, or None."""
    if not glob.strip():
        return "an empty glob"
    if glob != glob.strip():
        return f"`{glob}` has spaces at its ends"
    if "\\" in glob:
        return f"`{glob}` has a backslash: use `/` between folders"
    parts = glob.strip("/").split("/")
    if ".." in parts:
        return f"`{glob}` leaves the workspace folder (`..`)"
    depth = 0
    for ch in glob:
        if ch == "[":
            if depth:
                return f"`{glob}` has a `[` inside a `[…]` set"
            depth = 1
        elif ch == "]" and depth:
            depth = 0
    if depth:
        return f"`{glob}` has a `[` that is never closed"
    if re.search(r"\*\*\*|[^/]\*\*|\*\*[^/]", glob):
        return f"`{glob}`: `**` must be a whole path segment (`a/**/b`)"
    return None


@lru_cache(maxsize=512)
def _compiled(glob: str) -> re.Pattern[str]:
    pattern = glob.lstrip("/") if glob.startswith("/") else glob
    anywhere = "/" not in glob.rstrip("/")  # a bare name: in any folder
    if pattern.endswith("/"):
        pattern += "**"
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile(("(?:.*/)?" if anywhere else "") + "".join(out))


def parse(text: str) -> tuple[list[Rule], list[RuleIssue]]:
    """The valid rules of a rules file, and what is wrong with the others."""
    sections: list[tuple[int, str, list[str]]] = []  # (heading line, heading, body)
    fenced = False
    for n, line in enumerate(text.splitlines()):
        if _FENCE.match(line):
            fenced = not fenced
        found = None if fenced else _HEADING.match(line)
        if found is not None:
            sections.append((n, found.group(1), []))
        elif sections:
            sections[-1][2].append(line)
    rules: list[Rule] = []
    issues: list[RuleIssue] = []
    for n, heading, body in sections:
        rule, issue = _section(n, heading, "\n".join(body).strip())
        if rule is not None:
            rules.append(rule)
        if issue is not None:
            issues.append(issue)
    return rules, issues


def _section(n: int, heading: str, body: str) -> tuple[Rule | None, RuleIssue | None]:
    example = "e.g. ## `src/api/**` — warning"
    globs = _GLOB.findall(heading)
    if not globs:
        return None, RuleIssue(
            n, "rule-no-glob", f"This rule names no path glob in backticks ({example})."
        )
    for glob in globs:
        problem = glob_problem(glob)
        if problem is not None:
            return None, RuleIssue(n, "rule-bad-glob", f"Not a usable path glob: {problem}.")
    rest = _GLOB.sub("", heading)
    found = _SEVERITY.fullmatch(rest)
    word = (found.group(1) if found else rest.strip(" ,—–-:")).lower()
    if word not in SEVERITIES:
        known = ", ".join(SEVERITIES)
        said = f"`{word}` is not a severity" if word else "No severity is given"
        return None, RuleIssue(
            n, "rule-severity", f"{said}: end the heading with one of {known} ({example})."
        )
    if not body:
        return None, RuleIssue(
            n, "rule-empty", "This rule has no text: say under the heading what it asks."
        )
    return Rule(tuple(globs), word, body, n + 1), None


def stamp(root: Path) -> tuple[int, int] | None:
    """(modification time, size) of the rules file, None without one: what a kept
    gathering's rules depend on."""
    try:
        st = (root / RULES_FILE).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load(root: Path) -> tuple[list[Rule], list[str]]:
    """The workspace's valid rules, and notes for provenance on the sections skipped.
    Reads a file: call off the event loop."""
    path = root / RULES_FILE
    try:
        if path.stat().st_size > MAX_RULES_BYTES:
            return [], [f"{RULES_FILE} is over {MAX_RULES_BYTES:,} bytes: no team rule applied"]
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{RULES_FILE} could not be read ({exc}): no team rule applied"]
    rules, issues = parse(text)
    notes = [f"{RULES_FILE} line {i.line + 1}: section skipped: {i.message}" for i in issues]
    return rules, notes


def applying(rules: list[Rule], paths: Iterable[str]) -> list[tuple[Rule, list[str]]]:
    """Each rule that matches one of `paths`, with the paths it matches."""
    listed = sorted(set(paths))
    out = []
    for rule in rules:
        matched = [p for p in listed if rule.matches(p)]
        if matched:
            out.append((rule, matched))
    return out


def rules_piece(applied: list[tuple[Rule, list[str]]], kind: str) -> Piece | None:
    """The prompt's piece: each rule that applies, with the changed files it covers."""
    if not applied:
        return None
    ask = (
        "Check the change against each rule; where the change breaks one, raise a finding "
        "with that rule's severity and the category `team-rule`, citing the rule."
        if kind == "review"
        else "Say where the change meets each rule and where the documentation must "
        "explain a departure from one."
    )
    out = [f"The team's rules ({RULES_FILE}) for the changed files they apply to. {ask}", ""]
    for rule, matched in applied:
        out += [
            f"Rule {rule.name} (severity {rule.severity}; {RULES_FILE} line {rule.line}):",
            rule.text,
            f"Applies to: {', '.join(matched)}",
            "",
        ]
    text = redact("\n".join(out).rstrip())[0]
    return Piece("Team rules that apply to this change", text, TARGET)


def report_section(rules: list[Rule], applied: list[tuple[Rule, list[str]]]) -> list[str]:
    """The offline report's list of the rules that apply (none without a rules file)."""
    if not rules:
        return []
    out = ["## Team rules", ""]
    if not applied:
        return [
            *out,
            f"None of the {len(rules)} rules in `{RULES_FILE}` applies to the changed files.",
            "",
        ]
    for rule, matched in applied:
        first = " ".join(rule.text.split())
        out.append(
            f"- {rule.name} ({rule.severity}): {first} — applies to "
            + ", ".join(f"`{p}`" for p in matched)
        )
    out += ["", "The offline review does not check these rules itself: a reviewer should.", ""]
    return redact("\n".join(out))[0].split("\n")
