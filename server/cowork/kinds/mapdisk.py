"""The workspace map kept on disk (a `snapshot.Record`), so that a new process whose
workspace holds the same files with the same contents at the same HEAD sends the
same map without reading every file's outline; after a change, the names of the
unchanged files are taken from the record and only the changed files' outlines
are read."""

from __future__ import annotations

from cowork.context import snapshot
from cowork.context.budget import Piece
from cowork.context.diskindex import DiskIndex


def _name(limit: int) -> str:
    return f"map:{limit}"


def load(
    store: DiskIndex | None, limit: int, head: str, files: list[str], hashes: tuple[str, ...]
) -> str | dict[tuple[str, str], tuple[str, ...]] | None:
    """The map's text when the record was made from these files and contents at this
    HEAD; else the names it listed per (path, content hash); None without a record."""
    record = snapshot.load(store, _name(limit))
    if record is None:
        return None
    data = record.data
    text, names, was = data.get("text"), data.get("names"), data.get("head")
    if not isinstance(text, str) or not isinstance(names, list):
        return None
    if len(names) != len(record.files):
        return None
    if was == head and record.same_files(files, list(hashes)):
        return text
    try:
        return {
            (rel, sha): tuple(str(n) for n in listed)
            for rel, sha, listed in zip(record.files, record.shas, names, strict=True)
        }
    except TypeError:
        return None


def save(
    store: DiskIndex | None,
    limit: int,
    head: str,
    files: list[str],
    hashes: tuple[str, ...],
    names: list[tuple[str, ...]],
    piece: Piece,
) -> None:
    """Keep the map made of these inputs (written at the index's next flush)."""
    data = {"head": head, "names": [list(n) for n in names], "text": piece.text}
    snapshot.save(store, _name(limit), snapshot.Record(files, list(hashes), data))
