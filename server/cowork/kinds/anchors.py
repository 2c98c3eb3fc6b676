"""A finding's anchor: the text of the lines it concerns, whitespace folded, so that it
can be found again after the file changed (content, not line numbers).

A finding moves with its anchored text: looked for first near where it was (the
nearest match wins), then anywhere in the file; when the text is gone, so is the
finding. Pure text work, proportional to the file's size: callers run it off the
event loop.
"""

from __future__ import annotations

import bisect
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from cowork.kinds.findings import Finding, fingerprint

MAX_ANCHOR_LINES = 40  # a longer finding is anchored by its first lines
_LINES = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """`text`'s lines, split at \\n, \\r\\n or \\r (a final newline leaves an empty last)."""
    if "\r" not in text:  # the common case, in C: a regex split took ~1 ms per 10k lines
        return text.split("\n")
    return _LINES.split(text)


def fold(line: str) -> str:
    """A line as an anchor keeps it: runs of whitespace as one space, no ends."""
    return " ".join(line.split())


def anchor_of(f: Finding, lines: list[str]) -> list[str] | None:
    """The folded text of `f`'s lines in `lines` (the file's), None when they are not
    all there or hold no text at all (nothing to find again)."""
    end = f.end_line or f.line
    if f.line < 1 or end > len(lines):
        return None
    anchor = [fold(line) for line in lines[f.line - 1 : end][:MAX_ANCHOR_LINES]]
    return anchor if any(anchor) else None


class Folded:
    """A file's lines folded once, with where each folded line occurs: every finding
    of the file is then found by a look-up, not a scan."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = [fold(x) for x in lines]
        self.starts: dict[str, list[int]] = {}  # folded line -> its 0-based indexes
        for i, line in enumerate(self.lines):
            self.starts.setdefault(line, []).append(i)


def locate(anchor: list[str], lines: list[str] | Folded, near: int) -> int | None:
    """The 1-based line where `anchor` starts in `lines`, the match nearest to line
    `near` (ties: the earlier); None when the text is nowhere."""
    if not anchor:
        return None
    folded = lines if isinstance(lines, Folded) else Folded(lines)
    candidates = folded.starts.get(anchor[0], [])
    # Outward from `near`: the first full match on either side is the nearest.
    right = bisect.bisect_left(candidates, near - 1)
    left = right - 1
    while left >= 0 or right < len(candidates):
        if right >= len(candidates) or (
            left >= 0 and (near - 1) - candidates[left] <= candidates[right] - (near - 1)
        ):
            i, left = candidates[left], left - 1
        else:
            i, right = candidates[right], right + 1
        if folded.lines[i : i + len(anchor)] == anchor:
            return i + 1
    return None


def moved(
    f: Finding, anchor: list[str] | None, lines: list[str] | Folded, near: int | None = None
) -> Finding | None:
    """`f` where its anchored text is now in `lines` (near `near`, else its own line);
    None when that text is gone. Without an anchor, `f` stays where it is."""
    if anchor is None:
        return f
    start = locate(anchor, lines, near or f.line)
    if start is None:
        return None
    if start == f.line:
        return f
    shift = start - f.line
    return replace(f, line=start, end_line=f.end_line + shift if f.end_line else None)


def anchors_for(
    root: Path, found: list[Finding], overlays: dict[str, str]
) -> list[list[str] | None]:
    """Each finding's anchor in its file as the review saw it (the editor's unsaved text
    where it had some, else the file). Reads files: call off the event loop."""
    texts = texts_of(root, {f.path for f in found}, overlays)
    return [anchor_of(f, lines) if (lines := texts[f.path]) is not None else None for f in found]


def texts_of(
    root: Path, paths: Iterable[str], overlays: dict[str, str]
) -> dict[str, list[str] | None]:
    """The lines of each file (the editor's unsaved text where there is some); None
    for one that cannot be read. Reads files: call off the event loop."""
    out: dict[str, list[str] | None] = {}
    top = str(root)  # plain strings: a review reads hundreds of files, pathlib doubled it
    for rel in sorted(set(paths)):
        text = overlays.get(rel)
        out[rel] = split_lines(text) if text is not None else _file_lines(os.path.join(top, rel))
    return out


# The lines of files read lately, by (path, inode, size, times): a review anchors its
# findings in the same few hundred files run after run. Lists are never changed by
# callers. Bounded by the bytes of the files held (their lines take ~3x that in
# memory, in the language server's own process).
_MAX_HELD = 8_000_000
_lines: OrderedDict[tuple[str, int, int, int, int], list[str]] = OrderedDict()
_held = 0
_lines_lock = threading.Lock()


def _file_lines(path: str) -> list[str] | None:
    global _held
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            st = os.fstat(fh.fileno())
            key = (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            with _lines_lock:
                known = _lines.get(key)
                if known is not None:
                    _lines.move_to_end(key)
                    return known
            lines = split_lines(fh.read())
    except OSError:
        return None
    if st.st_size <= _MAX_HELD // 8:
        with _lines_lock:
            _lines[key] = lines
            _held += st.st_size
            while _held > _MAX_HELD:
                (_, _, size, _, _), _ = _lines.popitem(last=False)
                _held -= size
    return lines


def anchored_fingerprint(f: Finding, anchor: list[str] | None, text: str | None) -> str:
    """`fingerprint` of `f` from its anchored text when it has one (the lines it was
    raised on, wherever they are now), else from `text`, the file's."""
    if anchor:
        return fingerprint(replace(f, line=1, end_line=len(anchor)), "\n".join(anchor))
    return fingerprint(f, text)
