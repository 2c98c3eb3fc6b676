"""cowork.newBrief and cowork.dispatchBrief: briefs as documents in .cowork/briefs/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types

from cowork import artifacts, kinds, templates, uris
from cowork.brief import Brief
from cowork.errors import InputError
from cowork.lsp.commands import a_uri, check_keys, clear_errors, one_object
from cowork.lsp.server import CoworkServer
from cowork.lsp.settings import settled

# What a new brief starts from when the command did not say.
_PLACEHOLDERS: dict[str, dict[str, Any]] = {
    "research": {"question": "What should we decide? (write the question here)"},
    "change": {"goal": "What must the change achieve? (write the goal here)"},
}


def _brief_params(kind: str, uri_list: list[str]) -> dict[str, Any]:
    params = dict(_PLACEHOLDERS.get(kind, {}))
    if kind == "summarize":
        if not uri_list:
            raise InputError("a summarize brief needs one file in 'uris'")
        params["uri"] = uri_list[0]
    elif uri_list:
        params["uris"] = uri_list
    return params


def _write_brief(root: Path, brief: Brief, name: str, add_uris: list[str]) -> Path:
    brief = templates.apply(brief, root)  # the team's template for the kind, if any
    folder = artifacts.cowork_dir(root) / "briefs"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.md"
    if path.exists() and add_uris:
        # "Add to an architecture brief": extend the draft that is already there.
        existing = Brief.from_markdown(path.read_text(encoding="utf-8"))
        known = list(existing.params.get("uris") or [])
        for uri in add_uris:
            if uri not in known:
                known.append(uri)
                existing.context.append(artifacts_rel(root, uri))
        existing.params["uris"] = known
        brief = existing
    elif path.exists():
        return path
    artifacts.write_atomic(path, brief.to_markdown())
    return path


def artifacts_rel(root: Path, uri: str) -> str:
    try:
        return uris.to_path(uri).resolve().relative_to(root).as_posix() or "."
    except ValueError:
        return uri


def register(server: CoworkServer) -> None:
    @server.command("cowork.newBrief")
    @clear_errors
    async def new_brief(ls: CoworkServer, *args: Any) -> dict[str, str]:
        arg = one_object("cowork.newBrief", args)
        check_keys("cowork.newBrief", arg, frozenset({"kind", "uris"}))
        kind = arg.get("kind")
        if not isinstance(kind, str):
            raise InputError(f"cowork.newBrief needs a 'kind': one of {', '.join(kinds.KINDS)}")
        spec = kinds.get(kind)
        uri_list = arg.get("uris") or []
        if not isinstance(uri_list, list) or not all(isinstance(u, str) for u in uri_list):
            raise InputError("cowork.newBrief: 'uris' must be a list of file URIs")
        root = ls.root_for(uris.to_path(uri_list[0])) if uri_list else ls.default_root()
        params = spec.validate(_brief_params(kind, uri_list), root)
        brief = spec.default_brief(params, root)
        name = kind if kind == "architecture" else artifacts.slugify(brief.title)
        path = await asyncio.to_thread(
            _write_brief, root, brief, name, uri_list if kind == "architecture" else []
        )
        uri = uris.from_path(path)
        if ls.supports("window.show_document.support"):
            await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
        else:
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Info, message=f"cowork: brief written to {path}"
                )
            )
        return {"uri": uri}

    @server.command("cowork.dispatchBrief")
    @clear_errors
    async def dispatch_brief(ls: CoworkServer, *args: Any) -> dict[str, str]:
        uri = a_uri("cowork.dispatchBrief", args, "file:///…/brief.md")
        path = uris.to_path(uri)
        root = ls.root_for(path)
        document = ls.workspace.text_documents.get(uri)
        if document is not None:
            text = document.source  # what the user sees, saved or not
        else:
            try:
                text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read the brief {path}: {exc}") from None
        brief = Brief.from_markdown(text)
        request = ls.engine.prepare(brief.kind, root, brief.params, brief=brief, brief_uri=uri)
        await settled(ls)  # a settings change sent before this command applies to it
        task = await ls.engine.submit(request, ls.overlays(root))
        return {"taskId": task.task_id}
