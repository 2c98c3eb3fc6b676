"""Diagnostics on the team's files under `.cowork/`: the rules (`rules.md`) and the
brief templates (`briefs/templates/<kind>.md`). Each is linted when opened and as it
is edited (pure text work, off the event loop); a section or template that is not
valid is not used, and its diagnostic says so."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types

from cowork import templates, uris
from cowork.artifacts import COWORK_DIR
from cowork.errors import InputError
from cowork.kinds import rules
from cowork.lsp.findings import SOURCE
from cowork.lsp.server import CoworkServer

Issue = tuple[int, types.DiagnosticSeverity, str, str]  # (0-based line, severity, code, message)


def linter(uri: str) -> Callable[[str], list[Issue]] | None:
    """How to lint the document at `uri`, when it is a rules file or a brief template."""
    try:
        path = uris.to_path(uri)
    except InputError:
        return None
    if path.suffix != ".md":
        return None
    if path.name == Path(rules.RULES_FILE).name and path.parent.name == COWORK_DIR:
        return _rules
    parents = [p.name for p in path.parents][:3]
    if parents == ["templates", "briefs", COWORK_DIR]:
        return lambda text: _template(text, path.name)
    return None


def _rules(text: str) -> list[Issue]:
    _, issues = rules.parse(text)
    what = "This section is skipped (the other rules still apply): "
    return [(i.line, types.DiagnosticSeverity.Warning, i.code, what + i.message) for i in issues]


def _template(text: str, name: str) -> list[Issue]:
    return [
        (i.line, types.DiagnosticSeverity.Error, i.code, i.message)
        for i in templates.lint(text, name)
    ]


class TeamFiles:
    def __init__(self, server: CoworkServer) -> None:
        self.server = server
        self._versions: dict[str, int] = {}  # newest lint started, per uri
        self._lints = itertools.count(1)

    def edited(self, uri: str) -> None:
        if linter(uri) is not None:
            self.server.spawn(self._lint(uri), "lint a team file")

    def closed(self, uri: str) -> None:
        if linter(uri) is not None:
            self._versions.pop(uri, None)  # a lint still under way is dropped
            self._send(uri, [])

    async def _lint(self, uri: str) -> None:
        lint = linter(uri)
        document = self.server.workspace.text_documents.get(uri)
        if lint is None or document is None:
            return
        version = self._versions[uri] = next(self._lints)
        issues = await asyncio.to_thread(lint, document.source)
        if self._versions.get(uri) != version:
            return  # a newer edit's lint, or the document was closed
        self._send(
            uri,
            [
                types.Diagnostic(
                    range=types.Range(types.Position(line, 0), types.Position(line + 1, 0)),
                    message=message,
                    severity=severity,
                    source=SOURCE,
                    code=code,
                )
                for line, severity, code, message in issues
            ],
        )

    def _send(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )


def register(server: CoworkServer) -> None:
    files = TeamFiles(server)
    server.documents.opened.append(files.edited)
    server.documents.changed.append(files.edited)
    server.documents.saved.append(files.edited)
    server.documents.closed.append(files.closed)
