"""What an artifact records about how it was made (provenance), and where its draft
goes; plain functions of a task, its brief and what was gathered."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cowork import artifacts, uris
from cowork.brief import Brief
from cowork.engine.draft import Draft
from cowork.engine.model import Task
from cowork.kinds.base import Gathered
from cowork.providers.base import Completion
from cowork.revision import Revision, next_version


def brief_args(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": data["kind"],
        "title": data["title"],
        "goal": data["goal"],
        "context": list(data.get("context", [])),
        "output_format": data.get("outputFormat", ""),
        "out_of_scope": data.get("outOfScope", ""),
    }


def provenance(task: Task, brief: Brief, gathered: Gathered) -> dict[str, Any]:
    """The artifact's provenance as known before the model answers (JSON-ready: a task
    waiting on a batch keeps it in the store); `_completed` fills in the rest."""
    return {
        "cowork": artifacts.LAYOUT,
        "status": "draft",
        "taskId": task.task_id,
        "kind": task.kind,
        "title": task.title,
        "provider": task.provider,
        "model": None,
        "createdAt": task.created_at,
        "finishedAt": None,
        "git": {
            "head": gathered.git.head,
            "branch": gathered.git.branch,
            "detached": gathered.git.detached,
            "base": gathered.base,
            "state": gathered.git.describe(),
        },
        "brief": brief.to_json()
        | ({"uri": task.request.brief_uri} if task.request.brief_uri else {}),
        **revises(task),
        "context": {
            "files": [
                {"path": f.path, "sha256": f.sha256, "bytes": f.bytes} for f in gathered.files
            ],
            "excluded": [{"path": p, "reason": why} for p, why in gathered.excluded],
            "redacted": [{"path": p, "what": what} for p, what in gathered.redacted],
            "cut": [{"what": what, "reason": why} for what, why in gathered.cuts],
            "notes": list(gathered.notes),
            "tokens": gathered.tokens,
            "budget": gathered.budget,
        },
        # Whether the workspace map went first as the cached prefix, and why (prefix_plan).
        "prefix": gathered.prefix.to_json() if gathered.prefix is not None else None,
        "usage": None,
        "cost": {
            "estimatedUsd": round(task.estimate.usd, 6) if task.estimate else None,
            "actualUsd": None,
        },
    }


def completed(provenance: dict[str, Any], completion: Completion, finished: str) -> dict[str, Any]:
    """`provenance` with what the model's answer tells (keys keep their order)."""
    return provenance | {
        "provider": completion.provider,
        "model": completion.model,
        "finishedAt": finished,
        "answer": {
            "ended": completion.ended,
            "requests": completion.attempts,
            **({"notes": completion.notes} if completion.notes else {}),
        },
        "batch": None,
        "usage": completion.usage.to_json(),
        "cost": (provenance.get("cost") or {}) | {"actualUsd": round(completion.usage.cost_usd, 6)},
    }


def text_of(path: Path) -> str | None:
    """A file's text, None when it cannot be read (a finding's lines are then unknown)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def reviewer(root: Path) -> str:
    """Who is reviewing: git's `user.name <user.email>`, else the login name."""
    import subprocess

    def config(key: str) -> str:
        found = subprocess.run(
            ["git", "config", key], cwd=root, capture_output=True, text=True, check=False
        )
        return found.stdout.strip()

    name, email = config("user.name"), config("user.email")
    if name:
        return f"{name} <{email}>" if email else name
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def task_revision(task: Task) -> Revision | None:
    """What a revision task carries; None for a first version."""
    data = task.request.revision
    return Revision.from_json(data) if data else None


def revises(task: Task) -> dict[str, Any]:
    """Provenance of a revision: the version it revises (a file beside it)."""
    revision = task_revision(task)
    if revision is None:
        return {}
    return {"revises": Path(revision.artifact).name, "version": revision.version}


def draft_for(root: Path, task: Task) -> Draft:
    """The task's draft: where a previous run of it (killed mid-way) left one, that
    file, to be replaced; else a new name (claimed when the first text arrives)."""
    header = {
        "cowork": artifacts.LAYOUT,
        "taskId": task.task_id,
        "kind": task.kind,
        "title": task.title,
        "provider": task.provider,
        "createdAt": task.created_at,
    }
    if task.artifact_uri:
        old = uris.to_path(task.artifact_uri)
        try:
            left = artifacts.read_provenance(old)
        except (OSError, ValueError):
            left = {}
        if left.get("taskId") == task.task_id and left.get("status") in ("writing", "incomplete"):
            return Draft.adopt(old, header)
    revision = task_revision(task)
    if revision is not None:  # beside the version it revises: X.md → X-v2.md
        return Draft(next_version(Path(revision.artifact))[0], header)
    return Draft(artifacts.artifact_path(root, task.kind, task.title, datetime.now(UTC)), header)
