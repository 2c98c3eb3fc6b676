"""Memory of a process tree as the kernel accounts it: proportional set size (PSS).

RSS counts a page shared by the server, its forkserver and its workers once in
each of them; PSS divides it among them, so the sum over a tree is what the
tree costs the machine. Linux only (`/proc/<pid>/smaps_rollup`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Member:
    pid: int
    name: str  # the command line, shortened
    pss_kb: int
    rss_kb: int


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (children, their children, …)."""
    found, todo = [pid], [pid]
    while todo:
        kids = _children(todo.pop())
        found += kids
        todo += kids
    return found


def _rollup(pid: int) -> tuple[int, int] | None:
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Pss", "Rss"):
            values[key] = int(rest.split()[0])
    return values.get("Pss", 0), values.get("Rss", 0)


def _name(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    text = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(args))
    return text if len(text) <= 70 else text[:67] + "..."


def tree(pid: int) -> list[Member]:
    """PSS and RSS of `pid` and each of its descendants still alive."""
    out = []
    for p in descendants(pid):
        figures = _rollup(p)
        if figures is not None:
            out.append(Member(p, _name(p), *figures))
    return out


def available() -> bool:
    return (PROC / "self" / "smaps_rollup").exists()
