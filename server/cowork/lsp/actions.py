"""Code actions offered on a file: hand it (or the branch it is on) off to cowork, and
the quick fixes of review findings shown as diagnostics."""

from __future__ import annotations

from lsprotocol import types

from cowork import uris
from cowork.errors import InputError
from cowork.lsp.findings import quick_fixes
from cowork.lsp.server import CoworkServer

SOURCE = types.CodeActionKind.Source.value


def actions_for(uri: str) -> list[types.CodeAction]:
    def action(title: str, kind: str, command: str, arg: dict[str, object]) -> types.CodeAction:
        return types.CodeAction(
            title=f"cowork: {title}",
            kind=f"{SOURCE}.cowork.{kind}",
            command=types.Command(title=title, command=command, arguments=[arg]),
        )

    return [
        action("Summarize this module", "summarize", "cowork.summarizeModule", {"uri": uri}),
        action("Review this branch's changes", "review", "cowork.reviewChanges", {"uri": uri}),
        action("Draft docs for this change", "docs", "cowork.draftDocs", {"uri": uri}),
        action(
            "Add to an architecture brief",
            "architecture",
            "cowork.newBrief",
            {"kind": "architecture", "uris": [uri]},
        ),
        action(
            "New brief for this module",
            "brief",
            "cowork.newBrief",
            {"kind": "summarize", "uris": [uri]},
        ),
    ]


def register(server: CoworkServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.Source, types.CodeActionKind.QuickFix]
        ),
    )
    def code_actions(ls: CoworkServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        # Pure string work: this runs on every cursor move and must stay fast.
        uri = params.text_document.uri
        if not uri.startswith("file:"):
            return []
        try:
            ls.root_for(uris.to_path(uri))
        except InputError:
            return []
        offered = quick_fixes(uri, params.context.diagnostics) + actions_for(uri)
        only = params.context.only
        if only:
            offered = [
                a
                for a in offered
                if any(a.kind and (a.kind == k or a.kind.startswith(f"{k}.")) for k in only)
            ]
        return offered
