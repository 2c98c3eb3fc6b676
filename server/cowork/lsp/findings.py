"""Review findings as diagnostics (source `cowork`), with their quick fixes.

The diagnostics of a workspace are the findings of its latest finished review
that are not dismissed and are at least `minFindingSeverity`. Each carries
what its code actions need in `data`, so that offering them (on every cursor
move) is pure work: open the finding in the review, dismiss it, apply the
suggested replacement where there is one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from cowork import uris
from cowork.config import Settings
from cowork.engine.engine import TaskEngine
from cowork.engine.model import StoredFinding
from cowork.errors import InputError
from cowork.kinds.findings import MAX_MESSAGE, at_least, confident_enough, shorten
from cowork.lsp.anchors import Followed, follow
from cowork.lsp.server import CoworkServer

log = logging.getLogger(__name__)

SOURCE = "cowork"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


UNKNOWN_END = 2**31 - 1  # a line of unknown length: clients clamp it to the line's end
TITLE_CHARS = 60  # of a finding's message, in the titles of its quick fixes


def _lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def diagnostic(
    stored: StoredFinding,
    lines: list[str] | None,
    codec: PositionCodec,
    anchor: int,
    *,
    related: bool = True,
    described: bool = True,
) -> types.Diagnostic:
    """The diagnostic of a finding. It covers the finding's lines only, from the start of
    the first to the end of the last (as the file is now: `lines`, None when unknown),
    so a cursor on the next line is not on it. `anchor` is the finding's 0-based line
    in its review: what the code's link and the related information point at."""
    f = stored.finding
    start = f.line - 1
    end = max(start, (f.end_line or f.line) - 1)
    if lines is not None:
        end = min(end, len(lines) - 1)
        start = min(start, end)
        end_char = codec.client_num_units(lines[end])
    else:
        end_char = UNKNOWN_END
    full = f.message + (f"\n\n{f.detail}" if f.detail else "")
    href = f"{stored.artifact_uri}#L{anchor + 1}" if stored.artifact_uri else None
    info = None
    if related and stored.artifact_uri:
        where = types.Range(types.Position(anchor, 0), types.Position(anchor, 0))
        location = types.Location(stored.artifact_uri, where)
        info = [types.DiagnosticRelatedInformation(location, full)]
    return types.Diagnostic(
        range=types.Range(types.Position(start, 0), types.Position(end, end_char)),
        message=shorten(f.message, MAX_MESSAGE),
        severity=_SEVERITY[f.severity],
        source=SOURCE,
        code=f.category,
        code_description=types.CodeDescription(href=href) if href and described else None,
        related_information=info,
        data={
            "findingId": stored.finding_id,
            "suggestion": f.suggestion,
            "startLine": start,
            "endLine": end,
        },
    )


def _before(a: types.Position, b: types.Position) -> bool:
    return (a.line, a.character) < (b.line, b.character)


def _overlaps(d: types.Diagnostic, where: types.Range) -> bool:
    return not (_before(d.range.end, where.start) or _before(where.end, d.range.start))


def _finding_data(d: types.Diagnostic) -> dict[str, Any] | None:
    data = d.data if isinstance(d.data, dict) else None
    if d.source != SOURCE or data is None or not isinstance(data.get("findingId"), str):
        return None
    return data


