"""Incremental review: `{"since": "last"}` reviews only the commits after the head of
the last finished review of the current branch.

Before gathering, the engine resolves where the review starts (`resolve`): the
newest done review of this workspace on this branch, as recorded when it finished
(`Store.save_review`). No earlier review, a detached HEAD, or an earlier
head that is no longer an ancestor of HEAD (a rebase) make it a full review, and
the artifact says why. After the answer (`carry_forward`), the earlier review's
findings whose lines are still there, unchanged, are carried forward (moved with
their text); those whose code changed are dropped as stale. Both are listed in the
artifact.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git

from cowork import artifacts, uris
from cowork.brief import Brief
from cowork.context import git as gitfacts
from cowork.context.gitrepo import Handle, NoRepository, using
from cowork.engine.model import StoredFinding, Task
from cowork.engine.store import Store
from cowork.errors import InputError, TaskFailure
from cowork.kinds import anchors
from cowork.kinds.change_since import SINCE_HEAD
from cowork.kinds.findings import Finding, fingerprint

Db = Callable[..., Awaitable[Any]]  # runs a store call on the engine's database thread
LAST = "last"
MAX_ANCHOR_BYTES = 2_000_000  # an earlier finding's file at its old head, to anchor it


@dataclass
class Since:
    """Where an incremental review starts, and what its artifact says about it."""

    branch: str | None
    head: str | None  # the earlier review's head; None: a full review
    task_id: str | None  # the earlier review
    note: str
    carried: list[Finding] = field(default_factory=list)
    stale: list[Finding] = field(default_factory=list)
    root: Path = Path()
    store: Store | None = None  # where the earlier review's findings are

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.head,
            "sinceTask": self.task_id,
            "branch": self.branch,
            "full": self.head is None,
            "note": self.note,
            "carriedForward": len(self.carried),
            "droppedStale": len(self.stale),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], root: Path, store: Store) -> Since:
        return cls(
            data.get("branch"),
            data.get("since"),
            data.get("sinceTask"),
            str(data.get("note") or "Incremental review:"),
            root=root,
            store=store,
        )


def kept(since: Since | None) -> dict[str, Any]:
    """What a batched task keeps until its answer comes: where it started."""
    return {"incremental": since.to_json()} if since is not None else {}


async def after_batch(
    provenance: dict[str, Any],
    body: str,
    found: list[Finding],
    db: Db,
    store: Store,
    root: Path,
) -> tuple[str, list[Finding], dict[str, Any]]:
    """A batched review's answer, finished as `finish` does when it was incremental:
    (the body, the findings, the provenance's `incremental`)."""
    data = provenance.get("incremental")
    if not isinstance(data, dict):
        return body, found, {}
    since = Since.from_json(data, root, store)
    body, found = await finish(since, body, found, db, {})
    return body, found, {"incremental": since.to_json()}


def wanted(kind: str, params: dict[str, Any]) -> bool:
    return kind == "review" and params.get("since") == LAST


def _where(root: Path) -> tuple[str | None, str | None]:
    info = gitfacts.info(root)
    return info.branch, info.head


def _is_ancestor(root: Path, old: str, head: str) -> bool:
    def check(h: Handle) -> bool:
        try:
            h.repo.git.merge_base("--is-ancestor", old, head)
        except git.GitCommandError:
            return False  # not an ancestor, or a commit no longer there
        return True

    try:
        return using(root, check)
    except NoRepository:
        return False


async def resolve(
    root: Path,
    last_review: Callable[[str], Awaitable[tuple[str, str] | None]],
    uncommitted: bool,
    store: Store | None = None,
) -> Since:
    """Where the review starts. TaskFailure when nothing is new since the last review."""
    since = await _resolve(root, last_review, uncommitted)
    since.root, since.store = root, store
    return since


async def _resolve(
    root: Path,
    last_review: Callable[[str], Awaitable[tuple[str, str] | None]],
    uncommitted: bool,
) -> Since:
    branch, head = await asyncio.to_thread(_where, root)
    if branch is None or head is None:
        why = "HEAD is detached" if head else "the repository has no commits"
        return Since(
            branch,
            None,
            None,
            f"Full review: {why}, so there is no last review of a branch to start from.",
        )
    last = await last_review(branch)
    if last is None:
        return Since(
            branch, None, None, f"Full review: no earlier finished review of branch `{branch}`."
        )
    task_id, old = last
    if old == head and not uncommitted:
        raise TaskFailure(
            f"nothing new to review: branch {branch} is still at {old[:10]}, the head of the "
            f"last review (task {task_id}). Commit new work, include uncommitted changes, or "
            "run a full review (without since)."
        )
    if not await asyncio.to_thread(_is_ancestor, root, old, head):
        return Since(
            branch,
            None,
            task_id,
            f"Full review: `{old[:10]}`, the head of the last review (task {task_id}), is no "
            "longer an ancestor of HEAD (the branch was rebased or reset).",
        )
    return Since(
        branch,
        old,
        task_id,
        f"Incremental review: the subject is what changed after `{old[:10]}`, the head of "
        f"the last review of `{branch}` (task {task_id}); the whole change against the base "
        "was context.",
    )


def gather_params(params: dict[str, Any], since: Since | None) -> dict[str, Any]:
    """The gathering's parameters: the commit the subject starts after, if any."""
    if since is None:
        return params
    out = {k: v for k, v in params.items() if k != "since"}
    return out | ({SINCE_HEAD: since.head} if since.head else {})


def brief_for(brief: Brief, since: Since) -> Brief:
    """The brief, told that only the new commits are the subject."""
    if since.head is None:
        return brief
    goal = (
        f"{brief.goal.rstrip()}\n\nThis is an incremental review: review only the changes "
        f'after `{since.head[:10]}` (the piece "The subject of this review"); the rest of '
        "the change was reviewed before and is context. The last review's findings on lines "
        "that did not change are carried forward: do not raise them again."
    )
    return dataclasses.replace(brief, goal=goal)


def carry_forward(
    since: Since,
    earlier: list[StoredFinding],
    new: list[Finding],
    root: Path,
    overlays: dict[str, str],
) -> None:
    """Sort the earlier review's findings (not dismissed) into `since.carried` — moved
    with their text, unless a new finding covers the same lines — and `since.stale`.
    Reads files and git: call off the event loop."""
    if since.head is None:
        return
    kept = [s for s in earlier if not s.dismissed]
    texts = anchors.texts_of(root, {s.finding.path for s in kept} | {f.path for f in new}, overlays)
    # Findings saved before anchors were kept: their lines' text at the old head.
    unanchored = sorted({s.finding.path for s in kept if s.anchor is None})
    old: dict[str, bytes | None] = {}
    if unanchored:
        old = gitfacts.files_at(root, since.head, unanchored, MAX_ANCHOR_BYTES)
    taken = {(f.path, f.line, f.category) for f in new}
    marks = {fingerprint(f, "\n".join(texts[f.path] or [])) for f in new if texts.get(f.path)}
    folded: dict[str, anchors.Folded] = {}
    for stored in kept:
        f = stored.finding
        anchor = stored.anchor
        if anchor is None:
            data = old.get(f.path)
            before = data.decode("utf-8", "replace") if data is not None else None
            anchor = anchors.anchor_of(f, anchors.split_lines(before)) if before else None
        lines = texts.get(f.path)
        if lines is not None and f.path not in folded:
            folded[f.path] = anchors.Folded(lines)
        where = anchors.moved(f, anchor, folded[f.path]) if lines is not None and anchor else None
        if where is None:
            since.stale.append(f)
        elif (where.path, where.line, where.category) not in taken and fingerprint(
            where, "\n".join(lines or [])
        ) not in marks:
            since.carried.append(where)


def body_with(body: str, since: Since) -> str:
    """The artifact body with what the incremental review started from, the findings
    carried forward and those dropped as stale."""
    out = [
        f"> **{since.note.split(':', 1)[0]}**:{since.note.split(':', 1)[1]}",
        "",
        body.rstrip(),
        "",
    ]
    if since.head is None:
        return "\n".join(out) + "\n"
    out += ["## Carried forward from the last review", ""]
    out += [
        f"- **{f.severity}** `{f.path}:{f.line}`: {f.message} (carried forward: its lines "
        "did not change)"
        for f in since.carried
    ] or ["None."]
    out += ["", "## Dropped as stale", ""]
    out += [
        f"- `{f.path}:{f.line}`: {f.message} (its code changed since the last review)"
        for f in since.stale
    ] or ["None."]
    return "\n".join(out) + "\n"


async def start(task: Task, db: Db, store: Store) -> Since | None:
    """Where `task` starts when it is an incremental review, else None."""
    if not wanted(task.kind, task.request.params):
        return None

    async def last_review(branch: str) -> tuple[str, str] | None:
        found: tuple[str, str] | None = await db(store.last_review_head, branch)
        if found is None:  # reviews made before heads were kept: their provenance
            older = await db(store.unrecorded_reviews)
            found = await asyncio.to_thread(_from_artifacts, older, branch)
        return found

    return await resolve(
        Path(task.request.workspace),
        last_review,
        bool(task.request.params.get("uncommitted")),
        store,
    )


def _from_artifacts(reviews: list[tuple[str, str]], branch: str) -> tuple[str, str] | None:
    """(task id, head) of the first review in `reviews` whose artifact's provenance
    says it looked at `branch`."""
    for task_id, uri in reviews:
        try:
            data = artifacts.read_provenance(uris.to_path(uri))
        except (OSError, ValueError, InputError):
            continue
        at = data.get("git") if isinstance(data.get("git"), dict) else {}
        if at and at.get("branch") == branch and isinstance(at.get("head"), str):
            return task_id, at["head"]
    return None


async def finish(
    since: Since, body: str, found: list[Finding], db: Db, overlays: dict[str, str]
) -> tuple[str, list[Finding]]:
    """(the artifact body, the findings to publish) of an incremental review: the new
    findings and those carried forward."""
    assert since.store is not None
    earlier = await db(since.store.task_findings, since.task_id)
    await asyncio.to_thread(carry_forward, since, earlier, found, since.root, overlays)
    return body_with(body, since), [*found, *since.carried]


async def save_review(
    db: Db,
    store: Store,
    task: Task,
    found: list[Finding],
    provenance: dict[str, Any] | None,
    overlays: dict[str, str],
) -> None:
    """Keep a finished review's findings with their anchors, and the branch and head it
    looked at (where the next incremental review starts)."""
    root = Path(task.request.workspace)
    marks = await asyncio.to_thread(anchors.anchors_for, root, found, overlays)
    at = (provenance or {}).get("git") or {}
    head = (at.get("branch"), at["head"]) if at.get("head") else None
    await db(store.save_review, task.task_id, found, marks, head)
