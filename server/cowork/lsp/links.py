"""Citations on an open artifact: each `path:line` it cites is a document link that
opens the file at that line, and each one marked `⚠ not found` (when it was
written: `engine/citecheck.py`) is a warning diagnostic (code
`citation-not-found`).

Only artifacts (`<folder>/.cowork/artifacts/*.md`) get either; other documents
are answered with no links at once. The text is scanned off the event loop.
A link is offered only for a file that exists in the workspace now (no link
leads out of it, through `..`, an absolute path or a symlink).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from cowork import citations, uris
from cowork.engine.citecheck import inside, normal
from cowork.lsp import artifact_diagnostics
from cowork.lsp.documents import open_artifact
from cowork.lsp.findings import SOURCE
from cowork.lsp.server import CoworkServer

log = logging.getLogger(__name__)

CODE = "citation-not-found"
MAX_LINKS = 1000  # per artifact: more are of no use to a reader, and cost the editor
MAX_DIAGNOSTICS = 200
MAX_PATHS = 500  # distinct files looked up per scan


class _Positions:
    """Offsets of a text as LSP positions, in the client's units."""

    def __init__(self, text: str, codec: PositionCodec) -> None:
        self.text = text
        self.codec = codec
        self.starts = [0]
        at = text.find("\n")
        while at >= 0:
            self.starts.append(at + 1)
            at = text.find("\n", at + 1)

    def at(self, offset: int) -> types.Position:
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return types.Position(line, self.codec.client_num_units(self.text[start:offset]))

    def range(self, start: int, stop: int) -> types.Range:
        return types.Range(self.at(start), self.at(stop))


@dataclass(frozen=True)
class Scan:
    links: list[types.DocumentLink]
    diagnostics: list[types.Diagnostic]


def target(file_uri: str, line: int, end: int | None) -> str:
    """The link's target: the file's URI with the line (range) VS Code opens it at."""
    return f"{file_uri}#L{line}" + (f"-L{end}" if end else "")


def scan(root: Path, text: str, codec: PositionCodec) -> Scan:
    """The links and diagnostics of an artifact's text (reads no file but `stat`s the
    cited ones): call off the event loop."""
    start, stop = citations.answer_span(text)
    cites = citations.find(text, start, stop)
    where = _Positions(text, codec)
    base = os.path.realpath(root)
    exists: dict[str, str | None] = {}  # cited path -> its URI, when a file of the workspace
    links: list[types.DocumentLink] = []
    diagnostics: list[types.Diagnostic] = []
    invalid = [c for c in cites if c.marked is not None]
    for c in invalid[:MAX_DIAGNOSTICS]:
        why = f" ({c.marked})" if c.marked else ""
        mark = len(citations.mark_text(c.marked)) if c.marked else len(citations.MARK) + 1
        diagnostics.append(
            types.Diagnostic(
                range=where.range(c.start, c.stop + mark),
                message=f"Citation not found: {c.where}{why}",
                severity=types.DiagnosticSeverity.Warning,
                source=SOURCE,
                code=CODE,
            )
        )
    if len(invalid) > MAX_DIAGNOSTICS:
        last = invalid[MAX_DIAGNOSTICS]
        diagnostics.append(
            types.Diagnostic(
                range=where.range(last.start, last.stop),
                message=f"{len(invalid) - MAX_DIAGNOSTICS} more citations not found are not "
                "shown (search the artifact for ⚠)",
                severity=types.DiagnosticSeverity.Information,
                source=SOURCE,
                code=CODE,
            )
        )
    valid = [c for c in cites if c.marked is None]
    for c in valid:
        if len(links) >= MAX_LINKS:
            break
        if c.path not in exists:
            rel = normal(c.path)
            ok = len(exists) < MAX_PATHS and rel is not None and inside(root, rel, base) is True
            is_file = ok and rel is not None and (root / rel).is_file()
            exists[c.path] = uris.from_path(root / rel) if is_file and rel is not None else None
        file_uri = exists[c.path]
        if file_uri is None:
            continue
        links.append(
            types.DocumentLink(
                range=where.range(c.start, c.stop),
                target=target(file_uri, c.line, c.end),
                tooltip=f"Open {c.path} at line {c.line}",
            )
        )
    if len(links) >= MAX_LINKS and len(valid) > MAX_LINKS:
        log.info("artifact cites %d locations: only the first %d are links", len(valid), MAX_LINKS)
    return Scan(links, diagnostics)


class Links:
    def __init__(self, server: CoworkServer) -> None:
        self.server = server
        self._scans = itertools.count(1)
        self._newest: dict[str, int] = {}  # uri -> the newest scan started
        self._last: dict[str, tuple[int, Scan]] = {}  # uri -> (document version, its scan)

    def opened_or_changed(self, uri: str) -> None:
        if open_artifact(self.server, uri) is not None:
            n = next(self._scans)
            self._newest[uri] = n
            self.server.spawn(self._publish(uri, n), "check an artifact's citations")

    def closed(self, uri: str) -> None:
        self._last.pop(uri, None)
        if self._newest.pop(uri, None) is not None:
            artifact_diagnostics.of(self.server).set(uri, CODE, [])

    async def _scan(self, uri: str) -> Scan | None:
        """The scan of the artifact as the editor has it (None: not an open artifact);
        one per version of the document: the links and the warnings share it."""
        found = open_artifact(self.server, uri)
        if found is None:
            return None
        root, text = found
        document = self.server.workspace.text_documents.get(uri)
        version = document.version if document is not None else None
        last = self._last.get(uri)
        if last is not None and version is not None and last[0] == version:
            return last[1]
        codec = self.server.workspace.position_codec
        result = await asyncio.to_thread(scan, root, text, codec)
        if version is not None and uri in self.server.workspace.text_documents:
            self._last[uri] = (version, result)
        return result

    async def links(self, uri: str) -> list[types.DocumentLink]:
        result = await self._scan(uri)
        return result.links if result is not None else []

    async def _publish(self, uri: str, n: int) -> None:
        result = await self._scan(uri)
        if result is not None and self._newest.get(uri) == n:  # not closed nor edited since
            artifact_diagnostics.of(self.server).set(uri, CODE, result.diagnostics)


def register(server: CoworkServer) -> None:
    links = Links(server)
    server.documents.opened.append(links.opened_or_changed)
    server.documents.changed.append(links.opened_or_changed)
    server.documents.closed.append(links.closed)

    @server.feature(
        types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkOptions(resolve_provider=False)
    )
    async def document_link(params: types.DocumentLinkParams) -> list[types.DocumentLink]:
        return await links.links(params.text_document.uri)
