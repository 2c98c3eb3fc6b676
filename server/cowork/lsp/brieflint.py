"""Brief documents in the editor: lint diagnostics, and a code lens with what the
brief would send (tokens of the budget, estimated input cost) and a dispatch.

A brief is any Markdown document in `<folder>/.cowork/briefs/`. It is linted
as it is edited (pure text work, off the event loop). Its context is gathered
as a task would gather it when it is opened and whenever it is saved, in the
same gathering processes; the code lens shows the latest estimate, and the
client is asked to refresh its lenses when a new one is ready.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

from lsprotocol import types

from cowork import brieflint, uris
from cowork.artifacts import COWORK_DIR
from cowork.brief import Brief
from cowork.config import Settings
from cowork.engine.model import Estimate
from cowork.errors import CoworkError, InputError
from cowork.lsp.findings import SOURCE
from cowork.lsp.server import CoworkServer
from cowork.lsp.settings import settled

log = logging.getLogger(__name__)

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
}


def brief_root(uri: str) -> Path | None:
    """The workspace folder of the brief document at `uri`, else None."""
    try:
        path = uris.to_path(uri)
    except InputError:
        return None
    if path.suffix != ".md" or path.parent.name != "briefs":
        return None
    if path.parent.parent.name != COWORK_DIR:
        return None
    return path.parent.parent.parent


def lens_title(estimate: Estimate) -> str:
    """'~14,810 of 60,000 tokens · est. $0.044 input (claude-sonnet-…)'."""
    title = f"~{estimate.tokens:,} of {estimate.budget:,} tokens"
    if estimate.cuts:
        title += f", {len(estimate.cuts)} parts cut"
    if estimate.provider == "offline":
        return title + " · offline: no model, no cost"
    if estimate.input_cost_usd is None:
        return title + f" · no price known for {estimate.model}"
    return title + f" · est. ${estimate.input_cost_usd:.3f} input ({estimate.model})"


class Briefs:
    def __init__(self, server: CoworkServer) -> None:
        self.server = server
        self._estimates: dict[str, Estimate | str] = {}  # uri -> estimate, or why none
        self._issues: dict[str, list[brieflint.BriefIssue]] = {}
        self._versions: dict[str, int] = {}  # newest lint started, per uri
        self._lints = itertools.count(1)

    def _text(self, uri: str) -> str | None:
        document = self.server.workspace.text_documents.get(uri)
        return document.source if document is not None else None

    def edited(self, uri: str) -> None:
        if brief_root(uri) is not None:
            self.server.spawn(self._lint(uri), "lint a brief")

    def opened_or_saved(self, uri: str) -> None:
        if brief_root(uri) is not None:
            self.server.spawn(self._lint(uri), "lint a brief")
            self.server.spawn(self._estimate(uri), "estimate a brief")

    def estimate_all(self) -> None:
        """Estimate every open brief again (the settings changed)."""
        for uri in list(self._issues):
            self.server.spawn(self._estimate(uri), "estimate a brief")

    def closed(self, uri: str) -> None:
        if brief_root(uri) is not None:
            self._estimates.pop(uri, None)
            self._issues.pop(uri, None)
            self._versions.pop(uri, None)  # a lint still under way is dropped
            self._publish(uri)

    async def _lint(self, uri: str) -> None:
        root, text = brief_root(uri), self._text(uri)
        if root is None or text is None:
            return
        version = self._versions[uri] = next(self._lints)
        issues = await asyncio.to_thread(brieflint.lint, text, root)
        if self._versions.get(uri) == version and self._text(uri) is not None:
            self._issues[uri] = issues  # the newest edit's: a slower older lint is dropped
            self._publish(uri)

    async def _estimate(self, uri: str) -> None:
        root, text = brief_root(uri), self._text(uri)
        if root is None or text is None:
            return
        await settled(self.server)  # a budget or model just set applies to the estimate
        engine = await self.server.engine_started()
        try:
            brief = Brief.from_markdown(text)
            request = engine.prepare(brief.kind, root, brief.params, brief=brief, brief_uri=uri)
            estimate: Estimate | str = await engine.estimate(
                request, brief, self.server.overlays(root)
            )
        except CoworkError as exc:
            estimate = str(exc)  # the lint says what is wrong; the lens says it cannot tell
        if self._text(uri) is None:
            return  # closed meanwhile
        self._estimates[uri] = estimate
        self._publish(uri)
        if self.server.supports("workspace.code_lens.refresh_support"):
            try:
                await self.server.workspace_code_lens_refresh_async(None)
            except Exception as exc:  # the client's answer does not matter to us
                log.debug("workspace/codeLens/refresh: %s", exc)

    def _publish(self, uri: str) -> None:
        diagnostics = [
            types.Diagnostic(
                range=types.Range(types.Position(i.line, 0), types.Position(i.line + 1, 0)),
                message=i.message,
                severity=_SEVERITY[i.severity],
                source=SOURCE,
                code=i.code,
            )
            for i in self._issues.get(uri, [])
        ]
        estimate = self._estimates.get(uri)
        if isinstance(estimate, str) and not self._issues.get(uri):
            # The brief reads well, yet a task could not gather for it (the brief alone
            # over the budget, a base that does not exist): the task would fail so.
            diagnostics.append(
                types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(1, 0)),
                    message=f"This brief would fail: {estimate}",
                    severity=types.DiagnosticSeverity.Warning,
                    source=SOURCE,
                    code="brief-would-fail",
                )
            )
        if isinstance(estimate, Estimate) and estimate.cuts:
            shown = ", ".join(estimate.cuts[:3]) + (" …" if len(estimate.cuts) > 3 else "")
            diagnostics.append(
                types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(1, 0)),
                    message=(
                        f"Context over budget: {len(estimate.cuts)} parts would be cut to fit "
                        f"the {estimate.budget:,}-token budget ({shown}). Narrow the Context, "
                        "or raise cowork.contextBudgetTokens."
                    ),
                    severity=types.DiagnosticSeverity.Warning,
                    source=SOURCE,
                    code="brief-over-budget",
                )
            )
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def lenses(self, uri: str) -> list[types.CodeLens]:
        if brief_root(uri) is None:
            return []
        top = types.Range(types.Position(0, 0), types.Position(0, 0))
        estimate = self._estimates.get(uri)
        if estimate is None:
            what = "estimating the context…"
        elif isinstance(estimate, str):
            what = "no estimate: see the brief's problems"
        else:
            what = lens_title(estimate)
        return [
            types.CodeLens(
                range=top,
                command=types.Command(
                    "▶ Dispatch this brief", "cowork.dispatchBrief", arguments=[{"uri": uri}]
                ),
            ),
            # A lens whose command is empty is shown as text, not a link.
            types.CodeLens(range=top, command=types.Command(what, "")),
        ]


def register(server: CoworkServer) -> None:
    briefs = Briefs(server)
    server.documents.opened.append(briefs.opened_or_saved)
    server.documents.saved.append(briefs.opened_or_saved)
    server.documents.changed.append(briefs.edited)
    server.documents.closed.append(briefs.closed)

    def settings_changed(old: Settings, new: Settings) -> None:
        # The budget, model, prices, provider or exclusions change what a brief costs
        # (called when the window's settings or a folder's own changed).
        briefs.estimate_all()

    server.when_settings_change(settings_changed)
    server.documents.lenses.append(briefs.lenses)
