"""Plain data types for tasks: what was asked, where it stands, what it cost."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cowork import uris
from cowork.kinds.findings import Finding
from cowork.providers.usage import Usage

# Validated parameters that no command takes: what the kinds derive from the arguments.
_INTERNAL_PARAMS = frozenset({"path", "paths"})


class TaskState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self in (TaskState.DONE, TaskState.FAILED, TaskState.CANCELLED)


@dataclass
class TaskRequest:
    """What the user handed off. Persisted as is so an interrupted task can re-run.

    `params` holds the kind's own arguments with the public camelCase keys
    (`uri`, `uris`, `base`, `description`, `question`, ...), already validated.
    `args` is the task command's argument as the client sent it, so that a client
    can run the task again by sending it again.
    """

    kind: str
    workspace: str  # absolute path of the workspace folder
    params: dict[str, Any] = field(default_factory=dict)
    brief_uri: str | None = None  # set when dispatched from a brief document
    brief: dict[str, Any] | None = None  # the edited brief (Brief.to_json), when given
    args: dict[str, Any] | None = None  # the command's argument; None: made by `params`
    parent_id: str | None = None  # the task whose artifact this one revises
    revision: dict[str, Any] | None = None  # what the revision carries (Revision.to_json)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "workspace": self.workspace,
            "params": self.params,
            "briefUri": self.brief_uri,
            "brief": self.brief,
            "parentId": self.parent_id,
            "revision": self.revision,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskRequest:
        return cls(
            kind=data["kind"],
            workspace=data["workspace"],
            params=dict(data.get("params") or {}),
            brief_uri=data.get("briefUri"),
            brief=data.get("brief"),
            parent_id=data.get("parentId"),
            revision=data.get("revision"),
        )

    def command_args(self) -> dict[str, Any]:
        """The argument of the task's command that runs this task again: as sent, or
        (a task from the CLI, or from a version that did not keep it) made from the
        validated `params` with their internal keys left out."""
        if self.args is not None:
            return self.args
        out = {k: v for k, v in self.params.items() if k not in _INTERNAL_PARAMS}
        if isinstance(out.get("notes"), list):  # kept relative to the workspace
            root = Path(self.workspace)
            out["notes"] = [uris.from_path(root / n) for n in out["notes"] if isinstance(n, str)]
        return out


@dataclass
class BatchWait:
    """What a task waiting on a Message Batch keeps, so that its artifact can be
    written when the result comes, by this server or the next, without gathering
    again: when it was submitted, and the artifact's provenance as far as it is
    known before the model answers (provider, model, finish time and usage are
    filled in from the result)."""

    submitted_at: str
    provenance: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"submittedAt": self.submitted_at, "provenance": self.provenance}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchWait:
        return cls(submitted_at=data["submittedAt"], provenance=dict(data["provenance"]))


@dataclass
class Task:
    """A task record, the public shape of design.md (see `to_record`)."""

    task_id: str
    request: TaskRequest
    title: str
    state: TaskState
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    artifact_uri: str | None = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)
    provider: str | None = None
    model: str | None = None
    batch_id: str | None = None
    batch: BatchWait | None = None  # while waiting on the batch `batch_id`; not in the record
    resumed: int = 0  # how many times this task was re-run after an interruption
    owner_pid: int | None = None
    reviewed: dict[str, str] | None = None  # {"by", "at"} once a person marked it reviewed
    estimate: Any = None  # costcap.Estimate of this run, for provenance; not stored

    @property
    def kind(self) -> str:
        return self.request.kind

    def to_record(self) -> dict[str, Any]:
        """The task record sent to clients and printed by `cowork tasks`."""
        return {
            "taskId": self.task_id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state.value,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "artifactUri": self.artifact_uri,
            "error": self.error,
            "usage": self.usage.to_json(),
            "provider": self.provider,
            "model": self.model,
            "batchId": self.batch_id,
            "params": self.request.command_args(),
            "briefUri": self.request.brief_uri,
            "parentId": self.request.parent_id,
            "reviewed": self.reviewed is not None,
            "reviewedBy": (self.reviewed or {}).get("by"),
            "workspace": self.request.workspace,
        }


@dataclass
class StoredFinding:
    """A review finding as kept in the task database, with what locates it."""

    finding_id: str  # "<task id>-<n>"
    task_id: str
    artifact_uri: str | None
    finding: Finding
    dismissed: bool = False
    # The folded text of its lines when it was published (kinds/anchors): what moves it
    # with its code. None in reviews made before anchors were kept.
    anchor: list[str] | None = None


@dataclass(frozen=True)
class Estimate:
    """What a hand-off would send if it ran now (engine.estimate)."""

    tokens: int  # context plus the brief and instructions, local estimate
    budget: int
    files: int
    cuts: list[str]  # what the budget would leave out
    provider: str
    model: str
    input_cost_usd: float | None  # None: no model (offline) or no known price
