"""What every task kind provides, and the plain types passed between the steps."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cowork.brief import Brief
from cowork.config import Settings
from cowork.context.git import GitInfo
from cowork.errors import InputError, TaskFailure


@dataclass(frozen=True)
class ContextPart:
    """One piece of context a model would read. `stable` parts are workspace-wide
    and go first so a prompt cache can share them between tasks."""

    title: str
    text: str
    stable: bool = False
    source: str | None = None  # workspace-relative path, when the part is one file


@dataclass(frozen=True)
class FileRef:
    path: str  # workspace-relative POSIX path
    sha256: str
    bytes: int

    @classmethod
    def of(cls, path: str, text: str) -> FileRef:
        data = text.encode("utf-8")
        return cls(path, hashlib.sha256(data).hexdigest(), len(data))


@dataclass
class Gathered:
    """What a kind's context step found: the parts for a model, the facts for the
    offline analysis, and the provenance."""

    parts: list[ContextPart]
    files: list[FileRef]
    git: GitInfo
    offline_report: str
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    base: str | None = None


class Flag(Protocol):
    """Something that says whether the task was cancelled (thread or process safe)."""

    def is_set(self) -> bool: ...


@dataclass
class GatherRequest:
    root: Path
    params: dict[str, Any]
    settings: Settings
    overlays: dict[str, str] = field(default_factory=dict)  # rel path -> unsaved editor text
    cancelled: Flag = field(default_factory=threading.Event)

    def check_cancelled(self) -> None:
        """Called between steps so a cancelled gathering stops early."""
        if self.cancelled.is_set():
            raise TaskFailure("cancelled")


class Kind(Protocol):
    name: str

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        """Check and normalise the command's arguments (cheap: no file reading)."""
        ...

    def title(self, params: dict[str, Any]) -> str: ...

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief: ...

    def gather(self, request: GatherRequest) -> Gathered:
        """Collect the context. Blocking: runs in a worker thread."""
        ...


def shown(value: Any) -> str:
    """A wrong value as a message shows it: scalars as written, containers by type."""
    if value is None or isinstance(value, bool | int | float):
        return f"{value!r} ({type(value).__name__})"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    return "a JSON object" if isinstance(value, dict) else type(value).__name__


def optional_str(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"'{key}' must be a string, got {shown(value)}")
    return value


def str_list(params: dict[str, Any], key: str, *, required: bool = False) -> list[str]:
    value = params.get(key)
    if value is None:
        if required:
            raise InputError(f"'{key}' is required: a list of strings")
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"'{key}' must be a list of strings, got {shown(value)}")
    if required and not value:
        raise InputError(f"'{key}' must not be empty")
    return list(value)
