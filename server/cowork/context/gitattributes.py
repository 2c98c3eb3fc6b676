"""`.gitattributes` lines that mark files generated, vendored or not to be diffed.

GitHub's linguist reads `linguist-generated` and `linguist-vendored`; git
itself reads `-diff` (and the `binary` macro). A repository that says a file
is generated is believed over the built-in rules, both ways: an attribute
set to false un-marks a file the name rules would have caught.

Malformed lines are skipped with a note: a broken attributes file never
stops a task.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from cowork.context.generated import AttributeRule, GeneratedRules, compiled, unmarked_reason

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
        if compiled(_anchored(pattern, folder)) is None:
            notes.append(f"{where} line {number}: {pattern!r} is not a valid pattern; line ignored")
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


# An attributes file larger than this is read in part (with a note).
MAX_ATTRIBUTES_BYTES = 1_000_000


class FolderRules:
    """The generated-file rules of each folder of a workspace: the built-in ones, the
    `generated` globs, and the `.gitattributes` of the folder and of its parents (read
    once per folder, on first use). What reading them found goes to `notes`."""

    def __init__(self, root: Path, globs: tuple[str, ...], notes: list[str]) -> None:
        self.root = root
        self.globs = globs
        self.notes = notes
        self._by_folder: dict[str, GeneratedRules] = {}

    def key(self, files: list[str], stats: dict[str, os.stat_result]) -> tuple[object, ...]:
        """What the verdicts on `files` depend on besides their paths: the globs and
        every `.gitattributes` among them as it is now (by its stat)."""
        attrs = tuple(
            (rel, stats[rel].st_mtime_ns, stats[rel].st_size)
            for rel in files
            if rel.endswith(".gitattributes") and rel in stats
        )
        return (self.globs, attrs)

    def rules_for(self, rel: str) -> GeneratedRules:
        """The rules that judge workspace path `rel`."""
        return self._rules_in(rel.rpartition("/")[0])

    def _rules_in(self, folder: str) -> GeneratedRules:
        rules = self._by_folder.get(folder)
        if rules is not None:
            return rules
        if folder:
            parent = self._rules_in(folder.rpartition("/")[0])
        else:
            parent = GeneratedRules((), self.globs)
        rules = parent
        vendored = folder and GeneratedRules().path_reason(folder + "/_") is not None
        if not vendored:  # a copied-in folder's own attributes are not this workspace's
            where = f"{folder}/.gitattributes" if folder else ".gitattributes"
            parsed = self._read(where)
            if parsed is not None and parsed.rules:
                rules = GeneratedRules([*parent.attributes, *parsed.rules], self.globs)
        self._by_folder[folder] = rules
        return rules

    def _read(self, where: str) -> Parsed | None:
        path = os.path.join(self.root, where)
        try:
            if not os.path.isfile(path) or os.path.islink(path):
                return None
            with open(path, "rb") as handle:
                data = handle.read(MAX_ATTRIBUTES_BYTES + 1)
        except OSError as exc:
            self._note(f"{where} could not be read ({exc.strerror}); its rules are ignored")
            return None
        text = data[:MAX_ATTRIBUTES_BYTES].decode("utf-8", "replace")
        parsed = parse(text, where)
        if len(data) > MAX_ATTRIBUTES_BYTES:
            parsed.notes.append(f"{where}: only its first {MAX_ATTRIBUTES_BYTES:,} bytes were read")
        for note in parsed.notes:
            self._note(note)
        return parsed

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)
