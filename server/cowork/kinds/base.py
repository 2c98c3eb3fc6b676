"""What every task kind provides, and the plain types passed between the steps."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cowork.brief import Brief
from cowork.config import Settings
from cowork.context.budget import Piece
from cowork.context.git import GitInfo
from cowork.context.reader import ContextReader, FileRef, Flag
from cowork.errors import InputError
from cowork.kinds.answer import Rendered
from cowork.kinds.findings import Finding

if TYPE_CHECKING:
    from cowork.kinds.prefix_plan import Outlook, PrefixPlan

__all__ = ["Collected", "ContextReader", "FileRef", "Flag", "GatherRequest", "Gathered", "Piece"]


# Priorities for context pieces: lower is taken first when the budget is tight.
TARGET, MAP, CHANGES, CALLERS, TESTS, NEIGHBOURS, OUTLINE, HISTORY = range(8)


@dataclass
class Collected:
    """What a kind's recipe found, before the budget: pieces for a model (in the
    order they are to be sent) and the deterministic report from the same facts."""

    pieces: list[Piece]
    offline_report: str
    base: str | None = None
    # What the recipe's own checks found at file:line (review): the offline answer's
    # findings, and a model's when it gives none of its own.
    findings: list[Finding] = field(default_factory=list)
    # The workspace map is this task's own context (research: it is the outline; a
    # change with no files named): sent as task context when it is not the prefix.
    needs_map: bool = False
    # Pieces, report and findings are redacted as the gatherer's last line of defence
    # would leave them (restored from the index on disk): not searched again.
    clean: bool = False


@dataclass
class Gathered:
    """The context as it will be sent, within the budget, with its provenance."""

    parts: list[Piece]
    files: list[FileRef]
    git: GitInfo
    offline_report: str
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    redacted: list[tuple[str, str]] = field(default_factory=list)  # (path, what)
    cuts: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    # What the user should know of how the context was read (a malformed .gitattributes).
    notes: list[str] = field(default_factory=list)
    base: str | None = None
    tokens: int = 0
    budget: int = 0
    # Everything the recipe offered, before the budget: a provider that counts
    # tokens itself may show the local estimate was low, and the fit is redone.
    candidates: list[Piece] = field(default_factory=list)
    reserved: int = 0
    findings: list[Finding] = field(default_factory=list)  # the recipe's own (Collected)
    # The workspace map, the shared prefix a prompt may start with (kinds/prefix_plan.py),
    # what the engine knows of its reuse, and the decision.
    shared: Piece | None = None
    outlook: Outlook | None = None
    prefix: PrefixPlan | None = None


@dataclass
class GatherRequest:
    root: Path
    params: dict[str, Any]
    settings: Settings
    overlays: dict[str, str] = field(default_factory=dict)  # rel path -> unsaved editor text
    cancelled: Flag = field(default_factory=threading.Event)
    # Tokens the prompt spends outside the context (system prompt, brief).
    reserved_tokens: int = 0


class Kind(Protocol):
    name: str
    # What a model is told first: what a diligent colleague does for this hand-off,
    # and what is out of scope (the same bytes for every task of the kind: cached).
    system_prompt: str

    def answer_schema(self) -> dict[str, Any] | None:
        """The JSON schema a model's answer must follow; None for Markdown."""
        ...

    def render_answer(self, text: str) -> Rendered | None:
        """A model's structured answer as Markdown (with what was adjusted when it was
        read, and a review's findings); None when `text` ignores the schema."""
        ...

    def validate(self, params: dict[str, Any], root: Path) -> dict[str, Any]:
        """Check and normalise the command's arguments (cheap: no file reading)."""
        ...

    def title(self, params: dict[str, Any]) -> str: ...

    def default_brief(self, params: dict[str, Any], root: Path) -> Brief: ...

    def gather(self, request: GatherRequest, reader: ContextReader) -> Collected:
        """Collect the context through `reader`. Blocking: runs in a worker process."""
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


def optional_bool(params: dict[str, Any], key: str) -> bool:
    value = params.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InputError(f"'{key}' must be true or false, got {shown(value)}")
    return value


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
