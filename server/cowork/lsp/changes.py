"""A proposed change, from its worktree to the user's tree: `cowork.applyChange` sends
the edits as one `workspace/applyEdit` the editor can undo; `cowork.discardChange`
removes the worktree and branch. Code lenses on the change's artifact offer both.

The edits are applied to the files as the editor has them now (unsaved text
included): each edit's search text must still occur exactly once, so a file that
changed elsewhere takes the change, and one that changed where it applies is
refused with a message naming it.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from cowork import artifacts, uris
from cowork.context import edits as edit_rules
from cowork.context.privacy import Exclusions
from cowork.errors import InputError
from cowork.lsp.commands import an_id, clear_errors
from cowork.lsp.documents import TOP, open_artifact
from cowork.lsp.server import CoworkServer

APPLY, DISCARD = "cowork.applyChange", "cowork.discardChange"
_TASK_ID = re.compile(r"^taskId:\s*'?([0-9a-f]{6,32})'?\s*$", re.M)
_KIND_CHANGE = re.compile(r"^kind:\s*change\s*$", re.M)


def _current(ls: CoworkServer, root: Path, rel: str) -> str | None:
    """`rel` as the user sees it: the open document's text, else the file (None: none)."""
    uri = uris.from_path(root / rel)
    document = ls.workspace.text_documents.get(uri)
    if document is not None and document.version is not None:
        return str(document.source)
    return edit_rules.read_text(root)(rel)


def _text_edits(before: str, after: str) -> list[types.TextEdit]:
    """The smallest line-wise edits from `before` to `after`, in `before`'s positions."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    out = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        out.append(
            types.TextEdit(
                range=types.Range(_position(old, i1), _position(old, i2)),
                new_text="".join(new[j1:j2]),
            )
        )
    return out


def _position(lines: list[str], index: int) -> types.Position:
    """The start of line `index` (or the end of a last line without a newline)."""
    if index < len(lines) or not lines or lines[-1].endswith("\n"):
        return types.Position(line=index, character=0)
    return types.Position(line=len(lines) - 1, character=len(lines[-1]))


def _workspace_edit(
    ls: CoworkServer, root: Path, files: dict[str, tuple[str | None, str]]
) -> tuple[types.WorkspaceEdit, list[str]]:
    """The edit for the editor, and the new files it cannot create itself (written
    directly when the client has no resource operations)."""
    can_create = "create" in (
        ls.capability("workspace.workspace_edit.resource_operations", None) or []
    )
    with_versions = ls.supports("workspace.workspace_edit.document_changes")
    changes: list[Any] = []
    plain: dict[str, list[types.TextEdit]] = {}
    direct: list[str] = []
    for rel, (before, after) in sorted(files.items()):
        uri = uris.from_path(root / rel)
        if before is None:
            if not (with_versions and can_create):
                direct.append(rel)
                continue
            changes.append(types.CreateFile(uri=uri, kind="create"))
            edits = [types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), after)]
        else:
            edits = _text_edits(before, after)
        if with_versions:
            document = ls.workspace.text_documents.get(uri)
            version = document.version if document is not None else None
            changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(uri, version),
                    edits=list(edits),
                )
            )
        else:
            plain[uri] = edits
    if with_versions:
        return types.WorkspaceEdit(document_changes=changes), direct
    return types.WorkspaceEdit(changes=plain), direct


async def apply(ls: CoworkServer, task_id: str) -> dict[str, Any]:
    await ls.engine.loaded()
    task = ls.engine.get(task_id)
    root = Path(task.request.workspace)
    pending = await ls.engine.proposed(task_id)
    exclusions = Exclusions(ls.settings.exclude)

    def prepare() -> edit_rules.Planned:
        def refuse(rel: str) -> str | None:
            return edit_rules.refuse_path(root, rel, exclusions)

        return edit_rules.plan(pending.edits, lambda rel: _current(ls, root, rel), refuse)

    planned = await asyncio.to_thread(prepare)
    if planned.refused:
        first = planned.refused[0]
        raise InputError(
            f"not applied: `{first.path}` changed since the change was proposed, where edit "
            f"{first.index} applies ({first.why}). Nothing was changed; the patch is still "
            f"on branch {pending.branch}: merge it by hand, or discard it."
        )
    edit, direct = _workspace_edit(ls, root, planned.files)
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=f"cowork: {task.title}")
    )
    if not result.applied:
        why = result.failure_reason or "no reason given"
        raise InputError(f"the editor did not apply the change ({why}); the branch is kept")
    for rel in direct:  # new files the editor could not create itself
        path = root / rel
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(artifacts.write_atomic, path, planned.files[rel][1])
    await ls.engine.discard_change(task_id)
    return {"taskId": task_id, "applied": True, "files": sorted(planned.files)}


def lenses(ls: CoworkServer, uri: str) -> list[types.CodeLens]:
    """On a change's artifact while its patch is pending: apply, the branch, discard."""
    opened = open_artifact(ls, uri)
    if opened is None:
        return []
    root, text = opened
    head = text[:4000]
    found = _TASK_ID.search(head)
    if found is None or not _KIND_CHANGE.search(head):
        return []
    task_id = found.group(1)
    from cowork.engine.change_flow import state_file

    if not state_file(root, task_id).exists():
        return []
    arg = [{"taskId": task_id}]
    return [
        types.CodeLens(
            range=TOP, command=types.Command("✓ Apply to working tree", APPLY, arguments=arg)
        ),
        types.CodeLens(
            range=TOP,
            command=types.Command(f"⎇ .cowork/worktrees/{task_id}", ""),  # the branch, as text
        ),
        types.CodeLens(range=TOP, command=types.Command("✗ Discard", DISCARD, arguments=arg)),
    ]


def register(server: CoworkServer) -> None:
    server.documents.lenses.append(lambda uri: lenses(server, uri))

    @server.command(APPLY)
    @clear_errors
    async def apply_change(ls: CoworkServer, *args: Any) -> dict[str, Any]:
        return await apply(ls, an_id(APPLY, args, "taskId"))

    @server.command(DISCARD)
    @clear_errors
    async def discard_change(ls: CoworkServer, *args: Any) -> dict[str, Any]:
        task_id = an_id(DISCARD, args, "taskId")
        await ls.engine.loaded()
        existed = await ls.engine.discard_change(task_id)
        return {"taskId": task_id, "discarded": existed}