def quick_fixes(
    uri: str, diagnostics: Iterable[types.Diagnostic], where: types.Range
) -> list[types.CodeAction]:
    """The quick fixes of the cowork findings among `diagnostics` that overlap `where`
    (the editor's selection or cursor), those whose lines hold the cursor first. Each
    title names its finding: with several on a line, the user sees which is which."""
    cursor = where.start.line
    mine = [
        (d, data)
        for d in diagnostics
        if (data := _finding_data(d)) is not None and _overlaps(d, where)
    ]
    mine.sort(key=lambda pair: not (pair[0].range.start.line <= cursor <= pair[0].range.end.line))
    out: list[types.CodeAction] = []
    for d, data in mine:
        named = shorten(d.message, TITLE_CHARS)
        arg = {"findingId": data["findingId"]}
        suggestion = data.get("suggestion")
        if isinstance(suggestion, str):
            # Whole lines: "" removes them, other text replaces them.
            text = suggestion if suggestion.endswith("\n") or not suggestion else suggestion + "\n"
            edit = types.TextEdit(
                range=types.Range(
                    types.Position(int(data["startLine"]), 0),
                    types.Position(int(data["endLine"]) + 1, 0),
                ),
                new_text=text,
            )
            out.append(
                types.CodeAction(
                    title=f"Apply the suggested replacement: {named}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    is_preferred=True,
                    edit=types.WorkspaceEdit(changes={uri: [edit]}),
                )
            )
        out.append(
            types.CodeAction(
                title=f'Open "{named}" in the review',
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d],
                command=types.Command("Open in the review", "cowork.openFinding", arguments=[arg]),
            )
        )
        out.append(
            types.CodeAction(
                title=f'Dismiss "{named}"',
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d],
                command=types.Command("Dismiss", "cowork.dismissFinding", arguments=[arg]),
            )
        )
    return out


def line_in_artifact(text: str, stored: StoredFinding) -> int:
    """The 0-based line of the artifact listing the finding (0 when not found)."""
    f = stored.finding
    pattern = re.compile(rf"`{re.escape(f.path)}:{f.line}\b")
    for n, line in enumerate(text.splitlines()):
        if pattern.search(line) and f.message[:40] in line:
            return n
    for n, line in enumerate(text.splitlines()):
        if pattern.search(line):
            return n
    return 0


class Findings:
    """Publishes each workspace's findings and keeps the editor's view in step."""

    def __init__(self, server: CoworkServer) -> None:
        self.server = server
        self._shown: dict[Path, set[str]] = {}  # root -> uris with cowork diagnostics
        self.followed = Followed()  # what moves with the edits of each document
        self._where: dict[str, tuple[Path, str]] = {}  # uri -> (root, relative path)
        self._in_review: dict[str, int] = {}  # finding id -> its line in the review
        self._refreshing: set[str] = set()  # uris whose findings are being moved
        self._again: set[str] = set()  # ... and edited again meanwhile

    async def publish(self, root: Path) -> None:
        server = self.server
        settings = server.settings_for(root)
        shown = [
            stored
            for stored in await server.engine.findings(root)
            if not stored.dismissed
            and at_least(stored.finding.severity, settings.min_finding_severity)
            and confident_enough(stored.finding.confidence, settings.min_finding_confidence)
        ]
        # What the user sees is what the ranges are made from: open documents' text.
        open_texts = {
            rel: server.workspace.text_documents[uri].source
            for rel in {s.finding.path for s in shown}
            if (uri := uris.from_path(root / rel)) in server.workspace.text_documents
        }
        texts, anchors = await asyncio.to_thread(_read_texts, root, shown, open_texts)
        # Each finding where its text is now (moved by edits since the review, saved
        # or not); one whose text is gone is not shown.
        now = await asyncio.to_thread(follow, shown, texts, dict(self.followed.near))
        self._in_review.update(anchors)
        by_uri: dict[str, list[types.Diagnostic]] = {}
        for stored in now:
            uri = uris.from_path(root / stored.finding.path)
            d = self._diagnostic(stored, texts.get(stored.finding.path))
            by_uri.setdefault(uri, []).append(d)
        self.followed.forget(self._shown.get(root, set()))
        for rel in {s.finding.path for s in shown}:
            uri = uris.from_path(root / rel)
            self._where[uri] = (root, rel)
            originals = [s for s in shown if s.finding.path == rel]
            self.followed.remember(uri, originals, [s for s in now if s.finding.path == rel])
            by_uri.setdefault(uri, [])  # all its findings' text may be gone
        for uri in self._shown.get(root, set()) - set(by_uri):
            self._send(uri, [])
        for uri, diagnostics in by_uri.items():
            self._send(uri, diagnostics)
        self._shown[root] = set(by_uri)

    def _diagnostic(self, stored: StoredFinding, lines: list[str] | None) -> types.Diagnostic:
        server = self.server
        return diagnostic(
            stored,
            lines,
            server.workspace.position_codec,
            self._in_review.get(stored.finding_id, 0),
            related=server.supports("text_document.publish_diagnostics.related_information"),
            described=server.supports("text_document.publish_diagnostics.code_description_support"),
        )

    def edited(self, uri: str) -> None:
        """A document was edited (or closed: its text is the saved file's again)."""
        if not self.followed.by_uri.get(uri):
            return
        if uri in self._refreshing:
            self._again.add(uri)  # one more pass once this one ends: edits coalesce
            return
        self._refreshing.add(uri)
        self.server.spawn(self._refresh_until_settled(uri), "move findings with their lines")

    async def _refresh_until_settled(self, uri: str) -> None:
        try:
            while True:
                self._again.discard(uri)
                await self._refresh(uri)
                if uri not in self._again:
                    return
        finally:
            self._refreshing.discard(uri)

    async def _refresh(self, uri: str) -> None:
        where = self._where.get(uri)
        if where is None:
            return
        root, rel = where
        document = self.server.workspace.text_documents.get(uri)
        if document is not None:
            text: str | None = document.source
        else:
            text = await asyncio.to_thread(_saved_text, root / rel)
        if text is None:
            return
        result = await self.followed.moved(uri, rel, text)
        if result is None:
            return
        now, current = result
        if not current():
            return  # a newer edit, or a new review, is being shown instead
        lines = _lines(text)
        self._send(uri, [self._diagnostic(s, lines) for s in now])

    def _send(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    async def publish_all(self) -> None:
        for root in self.server.workspace_roots():
            await self.publish(root)

    async def open(self, finding_id: str) -> dict[str, Any]:
        stored = await self.server.engine.finding(finding_id)
        if not stored.artifact_uri:
            raise InputError(f"finding {finding_id!r} has no review document")
        path = uris.to_path(stored.artifact_uri)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
        except OSError:
            raise InputError(f"the review document {path} is gone") from None
        line = line_in_artifact(text, stored)
        where = types.Range(types.Position(line, 0), types.Position(line, 0))
        if self.server.supports("window.show_document.support"):
            await self.server.window_show_document_async(
                types.ShowDocumentParams(uri=stored.artifact_uri, take_focus=True, selection=where)
            )
        else:
            self.server.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Info,
                    message=f"cowork: finding {finding_id} is at {path}:{line + 1}",
                )
            )
        return {"uri": stored.artifact_uri, "line": line}


