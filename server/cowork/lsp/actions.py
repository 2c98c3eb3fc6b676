"""Code actions offered on a file: hand it (or the branch it is on) off to cowork, and
the quick fixes of review findings shown as diagnostics.

The hand-offs are offered twice over, once per kind, where each kind of client looks:
as `refactor.cowork.*`, which VS Code shows in the lightbulb and under Ctrl+., and as
`source.cowork.*`, VS Code's "Source Action…" menu. A request's `only` picks the
kinds (hierarchically: `refactor` takes `refactor.cowork.summarize`); a request
without `only` (Neovim, Helix, Emacs show whatever comes) gets each hand-off once.
"""

from __future__ import annotations

from lsprotocol import types

from cowork import uris
from cowork.errors import InputError
from cowork.lsp.findings import quick_fixes
from cowork.lsp.server import CoworkServer

REFACTOR = f"{types.CodeActionKind.Refactor.value}.cowork"
SOURCE = f"{types.CodeActionKind.Source.value}.cowork"
QUICKFIX = types.CodeActionKind.QuickFix.value

# (title, kind suffix, command); the argument is made by `_argument`
_HANDOFFS: tuple[tuple[str, str, str], ...] = (
    ("Summarize this module", "summarize", "cowork.summarizeModule"),
    ("Review this branch's changes", "review", "cowork.reviewChanges"),
    ("Draft docs for this change", "docs", "cowork.draftDocs"),
    ("Add to an architecture brief", "architecture", "cowork.newBrief"),
    ("New brief for this module", "brief", "cowork.newBrief"),
)


def _argument(kind: str, uri: str) -> dict[str, object]:
    if kind == "architecture":
        return {"kind": "architecture", "uris": [uri]}
    if kind == "brief":
        return {"kind": "summarize", "uris": [uri]}
    return {"uri": uri}


def actions_for(uri: str, family: str = REFACTOR) -> list[types.CodeAction]:
    """The hand-offs of the file at `uri`, as code actions of kind `family`.*."""
    return [
        types.CodeAction(
            title=f"cowork: {title}",
            kind=f"{family}.{kind}",
            command=types.Command(title=title, command=command, arguments=[_argument(kind, uri)]),
        )
        for title, kind, command in _HANDOFFS
    ]


def _wanted(kind: str, only: list[str]) -> bool:
    """Whether an action of `kind` answers a request for `only` (kinds are hierarchical:
    `refactor` asks for `refactor.cowork.summarize`; the empty kind asks for all)."""
    return any(k == "" or kind == k or kind.startswith(f"{k}.") for k in only)


def offered(
    uri: str, diagnostics: list[types.Diagnostic], where: types.Range, only: list[str] | None
) -> list[types.CodeAction]:
    """The code actions for a request on `uri`: the findings' quick fixes, then the
    hand-offs of each kind asked for (without `only`, each hand-off once)."""
    fixes = quick_fixes(uri, diagnostics, where)
    if not only:
        return fixes + actions_for(uri, REFACTOR)
    out = [a for a in fixes if _wanted(QUICKFIX, only)]
    for family in (REFACTOR, SOURCE):
        out += [a for a in actions_for(uri, family) if a.kind and _wanted(a.kind, only)]
    return out


def register(server: CoworkServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[QUICKFIX, REFACTOR, SOURCE]),
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
        only = [getattr(k, "value", k) for k in params.context.only or ()] or None
        return offered(uri, list(params.context.diagnostics), params.range, only)
