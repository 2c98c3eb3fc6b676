"""`.gitattributes` lines that mark files generated, vendored or not to be diffed.

GitHub's linguist reads `linguist-generated` and `linguist-vendored`; git
itself reads `-diff` (and the `binary` macro). A repository that says a file
is generated is believed over the built-in rules, both ways: an attribute
set to false un-marks a file the name rules would have caught.

Malformed lines are skipped with a note: a broken attributes file never
stops a task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cowork.context.generated import AttributeRule, unmarked_reason

_ATTR_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_MAX_LINES = 20_000


@dataclass(frozen=True)
class Parsed:
    rules: list[AttributeRule]
    notes: list[str]


def parse(text: str, where: str = ".gitattributes") -> Parsed:
    """The rules in one attributes file at path `where` (relative, forward slashes)."""
    folder = where.rpartition("/")[0]
    rules: list[AttributeRule] = []
    notes: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if number > _MAX_LINES:
            notes.append(f"{where}: only the first {_MAX_LINES} lines were read")
            break
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[attr]"):
            continue  # macro definitions: only the built-in `binary` is understood
        try:
            pattern, attrs = _split(line)
        except ValueError as exc:
            notes.append(f"{where} line {number}: {exc}; line ignored")
            continue
        if pattern.startswith("!"):
            notes.append(f"{where} line {number}: negative patterns are not allowed; line ignored")
            continue
        bad = [a for a in attrs if not _ATTR_NAME.match(a.lstrip("-!").partition("=")[0])]
        if bad or not attrs:
            shown = f"bad attribute {bad[0]!r}" if bad else "a pattern without attributes"
            notes.append(f"{where} line {number}: {shown}; line ignored")
            continue
        reason = _reason(attrs)
        if reason is not None:
            rules.append(AttributeRule(_anchored(pattern, folder), reason))
    return Parsed(rules, notes)


def _split(line: str) -> tuple[str, list[str]]:
    if line.startswith('"'):
        end = line.find('"', 1)
        while end != -1 and line[end - 1] == "\\":
            end = line.find('"', end + 1)
        if end == -1:
            raise ValueError("unterminated quoted pattern")
        pattern = line[1:end].encode().decode("unicode_escape", errors="replace")
        rest = line[end + 1 :].split()
        return pattern, rest
    pattern, *attrs = line.split()
    return pattern, attrs


def _reason(attrs: list[str]) -> str | None:
    """What these attributes say, or None when they say nothing about generated files."""
    verdict: str | None = None
    for attr in attrs:
        name, _, value = attr.lstrip("-!").partition("=")
        unset = attr.startswith(("-", "!")) or value.lower() in ("false", "0", "no")
        if name in ("linguist-generated", "linguist-vendored"):
            what = "generated" if name == "linguist-generated" else "vendored"
            verdict = unmarked_reason() if unset else f"{what} (.gitattributes: {name})"
        elif name == "diff" and attr.startswith("-"):
            verdict = "not diffed (.gitattributes: -diff)"
        elif name == "binary" and not unset:
            verdict = "not diffed (.gitattributes: binary)"
    return verdict


def _anchored(pattern: str, folder: str) -> str:
    """`pattern` from an attributes file in `folder`, as a workspace-relative gitignore glob."""
    if not folder:
        return pattern
    if "/" not in pattern.rstrip("/"):
        return f"{folder}/**/{pattern}"
    return f"{folder}/{pattern.lstrip('/')}"