def _saved_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _read_texts(
    root: Path, shown: list[StoredFinding], open_texts: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """(the lines of each file with findings, each finding's line in its review).
    Reads files: call off the event loop."""
    texts: dict[str, list[str]] = {}
    for rel in sorted({s.finding.path for s in shown}):
        text = open_texts.get(rel)
        if text is None:
            try:
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # gone or unreadable: the ranges run to the end of the line anyway
        texts[rel] = _lines(text)
    anchors: dict[str, int] = {}
    reviews: dict[str, str | None] = {}
    for stored in shown:
        uri = stored.artifact_uri
        if not uri:
            continue
        if uri not in reviews:
            try:
                reviews[uri] = uris.to_path(uri).read_text(encoding="utf-8")
            except (OSError, InputError):
                reviews[uri] = None
        review = reviews[uri]
        if review is not None:
            anchors[stored.finding_id] = line_in_artifact(review, stored)
    return texts, anchors


def register(server: CoworkServer) -> None:
    findings = Findings(server)
    server.findings = findings

    def changed(root: Path) -> None:
        server.spawn(findings.publish(root), "publish findings")

    def subscribe(engine: TaskEngine) -> None:
        engine.on_findings(changed)

    server.when_engine_starts(subscribe)
    server.documents.changed.append(findings.edited)
    server.documents.closed.append(findings.edited)

    def settings_changed(old: Settings, new: Settings) -> None:
        # A folder's own minFindingSeverity may have changed, not only the window's.
        server.spawn(findings.publish_all(), "publish findings")

    server.when_settings_change(settings_changed)
