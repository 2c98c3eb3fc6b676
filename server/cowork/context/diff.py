"""The change model (what happened to each file, hunk by hunk) and the parsing of
unified diffs into it. Pure: no git processes run here.

`parse_diff` reads the one fixed format `git.py` asks git for, whatever the user's
configuration says; `text_change` diffs two texts here instead, for an editor's
unsaved text and for files git does not track.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_SUBMODULE_MODE = "160000"


@dataclass(frozen=True)
class Hunk:
    """One hunk of a unified diff; `lines` keep their ' ', '+', '-' or '\\' prefix."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str  # git's hint of the enclosing code after the second @@
    lines: tuple[str, ...]

    @property
    def header(self) -> str:
        tail = f" {self.section}" if self.section else ""
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@{tail}"

    def text(self) -> str:
        return "\n".join((self.header, *self.lines)) + "\n"

    def added(self) -> list[tuple[int, str]]:
        """(line in the new file, text) of each added line."""
        return list(self._added)

    # Worked out once per hunk: hunks are immutable, remembered diffs share them
    # between gatherings, and a gathering asks for each hunk's lines several times.
    @cached_property
    def _added(self) -> tuple[tuple[int, str], ...]:
        out: list[tuple[int, str]] = []
        line = self.new_start
        for raw in self.lines:
            if raw.startswith("+"):
                out.append((line, raw[1:]))
                line += 1
            elif raw.startswith(" "):
                line += 1
        return tuple(out)

    def touched(self) -> list[int]:
        """Lines of the new file this hunk changes: added lines, and for each run of
        removed lines the new line where they were (so a pure deletion has a place)."""
        return list(self._touched)

    @cached_property
    def _touched(self) -> tuple[int, ...]:
        out: list[int] = []
        line = self.new_start
        after_removal = False
        for raw in self.lines:
            if raw.startswith("+"):
                out.append(line)
                line += 1
                after_removal = False
            elif raw.startswith("-"):
                if not after_removal:
                    out.append(max(1, line))
                after_removal = True
            elif raw.startswith(" "):
                line += 1
                after_removal = False
        return tuple(out)


@dataclass(frozen=True)
class FileChange:
    """What happened to one file between the base and the new version."""

    path: str  # the new path (the old one for a deletion), relative to the workspace
    status: str  # A added, M modified, D deleted, R renamed, C copied, T type changed, U unmerged
    old_path: str | None = None  # where a renamed or copied file came from
    similarity: int | None = None  # percent, for renames and copies
    old_mode: str = ""
    new_mode: str = ""
    binary: bool = False
    added: int | None = None  # lines; None for binary files
    deleted: int | None = None
    hunks: tuple[Hunk, ...] = ()
    header: str = ""  # the patch's header lines (diff --git, modes, index, ---/+++)
    unreadable: str | None = None  # why the patch text cannot be used

    @property
    def submodule(self) -> bool:
        return _SUBMODULE_MODE in (self.old_mode, self.new_mode)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path whose content shows in this change."""
        return (self.path,) if self.old_path is None else (self.old_path, self.path)

    def describe(self) -> str:
        """A few words on what happened, e.g. "renamed from a.py (92% similar)"."""
        words = {
            "A": "added",
            "M": "modified",
            "D": "deleted",
            "T": "type changed",
            "U": "unmerged (a conflict)",
        }.get(self.status[:1], self.status)
        if self.status.startswith(("R", "C")):
            verb = "renamed" if self.status.startswith("R") else "copied"
            words = f"{verb} from {self.old_path}"
            if self.similarity is not None and self.similarity < 100:
                words += f" ({self.similarity}% similar)"
        if self.submodule:
            words = f"submodule {words}"
        elif self.old_mode != self.new_mode and "000000" not in (self.old_mode, self.new_mode):
            words += f" (mode {self.old_mode} → {self.new_mode})"
        return words

    def patch(self) -> str:
        return self.header + "".join(h.text() for h in self.hunks)


# The bytes git quotes in a name: control characters, `"`, backslash, DEL, non-ASCII.
_NEEDS_QUOTES = re.compile(rb'[\x00-\x1f"\\\x7f-\xff]')


def _c_quote(name: str) -> str:
    """`name` as git quotes a path in patch headers (core.quotePath=true)."""
    data = name.encode("utf-8", "surrogateescape")
    if _NEEDS_QUOTES.search(data) is None:
        return name
    escapes = {7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
    out = []
    for b in data:
        if b in escapes:
            out.append(escapes[b])
        elif b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


def _split_lines(text: str) -> list[str]:
    # Not str.splitlines: that also splits at \f, \x1c, \u2028 … inside source lines.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def parse_hunks(lines: list[str]) -> tuple[list[str], list[Hunk]]:
    """(header lines, hunks) of one file's part of a unified diff."""
    header: list[str] = []
    hunks: list[Hunk] = []
    current: tuple[re.Match[str], list[str]] | None = None

    def close() -> None:
        if current is not None:
            m, body = current
            hunks.append(
                Hunk(
                    int(m.group(1)),
                    int(m.group(2) or "1"),
                    int(m.group(3)),
                    int(m.group(4) or "1"),
                    m.group(5),
                    tuple(body),
                )
            )

    for line in lines:
        m = _HUNK_HEADER.match(line)
        if m is not None:
            close()
            current = (m, [])
        elif current is None:
            header.append(line)
        else:
            current[1].append(line)
    close()
    return header, hunks


