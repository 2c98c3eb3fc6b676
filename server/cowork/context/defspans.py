"""Which definitions of a file hold a line, by binary search over their spans.

A review asks this for every changed line of every changed file, and a large module
has thousands of definitions: matching each line against each definition made the
lookup quadratic. Definitions come as an outline (top level, and the members of
each), so the holders of a line are found level by level, each by bisection.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Sequence

from cowork.context.index import FileFacts
from cowork.context.outline import Definition

Pair = tuple[Definition, Definition | None]  # a definition, and the one it is a member of


class _Level:
    """Sibling definitions sorted by first line, with the furthest last line reached by
    any of the first k (siblings may overlap in odd sources: the scan stays correct)."""

    def __init__(self, defs: Sequence[Definition]) -> None:
        order = sorted(range(len(defs)), key=lambda i: defs[i].line)
        self.defs = [defs[i] for i in order]
        self.rank = order  # position in the outline's own order
        self.starts = [d.line for d in self.defs]
        self.reach: list[int] = []
        furthest = 0
        for d in self.defs:
            furthest = max(furthest, d.end_line)
            self.reach.append(furthest)

    def holding(self, line: int) -> list[int]:
        """Positions (in the outline's order, ascending) of the siblings holding `line`."""
        found = []
        j = bisect_right(self.starts, line) - 1
        while j >= 0 and self.reach[j] >= line:
            if self.defs[j].end_line >= line:
                found.append(self.rank[j])
            j -= 1
        return sorted(found)


class DefinitionSpans:
    """The definitions of one file, for "which hold line n" questions."""

    def __init__(self, facts: FileFacts) -> None:
        self._top = facts.definitions
        self._levels = _Level(self._top)
        self._members: dict[int, _Level] = {}

    def holders(self, line: int) -> list[Pair]:
        """The definitions holding `line` with their owner, outermost first, in the order
        of the outline (a class before its members)."""
        out: list[Pair] = []
        for i in self._levels.holding(line):
            top = self._top[i]
            out.append((top, None))
            if top.children:
                level = self._members.get(i)
                if level is None:
                    level = self._members[i] = _Level(top.children)
                out.extend((top.children[k], top) for k in level.holding(line))
        return out

    def innermost(self, line: int) -> Pair | None:
        """The innermost definition holding `line` (the latest to start; on a tie, the
        later in the outline), with its owner."""
        best: Pair | None = None
        for pair in self.holders(line):
            if best is None or pair[0].line >= best[0].line:
                best = pair
        return best


_KEPT = 256
_cache: OrderedDict[int, tuple[FileFacts, DefinitionSpans]] = OrderedDict()
_lock = threading.Lock()


def spans_of(facts: FileFacts) -> DefinitionSpans:
    """The span index of `facts`, built once per facts object (recently used ones kept)."""
    key = id(facts)
    with _lock:
        known = _cache.get(key)
        if known is not None and known[0] is facts:
            _cache.move_to_end(key)
            return known[1]
    made = DefinitionSpans(facts)
    with _lock:
        _cache[key] = (facts, made)  # the facts are held, so their id is not reused
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return made
