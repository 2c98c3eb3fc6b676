"""Trust but verify: every `path:line` an artifact cites is checked against the
workspace it was built from, before the artifact is written.

A cited file is looked up, each distinct path once, in the unsaved editor text
the task was built from (an overlay: then that text alone decides), else in the
commit the artifact records (`git cat-file` of HEAD:path) and in the working
tree (uncommitted work is what a review of it cites): the line must exist in
one of them. A path outside the workspace (`../x`, an absolute path, a link
that leads out) is invalid and never opened.

Invalid citations are marked in the text (`path:999 ⚠ not found (why)`); a
review finding whose location is invalid is not published, and its entry moves
under "Could not be located". Blocking (reads files and git): call off the loop.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cowork import citations
from cowork.kinds.findings import Finding

log = logging.getLogger(__name__)

MAX_PATHS = 500  # distinct files read per artifact; citations of others are not checked
MAX_CITATIONS = 5000  # citations checked per artifact
MAX_HEAD_BYTES = 16_000_000  # a blob read from git to count its lines
UNLOCATED = "## Could not be located"


@dataclass(frozen=True)
class Fact:
    """What the workspace says of one cited path: its number of lines, or why there is
    no such file (`lines` None and `why` None: not known, e.g. unreadable)."""

    lines: int | None
    why: str | None = None


def _count(data: bytes | str) -> int:
    nl = "\n" if isinstance(data, str) else b"\n"
    return data.count(nl) + (1 if data and not data.endswith(nl) else 0)  # type: ignore[arg-type]


# Line counts by what they were counted from: a commit's file never changes, and a
# file in the working tree is counted again only when its size or time changes (a
# second task citing the same 10,000-line module reads neither again).
_MEMO_SIZE = 4096
_head_counts: OrderedDict[tuple[str, str, str], int | None] = OrderedDict()
_file_counts: OrderedDict[tuple[str, int, int, int, int], int] = OrderedDict()
_memo_lock = threading.Lock()


def _remember(memo: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    with _memo_lock:
        memo[key] = value
        memo.move_to_end(key)
        while len(memo) > _MEMO_SIZE:
            memo.popitem(last=False)


def _counts_at(root: Path, head: str, cited: list[str]) -> dict[str, int | None]:
    """Line counts of the cited files in commit `head` (None: not there, or too big)."""
    rels = sorted({p for c in cited if (p := normal(c))})
    out: dict[str, int | None] = {}
    missing: list[str] = []
    for rel in rels:
        key = (str(root), head, rel)
        if key in _head_counts:
            out[rel] = _head_counts[key]
        else:
            missing.append(rel)
    if missing:
        from cowork.context import git

        try:
            blobs = git.files_at(root, head, missing, MAX_HEAD_BYTES)
        except Exception as exc:  # not a repository, a commit gone: the working tree decides
            log.info("citations: cannot read %s: %s", head, exc)
            return out
        for rel in missing:
            blob = blobs.get(rel)
            out[rel] = None if blob is None else _count(blob)
            _remember(_head_counts, (str(root), head, rel), out[rel])
    return out


def _count_file(path: str, st: os.stat_result) -> int:
    """The lines of the regular file `path`, whose stat is `st`."""
    key = (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if (known := _file_counts.get(key)) is not None:
        return known
    lines = _count_lines(path)
    _remember(_file_counts, key, lines)
    return lines


def _count_lines(path: str) -> int:
    lines, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (0 if last == b"\n" else 1)


def normal(path: str) -> str | None:
    """A cited path as a workspace-relative POSIX path; None when it leaves the
    workspace (absolute, or `..` above its root)."""
    if path.startswith("/") or re.match(r"[A-Za-z]:[\\/]", path):
        return None
    clean = posixpath.normpath(path)
    if clean == ".." or clean.startswith("../") or clean == ".":
        return None
    return clean


def inside(
    root: Path, rel: str, base: str | None = None, folders: dict[str, str] | None = None
) -> bool | None:
    """Whether root/rel, links followed, stays in the root (None: it does not exist).
    `base`: the root's real path, when known; `folders`: real paths of folders found
    so far (a review cites hundreds of files in a few folders)."""
    target = os.path.join(root, rel)
    try:
        st = os.lstat(target)
    except OSError:
        return None
    return _inside(target, st, base or os.path.realpath(root), folders)


def _inside(target: str, st: os.stat_result, base: str, folders: dict[str, str] | None) -> bool:
    if folders is None or stat.S_ISLNK(st.st_mode):
        real = os.path.realpath(target)
    else:
        folder, name = os.path.split(target)
        real = os.path.join(_real_folder(folder, folders), name)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _real_folder(folder: str, folders: dict[str, str]) -> str:
    """`os.path.realpath(folder)`, each folder above it resolved once for all."""
    known = folders.get(folder)
    if known is not None:
        return known
    parent, name = os.path.split(folder)
    if not name or parent == folder:
        real = os.path.realpath(folder)
    else:
        path = os.path.join(_real_folder(parent, folders), name)
        real = os.path.realpath(path) if os.path.islink(path) else path
    folders[folder] = real
    return real


# The fact of each cited regular file by (workspace, commit, path), with the file's
# (inode, size, times) it held for: a summary cites the same 500 importers run after
# run. A folder above the file replaced by a link would show the file under another
# inode, so the verdict "inside the workspace" is as current as the file.
_facts_seen: OrderedDict[tuple[str, str | None, str], tuple[tuple[int, ...], Fact]] = OrderedDict()


def facts(
    root: Path, head: str | None, overlays: dict[str, str], paths: list[str]
) -> dict[str, Fact]:
    """The fact of each of `paths` (workspace-relative, as cited)."""
    out: dict[str, Fact] = {}
    committed: list[tuple[str, str, os.stat_result | None]] = []  # (cited, rel, lstat)
    top = str(root)
    base = os.path.realpath(root)
    folders: dict[str, str] = {os.path.normpath(root): base}
    for cited in paths:
        rel = normal(cited)
        if rel is None:
            out[cited] = Fact(None, "outside the workspace")
            continue
        if rel in overlays:
            out[cited] = Fact(_count(overlays[rel]))
            continue
        target = os.path.join(top, rel)
        try:
            st: os.stat_result | None = os.lstat(target)
        except OSError:
            st = None
        seen = _facts_seen.get((top, head, rel)) if st is not None else None
        if seen is not None and st is not None and seen[0] == _signature(st):
            out[cited] = seen[1]
            continue
        if st is not None and not _inside(target, st, base, folders):
            out[cited] = Fact(None, "a link out of the workspace")
        else:
            committed.append((cited, rel, st))
    at_head = _counts_at(root, head, [c for c, _, _ in committed]) if head else {}
    for cited, rel, st in committed:
        counts: list[int] = []
        if (n := at_head.get(rel)) is not None:
            counts.append(n)
        unreadable = False
        path = os.path.join(top, rel)
        real = st
        try:
            if real is not None and stat.S_ISLNK(real.st_mode):
                real = os.stat(path)  # a link within the workspace: what it leads to
            if real is not None and stat.S_ISREG(real.st_mode):
                counts.append(_count_file(path, real))
        except OSError:
            unreadable = True
        if counts:
            out[cited] = Fact(max(counts))
        elif unreadable:
            out[cited] = Fact(None)
        else:
            out[cited] = Fact(None, "no such file")
        if st is not None and stat.S_ISREG(st.st_mode) and not unreadable:
            _remember(_facts_seen, (top, head, rel), (_signature(st), out[cited]))
    return out


def _signature(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _private(rel: str) -> bool:
    """Whether the built-in privacy rules keep `rel` from a model (`.env`, keys…)."""
    from cowork.context.privacy import Exclusions

    return Exclusions().reason(rel) is not None


def why_invalid(fact: Fact, path: str, line: int, end: int | None) -> str | None:
    """Why `path:line-end` is not found, by `fact`; None when it is (or is unknown)."""
    if fact.lines is None:
        return fact.why
    last = max(line, end or line)
    if line < 1:
        return "lines count from 1"
    if last > fact.lines:
        rel = normal(path) or path
        if _private(rel):  # its size is not for the page (nor for a revision's prompt)
            return f"line {last} is past the end of {rel}"
        has = f"{fact.lines} line{'s' if fact.lines != 1 else ''}"
        return f"line {last} is past the end of {rel}, which has {has}"
    return None


@dataclass(frozen=True)
class Checked:
    body: str
    located: list[Finding]  # the findings to publish
    unlocated: list[Finding]
    checked: int
    invalid: int
    unchecked: int

    def provenance(self) -> dict[str, Any]:
        """`citations` in the artifact's provenance."""
        counts: dict[str, Any] = {"checked": self.checked, "invalid": self.invalid}
        if self.unchecked:
            counts["unchecked"] = self.unchecked
        return {"citations": counts}


