"""Citations in an artifact's text: where it says `path:line`, and the marks that
say a citation could not be found.

Pure text work (no file is read here): `engine/citecheck.py` checks what this
finds against the workspace and writes the marks; the LSP layer reads the marks
back as diagnostics and turns the other citations into document links.

What counts as a citation, in the answer part of an artifact (before its
provenance block; never inside a fenced code block, which quotes code):

- `path:12`, `path:12-20` (also `path:12:5`, a column, which is ignored), and
  GitHub's `path#L12` / `path#L12-L20`;
- bare in the text, as a whole code span (`` `path:12` ``), or as the target or
  the text of a Markdown link (`[engine](pkg/engine.py#L12)`).

A path names a file when it has a folder (`a/b`) or an extension with a letter
(`setup.cfg`); a bare word such as `Makefile:3` or `localhost:8080` is only
*weak*: it is checked when a file of that name exists, and otherwise left alone,
so that host names and times are not flagged.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from cowork.artifacts import PROVENANCE

MARK = "⚠ not found"  # what follows an invalid citation in the artifact

_PATH = r"(?:\.{1,2}/|/)?[\w@+~-][\w.@+~/-]*+"  # possessive: no backtracking
_WHERE = (
    r"(?::(?P<line>\d{1,9})(?:[-–](?P<end>\d{1,9}))?(?::\d{1,9})?"
    r"|#L(?P<hline>\d{1,9})(?:-L?(?P<hend>\d{1,9}))?)"
)
_CITE = re.compile(rf"(?<![\w.@+~/:\\#-])(?P<path>{_PATH}){_WHERE}(?![\w/])")
_WHOLE = re.compile(rf"\s*(?P<path>{_PATH}){_WHERE}\s*")
_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]+)(?:\s+\"[^\"\n]*\")?\)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
_FENCE_AFTER_NEWLINE = re.compile(r"\n {0,3}(`{3,}|~{3,})")
_WHERE_HINT = re.compile(r":\d|#L\d")  # every citation has one: lines without are skipped
_MARKED = re.compile(rf" {re.escape(MARK)}(?: \((?P<why>[^)\n]*)\))?")
_EXTENSION = re.compile(r"\.[A-Za-z][\w+-]*$")
# Names that read as hosts, not files, unless such a file exists.
_HOSTS = {"com", "org", "net", "io", "dev", "local", "internal", "localhost", "app", "co", "ai"}


@dataclass(frozen=True)
class Citation:
    """One cited location, at `start`..`stop` of the text (the whole code span or
    link when it is written as one); a mark goes at `stop`."""

    path: str  # as written
    line: int
    end: int | None
    start: int
    stop: int
    weak: bool  # a bare name: checked only when such a file exists
    marked: str | None = None  # the reason in the mark already after it; "" without one

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" + (f"-{self.end}" if self.end else "")


def answer_span(text: str) -> tuple[int, int]:
    """Where the answer is in an artifact's text: after the front matter, before the
    provenance block (the whole text when it has neither)."""
    start = 0
    if text.startswith("---\n"):
        close = text.find("\n---\n", 4)
        if close >= 0:
            start = close + 5
    stop = text.rfind(PROVENANCE)
    if stop < start:
        stop = len(text)
    # The rule above the provenance block belongs to it.
    rule = text.rfind("\n---\n", start, stop)
    if rule >= 0 and not text[rule + 5 : stop].strip():
        stop = rule + 1
    return start, stop


def _is_weak(path: str) -> bool:
    if "/" in path.strip("./"):
        return False
    found = _EXTENSION.search(path)
    return found is None or found.group(0)[1:].lower() in _HOSTS


def _made(m: re.Match[str], start: int, stop: int) -> Citation | None:
    path = m.group("path")
    line = m.group("line") or m.group("hline")
    end = m.group("end") or m.group("hend")
    if not line or path.endswith("."):
        return None
    first, last = int(line), int(end) if end else None
    if last is not None and last <= first:
        last = None  # `12-12`, or a range written backwards: the first line
    return Citation(path, first, last, start, stop, _is_weak(path))


def _prose_regions(text: str, start: int, stop: int) -> list[tuple[int, int]]:
    """The parts of text[start:stop] outside fenced code blocks."""
    out: list[tuple[int, int]] = []
    fence: str | None = None
    region = start
    # Only the lines that open or close a fence matter: an offline draft carries its
    # whole prompt (thousands of lines), and a Python step per line cost ~10 ms.
    for m, here, line_end in _fence_lines(text, start, stop):
        if fence is None:
            out.append((region, here))
            fence = m.group(1)
        elif _closes(m.group(1), fence, text[here:line_end]):
            fence = None
            region = line_end
    if fence is None:
        out.append((region, stop))
    return [(a, b) for a, b in out if b > a]


def _fence_lines(text: str, start: int, stop: int) -> Iterator[tuple[re.Match[str], int, int]]:
    """Each line of text[start:stop] that starts like a fence: (match, start, end)."""

    def end_of(here: int) -> int:
        nl = text.find("\n", here, stop)
        return stop if nl < 0 else nl + 1

    first_end = end_of(start)  # `start` counts as a line's start wherever it is
    if (m := _FENCE.match(text, start, first_end)) is not None:
        yield m, start, first_end
    # From a newline, which the regex engine finds by a fast scan (a `^` is tried at
    # every position of the text).
    for m in _FENCE_AFTER_NEWLINE.finditer(text, max(first_end - 1, start), stop):
        here = m.start() + 1
        yield m, here, end_of(here)


def _closes(opened: str, fence: str, line: str) -> bool:
    """Whether `line` (starting with `opened`) closes a block opened with `fence`."""
    return opened[0] == fence[0] and len(opened) >= len(fence) and not line.strip().strip(fence[0])


def find(text: str, start: int = 0, stop: int | None = None) -> list[Citation]:
    """The citations in text[start:stop], in order (fenced code blocks skipped)."""
    stop = len(text) if stop is None else stop
    out: list[Citation] = []
    for a, b in _prose_regions(text, start, stop):
        out += _in_prose(text, a, b)
    return out


class _Spans:
    """Disjoint spans of text, asked whether they hold an offset (in log time)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.stops: list[int] = []

    def add(self, start: int, stop: int) -> None:
        at = bisect.bisect(self.starts, start)
        self.starts.insert(at, start)
        self.stops.insert(at, stop)

    def __contains__(self, offset: int) -> bool:
        at = bisect.bisect(self.starts, offset) - 1
        return at >= 0 and offset < self.stops[at]


