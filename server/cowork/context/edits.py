"""A model's proposed edits: search/replace blocks checked against the files as
they are, and refused where they must never land.

An edit names a file (workspace-relative), a `search` text that must occur
exactly once in it, and its `replace`ment; an empty `search` on a path that does
not exist creates that file. Pure text work plus a few file-system facts; the
caller decides where the files live (a worktree, or the user's tree).
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cowork.context.privacy import Exclusions

BINARY_SNIFF = 8192  # bytes looked at for a NUL


@dataclass(frozen=True)
class Edit:
    path: str
    search: str
    replace: str


@dataclass(frozen=True)
class Refusal:
    """An edit that cannot be applied, and why (said to the model and the user)."""

    index: int  # 1-based, in the answer's order
    path: str
    why: str


@dataclass
class Planned:
    """The files an answer's edits produce: path -> (text before or None, text after)."""

    files: dict[str, tuple[str | None, str]]
    refused: list[Refusal]


def refuse_path(root: Path, rel: str, exclusions: Exclusions) -> str | None:
    """Why no edit may touch `rel` in the workspace at `root`, or None."""
    if not rel or rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        return "the path must be relative to the workspace"
    norm = posixpath.normpath(rel.replace("\\", "/"))
    if norm == ".." or norm.startswith("../") or norm == ".":
        return "the path leaves the workspace"
    if norm != rel:
        return f"write the path as {norm!r}"
    top = norm.split("/", 1)[0]
    if top == ".git" or "/.git/" in f"/{norm}/":
        return "edits to .git/ are never made"
    if top == ".cowork":
        return "edits to .cowork/ are never made"
    why = exclusions.reason(norm)
    if why is not None:
        return f"the file is never touched ({why})"
    target = root / norm
    # A link anywhere on the way out of the workspace.
    try:
        resolved = target.resolve()
        resolved.relative_to(root.resolve())
    except (ValueError, OSError):
        return "the path leads out of the workspace (a symbolic link)"
    if _ignored(root, norm):
        return "the file is ignored by git"
    return None


def _ignored(root: Path, rel: str) -> bool:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "--no-index", "--", rel],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def plan(
    edits: list[Edit],
    read: Callable[[str], str | None],
    refuse: Callable[[str], str | None],
) -> Planned:
    """Apply `edits` in order to the files `read` returns (None: no such file), in
    memory. An edit that breaks a rule is refused and the others go on; edits to one
    file see the earlier ones' result."""
    files: dict[str, tuple[str | None, str]] = {}
    refused: list[Refusal] = []
    for i, edit in enumerate(edits, 1):
        why = refuse(edit.path)
        if why is not None:
            refused.append(Refusal(i, edit.path, why))
            continue
        if edit.path in files:
            before, current = files[edit.path]
            exists = True
        else:
            try:
                before = read(edit.path)
            except UnicodeDecodeError:
                refused.append(Refusal(i, edit.path, "the file is binary (not UTF-8 text)"))
                continue
            except IsADirectoryError:
                refused.append(Refusal(i, edit.path, "the path is a folder"))
                continue
            exists = before is not None
            current = before or ""
        if "\0" in edit.replace or (exists and "\0" in current[:BINARY_SNIFF]):
            refused.append(Refusal(i, edit.path, "the file is binary"))
            continue
        if not edit.search:
            if exists:
                refused.append(
                    Refusal(
                        i,
                        edit.path,
                        "an empty search creates a new file, but this file exists: "
                        "search for the text to replace",
                    )
                )
                continue
            files[edit.path] = (None, edit.replace)
            continue
        if not exists:
            refused.append(Refusal(i, edit.path, "the file does not exist"))
            continue
        count = current.count(edit.search)
        if count != 1:
            where = "does not occur" if count == 0 else f"occurs {count} times"
            refused.append(
                Refusal(i, edit.path, f"the search text {where} in the file (it must occur once)")
            )
            continue
        files[edit.path] = (before, current.replace(edit.search, edit.replace, 1))
    return Planned(files, refused)


def read_text(root: Path) -> Callable[[str], str | None]:
    """A reader of files under `root` for `plan` (None for a file that is not there)."""

    def read(rel: str) -> str | None:
        path = root / rel
        if not path.exists():
            return None
        if path.is_dir():
            raise IsADirectoryError(rel)
        data = path.read_bytes()
        if b"\0" in data[:BINARY_SNIFF]:
            raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "binary")
        return data.decode("utf-8")

    return read


def write(root: Path, planned: Planned) -> None:
    """Write the planned files under `root` (a worktree)."""
    for rel, (_, text) in planned.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