@dataclass
class _Raw:
    status: str
    old_mode: str
    new_mode: str
    paths: list[str]
    stat: tuple[int | None, int | None] = (None, None)
    chunks: list[str] = field(default_factory=list)
    unreadable: str | None = None


def _name(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), "its name is not UTF-8"


def parse_diff(out: bytes) -> list[FileChange]:
    """Files of `git diff --raw --numstat -z -p` output (one invocation, so the three
    parts describe the same comparison)."""
    pos, entries = 0, []
    while out.startswith(b":", pos):  # ":<old mode> <new mode> <old> <new> <status>\0<path>\0…"
        end = out.index(b"\0", pos)
        old_mode, new_mode, _, _, status = out[pos + 1 : end].decode("ascii").split(" ")
        pos = end + 1
        entry = _Raw(status, old_mode, new_mode, [])
        for _ in range(2 if status[:1] in "RC" else 1):
            end = out.index(b"\0", pos)
            path, problem = _name(out[pos:end])
            entry.paths.append(path)
            entry.unreadable = entry.unreadable or problem
            pos = end + 1
        entries.append(entry)
    stats: dict[str, tuple[int | None, int | None]] = {}
    while pos < len(out) and out[pos] != 0 and not out.startswith(b"diff --git ", pos):
        end = out.index(b"\0", pos)  # "<added>\t<deleted>\t<path>\0" or "…\t\0<old>\0<new>\0"
        added, deleted, name = out[pos:end].split(b"\t", 2)
        pos = end + 1
        if not name:
            pos = out.index(b"\0", pos) + 1
            end = out.index(b"\0", pos)
            name = out[pos:end]
            pos = end + 1
        stats[_name(name)[0]] = (
            None if added == b"-" else int(added),
            None if deleted == b"-" else int(deleted),
        )
    if out.startswith(b"\0", pos):
        pos += 1
    for entry in entries:
        entry.stat = stats.get(entry.paths[-1], (None, None))
    _attach_patches(entries, out[pos:])
    return [_file_change(e) for e in entries]


def _attach_patches(entries: list[_Raw], patch: bytes) -> None:
    """Give each entry its `diff --git` chunk(s), matched by their exact header line
    (a type change has two: the old file deleted, the new one added)."""
    by_header: dict[str, list[str]] = {}
    order: list[str] = []
    for chunk in re.split(rb"(?m)^(?=diff --git )", patch):
        if not chunk.startswith(b"diff --git "):
            continue
        first = chunk.split(b"\n", 1)[0].decode("utf-8", "replace")
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            text = first + "\n\0not UTF-8"  # marked; its content is never used
        by_header.setdefault(first, []).append(text)
        order.append(first)
    for entry in entries:
        src, dst = entry.paths[0], entry.paths[-1]
        expected = f"diff --git {_c_quote('a/' + src)} {_c_quote('b/' + dst)}"
        entry.chunks = by_header.pop(expected, [])
    # Headers we did not predict (a quoting rule we do not know): by order.
    leftovers = [c for h in order if h in by_header for c in by_header.pop(h)]
    for entry in entries:
        if not entry.chunks and not entry.status.startswith("U") and leftovers:
            entry.chunks = [leftovers.pop(0)]


def _file_change(entry: _Raw) -> FileChange:
    header: list[str] = []
    hunks: list[Hunk] = []
    unreadable = entry.unreadable
    binary = entry.stat[0] is None and not entry.status.startswith("U")
    for chunk in entry.chunks:
        if chunk.endswith("\0not UTF-8"):
            unreadable = unreadable or "not UTF-8 text"
            continue
        head, body = parse_hunks(_split_lines(chunk))
        header += head
        hunks += body
        binary = binary or any(h.startswith(("Binary files ", "GIT binary patch")) for h in head)
    if binary or unreadable:
        hunks = []  # nothing of the content is kept
        header = header[:1]
    score = re.match(r"[RC](\d+)", entry.status)
    added, deleted = entry.stat
    if _SUBMODULE_MODE in (entry.old_mode, entry.new_mode):
        added = deleted = None  # "lines" of a submodule are its commit ids
    return FileChange(
        path=entry.paths[-1],
        status=entry.status[:1],
        old_path=entry.paths[0] if len(entry.paths) == 2 else None,
        similarity=int(score.group(1)) if score else None,
        old_mode=entry.old_mode,
        new_mode=entry.new_mode,
        binary=binary,
        added=None if binary else added,
        deleted=None if binary else deleted,
        hunks=tuple(hunks),
        header="".join(h + "\n" for h in header),
        unreadable=unreadable,
    )


def text_change(path: str, old: str | None, new: str | None) -> FileChange:
    """The change from `old` to `new` text (None: the file is absent), computed here
    rather than by git: for an editor's unsaved text and for untracked files."""
    a, b = _split_lines(old or ""), _split_lines(new or "")
    diff = list(
        difflib.unified_diff(
            a,
            b,
            "/dev/null" if old is None else f"a/{path}",
            "/dev/null" if new is None else f"b/{path}",
            n=3,
            lineterm="",
        )
    )
    head, hunks = parse_hunks(diff)
    status = "A" if old is None else "D" if new is None else "M"
    added = sum(len(h.added()) for h in hunks)
    deleted = sum(sum(1 for line in h.lines if line.startswith("-")) for h in hunks)
    return FileChange(
        path=path,
        status=status,
        added=added,
        deleted=deleted,
        hunks=tuple(hunks),
        header=f"diff --git a/{path} b/{path}\n" + "".join(h + "\n" for h in head),
    )
