"""Findings follow their lines: as a file with published findings is edited (unsaved
text included), each finding moves with its anchored text and disappears when that
text is gone; the document's diagnostics are published again.

Where each finding was last seen is kept in memory, so that the next search starts
there; the store keeps the line the review gave and the anchor, so a restarted
server finds each one again from the file as saved. The search is proportional to
the file's size: it runs off the event loop, and an edit's result is dropped when a
newer edit of the same document arrived meanwhile.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from cowork.engine.model import StoredFinding
from cowork.kinds import anchors


def follow(
    shown: list[StoredFinding], texts: dict[str, list[str]], near: dict[str, int]
) -> list[StoredFinding]:
    """Each finding where its anchored text is now (`texts`: the lines of its file;
    `near`: where it was last seen), those whose text is gone left out. A finding of
    a file not in `texts`, or without an anchor, stays where the review put it."""
    out: list[StoredFinding] = []
    folded: dict[str, anchors.Folded] = {}  # each file folded once, for all its findings
    for stored in shown:
        path = stored.finding.path
        lines = texts.get(path)
        if lines is None or stored.anchor is None:
            out.append(stored)
            continue
        if path not in folded:
            folded[path] = anchors.Folded(lines)
        where = anchors.moved(
            stored.finding, stored.anchor, folded[path], near.get(stored.finding_id)
        )
        if where is not None:
            out.append(replace(stored, finding=where) if where != stored.finding else stored)
    return out


@dataclass
class Followed:
    """The findings published per document, and where each was last seen."""

    by_uri: dict[str, list[StoredFinding]] = field(default_factory=dict)
    near: dict[str, int] = field(default_factory=dict)  # finding id -> line last seen
    _versions: dict[str, int] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def remember(self, uri: str, originals: list[StoredFinding], now: list[StoredFinding]) -> None:
        """What was published for `uri`: the findings as stored, and where they are now."""
        self.by_uri[uri] = originals
        for stored in now:
            self.near[stored.finding_id] = stored.finding.line

    def forget(self, uris: set[str]) -> None:
        for uri in uris:
            for stored in self.by_uri.pop(uri, []):
                self.near.pop(stored.finding_id, None)

    async def moved(
        self, uri: str, rel: str, text: str
    ) -> tuple[list[StoredFinding], Callable[[], bool]] | None:
        """The findings of `uri` (a file `rel`) moved with its new `text`, and whether
        that result is still the newest; None when it has no published findings."""
        originals = self.by_uri.get(uri)
        if not originals:
            return None
        version = self._versions[uri] = next(self._counter)
        now = await asyncio.to_thread(
            follow, originals, {rel: anchors.split_lines(text)}, dict(self.near)
        )

        def current() -> bool:
            return self._versions.get(uri) == version and self.by_uri.get(uri) is originals

        if current():
            for stored in now:
                self.near[stored.finding_id] = stored.finding.line
        return now, current