def _hint_lines(chunk: str) -> list[tuple[int, int]]:
    """(start, end) of each line of `chunk` that can hold a citation (every one has a
    `:N` or `#LN`). Code spans and citations never span lines (look-behinds still see
    the newline before), so only these lines are searched: an offline draft is
    mostly prose without any."""
    out: list[tuple[int, int]] = []
    line_end = -1
    for hint in _WHERE_HINT.finditer(chunk):
        if hint.start() < line_end:
            continue
        line_start = chunk.rfind("\n", 0, hint.start()) + 1
        nl = chunk.find("\n", hint.end())
        line_end = len(chunk) if nl < 0 else nl
        out.append((line_start, line_end))
    return out


def _in_prose(text: str, a: int, b: int) -> list[Citation]:
    chunk = text[a:b]
    taken = _Spans()  # code spans and links: units of their own
    out: list[Citation] = []
    for m in _LINK.finditer(chunk):
        target = _WHOLE.fullmatch(m.group(2))
        if target is not None:
            inner = _made(target, a + m.start(), a + m.end())
        else:  # a link elsewhere whose text cites a location
            cited = _CITE.search(m.group(1))
            inner = _made(cited, a + m.start(), a + m.end()) if cited else None
        taken.add(m.start(), m.end())
        if inner is not None:
            out.append(inner)
    lines = _hint_lines(chunk)
    for m in (m for start, end in lines for m in _CODE.finditer(chunk, start, end)):
        if m.start() in taken:
            continue
        taken.add(m.start(), m.end())
        whole = _WHOLE.fullmatch(m.group(2))
        if whole:
            made = _made(whole, a + m.start(), a + m.end())
            if made is not None:
                out.append(made)
    for m in (m for start, end in lines for m in _CITE.finditer(chunk, start, end)):
        if m.start() in taken:
            continue
        made = _made(m, a + m.start(), a + m.end())
        if made is not None:
            out.append(made)
    out = [_with_mark(text, c) for c in out]
    out.sort(key=lambda c: c.start)
    return out


def _with_mark(text: str, c: Citation) -> Citation:
    m = _MARKED.match(text, c.stop)
    if m is None:
        return c
    return Citation(c.path, c.line, c.end, c.start, c.stop, c.weak, m.group("why") or "")


def mark_text(why: str) -> str:
    """What is written after an invalid citation."""
    return f" {MARK} ({why})"


def marked(text: str, invalid: dict[int, str], found: list[Citation] | None = None) -> str:
    """`text` with a mark after each citation whose start is in `invalid` (the value:
    why it is not found), unless one is there already. `found`: `find(text)`, if known."""
    cites = {c.start: c for c in (find(text) if found is None else found) if c.start in invalid}
    out: list[str] = []
    last = 0
    for start in sorted(cites):
        c = cites[start]
        if c.marked is not None:
            continue
        out += [text[last : c.stop], mark_text(invalid[start])]
        last = c.stop
    out.append(text[last:])
    return "".join(out)


def unmarked(text: str) -> str:
    """`text` without the marks after its citations (to check them afresh: a revision
    copies its previous version's, and a file may exist by now)."""
    if MARK not in text:
        return text
    out: list[str] = []
    last = 0
    for c in find(text):
        if c.marked is None:
            continue
        m = _MARKED.match(text, c.stop)
        if m is not None:
            out.append(text[last : c.stop])
            last = m.end()
    out.append(text[last:])
    return "".join(out)
