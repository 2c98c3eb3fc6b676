"""Whole-workspace records on disk, so that a new process (a CLI run, a second worker)
starts from what the last one worked out instead of rebuilding it from every file.

What is kept is one record per structure (`DiskIndex.blob`), each naming the
(path, content hash) of every file it was made from, so that a reader checks it
against the workspace as it is now and uses only what still holds:

- "heads": per file, the few facts that every gathering asks of every file
  (language, lines, why it is unreadable or generated, its package). A new process
  restores its thousands of facts from this one record and reads a file's outline
  and imports from the index only when something asks for them (`FileFacts` fills
  them in lazily).
- the import graph (`graphdisk.py`) and the workspace map (`kinds/workspace_map.py`)
  use `Record` below the same way.

Records are JSON (plain data, never pickles), written in the index's flush
transaction, checked for their version and shape when read, and ignored (then
replaced) when they do not pass. Blocking: call off the event loop.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cowork.context.diskindex import DiskIndex
from cowork.context.index import (
    RACY_NS,
    FileFacts,
    WorkspaceIndex,
    decode,
    from_plain,
    language_of,
    parse,
    to_plain,
)

VERSION = 1  # of the records' own shape (the index's FORMAT covers the rest)
HEADS = "heads:workspace"
# Past this many files missing from the heads record, their facts are read in one query.
_PRELOAD_AT = 64


@dataclass(frozen=True)
class Record:
    """A structure stored with the (path, content hash) list it was made from."""

    files: list[str]
    shas: list[str]
    data: dict[str, Any]

    # `shas` is empty for a record of paths alone (`verdicts`).

    def same_files(self, files: list[str], shas: list[str]) -> bool:
        return self.files == files and self.shas == shas

    def by_path(self) -> dict[str, str]:
        return dict(zip(self.files, self.shas, strict=True))


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """The garbage collector paused while a record's thousands of objects are made:
    none of them form cycles, and each collection would walk them all again (the
    collections cost more than the making: 3x on a 10,000-file workspace)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def digest(items: Iterable[object]) -> str:
    """A short digest of `items` (strings, or anything whose str is stable)."""
    h = hashlib.sha256()
    for item in items:
        h.update(str(item).encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def load(store: DiskIndex | None, name: str) -> Record | None:
    """Record `name`, or None when there is none or it is not what this version writes."""
    if store is None:
        return None
    raw = store.blob(name)
    if raw is None:
        return None
    try:
        with bulk():
            value = json.loads(raw.decode("utf-8", "surrogatepass"))
        if not isinstance(value, dict) or value.get("v") != VERSION:
            return None
        files, shas, data = value["files"], value["shas"], value["data"]
        if not (
            isinstance(files, list)
            and isinstance(shas, list)
            and (len(files) == len(shas) or not shas)
            and isinstance(data, dict)
        ):
            return None
        return Record(files, shas, data)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None  # damaged or foreign: made again


def save(store: DiskIndex | None, name: str, record: Record) -> None:
    """Store `record` as `name` at the index's next flush."""
    if store is None:
        return
    text = json.dumps(
        {"v": VERSION, "files": record.files, "shas": record.shas, "data": record.data},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    store.put_blob(name, text.encode("utf-8", "surrogatepass"))


# -- the facts of every file, restored lazily ------------------------------------------


def _head(f: FileFacts) -> list[object]:
    return [f.language, f.lines, f.unreadable, f.generated, f.package]


def facts_of(
    index: WorkspaceIndex,
    rels: list[str],
    stats: Mapping[str, os.stat_result],
    one: Callable[[str], FileFacts | None],
) -> list[FileFacts | None]:
    """`one(rel)` for every file of `rels` (its facts, None when gone), with the same
    answers; a process that has not looked at them yet takes the files that have
    not changed since the index on disk last saw them from the heads record,
    their outlines left to be read when asked for."""
    store = index.store
    if store is None or index.known_paths() * 2 > len(rels):
        return [one(rel) for rel in rels]
    with bulk():
        return _facts_of(index, store, rels, stats, one)


def _facts_of(
    index: WorkspaceIndex,
    store: DiskIndex,
    rels: list[str],
    stats: Mapping[str, os.stat_result],
    one: Callable[[str], FileFacts | None],
) -> list[FileFacts | None]:
    record = load(store, HEADS)
    heads: dict[str, tuple[str, list[Any]]] = {}
    if record is not None:
        listed = record.data.get("heads")
        if isinstance(listed, list) and len(listed) == len(record.files):
            heads = {
                rel: (sha, head)
                for rel, sha, head in zip(record.files, record.shas, listed, strict=True)
                if isinstance(head, list) and len(head) == 5
            }
    read_at = time.time_ns()
    out: list[FileFacts | None] = []
    missing: list[int] = []
    restored: list[tuple[str, tuple[int, int, FileFacts]]] = []
    for rel in rels:
        st = stats.get(rel)
        facts = None
        if st is not None and st.st_mtime_ns < read_at - RACY_NS:
            known = store.known_path(rel)
            if known is not None and known[:3] == (st.st_mtime_ns, st.st_size, st.st_ino):
                head = heads.get(rel)
                if head is not None and head[0] == known[3]:
                    facts = _lazy(index, rel, known[3], st.st_size, head[1])
                    restored.append((rel, (st.st_mtime_ns, st.st_size, facts)))
        if facts is None:
            missing.append(len(out))
        out.append(facts)
    index.remember(restored)
    if len(missing) >= _PRELOAD_AT:
        store.preload_facts()
    for i in missing:
        out[i] = one(rels[i])
    if missing or record is None or record.files != rels:
        kept = [(rel, f) for rel, f in zip(rels, out, strict=True) if f is not None]
        save(
            store,
            HEADS,
            Record(
                [rel for rel, _ in kept],
                [f.sha256 for _, f in kept],
                {"heads": [_head(f) for _, f in kept]},
            ),
        )
    return out


def _lazy(index: WorkspaceIndex, rel: str, sha: str, size: int, head: list[Any]) -> FileFacts:
    """Facts of `rel` (content `sha`) whose outline and imports are read when asked for."""
    made = object.__new__(FileFacts)
    made.__dict__.update(
        path=rel,
        language=head[0],
        sha256=sha,
        size=size,
        lines=head[1],
        unreadable=head[2],
        generated=head[3],
        package=head[4],
        _load=lambda: _outline(index, rel, sha, size),
    )
    return made


def _outline(index: WorkspaceIndex, rel: str, sha: str, size: int) -> FileFacts:
    """The full facts of content `sha` at `rel`: from the index on disk, or, when they
    were dropped from it meanwhile, parsed from the file if it still holds `sha`."""
    language = language_of(rel) or ""
    store = index.store
    data = store.get("facts", sha, language) if store is not None else None
    if data is not None:
        try:
            return from_plain(rel, sha, size, data)
        except (ValueError, TypeError, IndexError, KeyError):
            pass
    try:
        raw = (index.root / rel).read_bytes()
    except OSError:
        raw = b""
    if hashlib.sha256(raw).hexdigest() == sha:
        text, why = decode(raw)
        if text is not None:
            facts = parse(rel, text, sha, size)
            if store is not None:
                store.put("facts", (sha, facts.language or ""), to_plain(facts))
            return facts
        return FileFacts(rel, language_of(rel), sha, size, 0, unreadable=why)
    # Changed since this gathering looked: no outline rather than another version's.
    return FileFacts(rel, language_of(rel), sha, size, 0)


# -- what the exclusion rules make of the listed paths -------------------------------

VERDICTS = "verdicts:workspace"


def verdicts(
    store: DiskIndex | None,
    files: list[str],
    rules_key: object,
    judge: Callable[[str], str | None],
    notes: list[str],
) -> list[str | None]:
    """`judge(rel)` (why a path may not be sent, None when it may) for every listed
    path, taken from the last record while the listed paths and the rules
    (`rules_key`: the exclude globs, the generated-file rules and `.gitattributes`
    files as they are now) are the same: a new process need not judge 10,000 paths.
    What judging adds to `notes` (about `.gitattributes` files) is kept with them.
    The rules are judged by path alone, so the record holds no file's content."""
    key = digest([VERSION, rules_key])
    record = load(store, VERDICTS)
    if record is not None and record.data.get("key") == key and record.files == files:
        found, said = record.data.get("why"), record.data.get("notes")
        if isinstance(found, list) and isinstance(said, list):
            out: list[str | None] = [None] * len(files)
            try:
                for i, why in found:
                    out[i] = str(why)
            except (TypeError, ValueError, IndexError):
                pass
            else:
                notes.extend(str(n) for n in said if n not in notes)
                return out
    before = len(notes)
    out = [judge(rel) for rel in files]
    if store is not None:
        why = [[i, w] for i, w in enumerate(out) if w is not None]
        data = {"key": key, "why": why, "notes": notes[before:]}
        save(store, VERDICTS, Record(files, [], data))
    return out