def verify(
    root: Path,
    head: str | None,
    overlays: dict[str, str],
    body: str,
    found: list[Finding],
) -> Checked:
    """`body` with its invalid citations marked and the invalid findings moved under
    "Could not be located"; the findings whose location is valid; the counts."""
    body = citations.unmarked(body)
    cites = citations.find(body)
    wanted: dict[str, None] = {}
    for f in found:
        wanted.setdefault(f.path)
    for c in cites:
        wanted.setdefault(c.path)
    distinct = list(wanted)
    known = facts(root, head, overlays, distinct[:MAX_PATHS])

    located: list[Finding] = []
    unlocated: list[tuple[Finding, str]] = []
    for f in found:
        fact = known.get(f.path)
        why = why_invalid(fact, f.path, f.line, f.end_line) if fact else None
        if why is None:
            located.append(f)
        else:
            unlocated.append((f, why))
    if unlocated:
        body = _move_unlocated(body, unlocated)
        cites = citations.find(body)

    invalid: dict[int, str] = {}
    checked = unchecked = 0
    for c in cites:
        fact = known.get(c.path)
        if fact is None or checked >= MAX_CITATIONS:
            unchecked += 1
            continue
        if c.weak and fact.lines is None:
            continue  # a host name or a time, not a file: not a citation
        checked += 1
        why = why_invalid(fact, c.path, c.line, c.end)
        if why is not None:
            invalid[c.start] = why.replace(")", "]")
    return Checked(
        body=citations.marked(body, invalid, cites) if invalid else body,
        located=located,
        unlocated=[f for f, _ in unlocated],
        checked=checked,
        invalid=len(invalid),
        unchecked=unchecked,
    )


