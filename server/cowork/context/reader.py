"""One gathering's view of the workspace: what may be read, read safely, with provenance.

Every file a recipe puts in front of a model goes through `ContextReader.text`:
it refuses excluded files (gitignored, secrets, `exclude` globs) and records
why, prefers the editor's unsaved text, redacts secret-looking strings, and
records the content hash of what it read. A recipe cannot forget a rule,
because there is no other way in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

from cowork.context import git as gitfacts
from cowork.context.index import FileFacts, WorkspaceIndex, decode
from cowork.context.privacy import Exclusions, Redaction, redact
from cowork.context.workspace import MAX_FILE_BYTES, inventory
from cowork.errors import TaskFailure


class Flag(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class FileRef:
    path: str  # workspace-relative POSIX path
    sha256: str  # of the file as it is (before redaction), for staleness checks
    bytes: int

    @classmethod
    def of(cls, path: str, text: str) -> FileRef:
        data = text.encode("utf-8")
        return cls(path, hashlib.sha256(data).hexdigest(), len(data))


class ContextReader:
    def __init__(
        self,
        root: Path,
        index: WorkspaceIndex,
        overlays: Mapping[str, str] | None = None,
        exclude: tuple[str, ...] = (),
        cancelled: Flag | None = None,
    ) -> None:
        self.root = root
        self.index = index
        self.overlays = dict(overlays or {})
        self.rules = Exclusions(exclude)
        self._cancelled = cancelled
        self.files: dict[str, FileRef] = {}
        self.excluded: dict[str, str] = {}
        self.redacted: dict[str, list[Redaction]] = {}

    # -- workspace-wide facts ------------------------------------------------------

    @cached_property
    def git(self) -> gitfacts.GitInfo:
        return gitfacts.info(self.root)

    @cached_property
    def inventory(self) -> list[str]:
        """Files a model may see: git's (so .gitignore holds) minus excluded ones."""
        allowed = []
        for rel in inventory(self.root):
            why = self.rules.reason(rel)
            if why is None:
                allowed.append(rel)
            else:
                self.excluded.setdefault(rel, why)
        return allowed

    @cached_property
    def _listed(self) -> set[str]:
        return set(self.inventory) | set(self.excluded)

    def check_cancelled(self) -> None:
        if self._cancelled is not None and self._cancelled.is_set():
            raise TaskFailure("cancelled")

    # -- files ---------------------------------------------------------------------

    def why_excluded(self, rel: str) -> str | None:
        """Why `rel` may not be sent, judged by its path alone."""
        if rel in self.excluded:
            return self.excluded[rel]
        why = self.rules.reason(rel)
        if why is None and self._ignored_by_git(rel):
            why = "ignored by git"
        return why

    def _ignored_by_git(self, rel: str) -> bool:
        """In a repository, an existing file outside git's inventory is ignored by git."""
        if not self.git.is_repo or rel in self._listed or rel in self.overlays:
            return False
        return (self.root / rel).exists()

    def facts(self, rel: str) -> FileFacts | None:
        """Outline and imports of an allowed file (None when excluded or gone)."""
        if self.why_excluded(rel) is not None:
            return None
        try:
            return self.index.facts(rel, self.overlays)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def text(self, rel: str, *, required: bool = False) -> str | None:
        """The redacted text of `rel` for a model, or None when it may not or cannot be
        sent (the reason is recorded). With `required`, TaskFailure names the reason."""
        self.check_cancelled()
        why = self.why_excluded(rel)
        if why is not None:
            self.excluded.setdefault(rel, why)
            if required:
                raise TaskFailure(f"{rel} is excluded from context: {why}. cowork never sends it.")
            return None
        raw = self._raw(rel, required=required)
        if raw is None:
            return None
        token_why = self.rules.reason(rel, raw)
        if token_why is not None:
            self.excluded[rel] = token_why
            if required:
                raise TaskFailure(f"{rel} is excluded from context: {token_why}")
            return None
        self.files[rel] = FileRef.of(rel, raw)
        clean, found = redact(raw)
        if found:
            self.redacted[rel] = found
        return clean

    def _raw(self, rel: str, *, required: bool) -> str | None:
        if rel in self.overlays:
            return self.overlays[rel]
        path = self.root / rel
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise IsADirectoryError(rel)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if required:
                raise TaskFailure(f"{rel} does not exist or is not a file") from None
            return None
        if size > MAX_FILE_BYTES:
            why = (
                f"{size / 1_000_000:.1f} MB; cowork reads files up to "
                f"{MAX_FILE_BYTES / 1_000_000:.0f} MB"
            )
            self.excluded[rel] = why
            if required:
                raise TaskFailure(f"{rel} is {why}. Point the task at a smaller file.")
            return None
        data = path.read_bytes()
        text, problem = decode(data)
        if text is None:
            self.excluded[rel] = f"{problem} (not sent)"
            if required:
                raise TaskFailure(_unreadable_message(rel, data, problem or "unreadable"))
            return None
        return text

    # -- provenance ----------------------------------------------------------------

    def provenance(self) -> tuple[list[FileRef], list[tuple[str, str]], list[tuple[str, str]]]:
        """(files read, (path, why excluded), (path, what was redacted))."""
        redacted = [
            (path, ", ".join(f"{r.kind} (line {r.line})" for r in found))
            for path, found in sorted(self.redacted.items())
        ]
        return list(self.files.values()), sorted(self.excluded.items()), redacted


def _unreadable_message(rel: str, data: bytes, problem: str) -> str:
    if problem == "binary":
        return f"{rel} is a binary file; cowork works on text files only"
    if problem == "not UTF-8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"{rel} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8 and try again"
    return f"{rel} cannot be read as text ({problem})"
