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

from cowork import uris
from cowork.config import Settings
from cowork.engine.engine import TaskEngine
from cowork.engine.model import StoredFinding
from cowork.errors import InputError
from cowork.kinds.findings import at_least
from cowork.lsp.server import CoworkServer

log = logging.getLogger(__name__)

SOURCE = "cowork"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def diagnostic(stored: StoredFinding) -> types.Diagnostic:
    f = stored.finding
    start = f.line - 1
    end = (f.end_line or f.line) - 1
    return types.Diagnostic(
        # Whole lines: the start of the line after the last, valid in every client.
        range=types.Range(types.Position(start, 0), types.Position(end + 1, 0)),
        message=f.message,
        severity=_SEVERITY[f.severity],
        source=SOURCE,
        code=stored.finding_id,
        code_description=types.CodeDescription(href=stored.artifact_uri)
        if stored.artifact_uri
        else None,
        data={
            "findingId": stored.finding_id,
            "suggestion": f.suggestion,
            "startLine": start,
            "endLine": end,
        },
    )


def quick_fixes(uri: str, diagnostics: Iterable[types.Diagnostic]) -> list[types.CodeAction]:
    """The code actions of the cowork diagnostics among `diagnostics`."""
    out: list[types.CodeAction] = []
    for d in diagnostics:
        data = d.data if isinstance(d.data, dict) else None
        if d.source != SOURCE or data is None or not isinstance(data.get("findingId"), str):
            continue
        arg = {"findingId": data["findingId"]}
        suggestion = data.get("suggestion")
        if isinstance(suggestion, str):
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
                    title="cowork: Apply the suggested replacement",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    is_preferred=True,
                    edit=types.WorkspaceEdit(changes={uri: [edit]}),
                )
            )
        out.append(
            types.CodeAction(
                title="cowork: Open this finding in the review",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d],
                command=types.Command("Open in the review", "cowork.openFinding", arguments=[arg]),
            )
        )
        out.append(
            types.CodeAction(
                title="cowork: Dismiss this finding",
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

    async def publish(self, root: Path) -> None:
        engine = self.server.engine
        minimum = self.server.settings.min_finding_severity
        by_uri: dict[str, list[types.Diagnostic]] = {}
        for stored in await engine.findings(root):
            if stored.dismissed or not at_least(stored.finding.severity, minimum):
                continue
            uri = uris.from_path(root / stored.finding.path)
            by_uri.setdefault(uri, []).append(diagnostic(stored))
        for uri in self._shown.get(root, set()) - set(by_uri):
            self._send(uri, [])
        for uri, diagnostics in by_uri.items():
            self._send(uri, diagnostics)
        self._shown[root] = set(by_uri)

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


def register(server: CoworkServer) -> None:
    findings = Findings(server)
    server.findings = findings

    def changed(root: Path) -> None:
        server.spawn(findings.publish(root), "publish findings")

    def subscribe(engine: TaskEngine) -> None:
        engine.on_findings(changed)

    server.when_engine_starts(subscribe)

    def settings_changed(old: Settings, new: Settings) -> None:
        if new.min_finding_severity != old.min_finding_severity:
            server.spawn(findings.publish_all(), "publish findings")

    server.when_settings_change(settings_changed)