def _item_at(lines: list[str], f: Finding) -> int | None:
    """The line of the Markdown list item that renders finding `f`, if any."""
    at = re.compile(rf"{re.escape(f.path)}:{f.line}\b")
    items = [n for n, line in enumerate(lines) if line.lstrip().startswith(("- ", "* "))]
    for n in items:
        if at.search(lines[n]) and f.message[:40] in lines[n]:
            return n
    return next((n for n in items if at.search(lines[n])), None)


def _move_unlocated(body: str, unlocated: list[tuple[Finding, str]]) -> str:
    """`body` with each unlocated finding's list item (and the indented lines under it)
    moved to a "Could not be located" section at its end."""
    lines = body.rstrip("\n").split("\n")
    moved: list[list[str]] = []
    for f, why in unlocated:
        n = _item_at(lines, f)
        if n is None:
            where = f"{f.path}:{f.line}" + (f"-{f.end_line}" if f.end_line else "")
            moved.append([f"- **{f.severity}** `{where}`: {f.message}"])
            continue
        indent = len(lines[n]) - len(lines[n].lstrip())
        stop = n + 1
        while stop < len(lines) and (
            not lines[stop].strip() or len(lines[stop]) - len(lines[stop].lstrip()) > indent
        ):
            stop += 1
        while stop > n + 1 and not lines[stop - 1].strip():
            stop -= 1  # the blank lines after the item stay where they were
        block = [line[indent:] if line[:indent].isspace() else line for line in lines[n:stop]]
        del lines[n:stop]
        while 0 < n < len(lines) and not lines[n].strip() and not lines[n - 1].strip():
            del lines[n]  # one blank line where the item was
        moved.append(block)
        log.debug("finding %s:%d not located: %s", f.path, f.line, why)
    _none_left(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    out = [*lines, "", UNLOCATED, ""]
    out.append(
        "These findings name a file or line that does not exist in what the review was "
        "built from, so they are not shown as diagnostics. Check them by hand."
    )
    for block in moved:
        out += ["", *block]
    return "\n".join(out) + "\n"


def _none_left(lines: list[str]) -> None:
    """Say so under a "## Findings" heading that the moves left empty."""
    for n, line in enumerate(lines):
        if line.strip() != "## Findings":
            continue
        rest = next((m for m in range(n + 1, len(lines)) if lines[m].strip()), None)
        if rest is None or lines[rest].startswith("#"):
            lines[n + 1 : n + 1] = ["", "None that could be located."]
        return
