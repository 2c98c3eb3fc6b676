"""The last review or docs gathering of a workspace, kept on disk for another process.

`change_memo` keeps a gathering in the memory of the process that made it, so a
warm review of an untouched branch is a lookup. A second worker of the server's
pool (or the next CLI run) has none of that memory and would redo the whole
gathering (the diff's versions, outlines, the caller sieve, redaction of every
piece) for the very same result. So the result is also kept in the index on
disk (one record per kind: a line saying what it was made from, then JSON):

- the memo key (kind, parameters, budget, settings, base and head commits, the
  team rules' stamp), the cowork version and the redaction rules in force;
- the (path, content hash) of every file of the workspace (the reader's
  `all_facts`), so that it serves only while no file changed.

Its pieces, report and findings are stored as the gatherer's last line of defence
leaves them (redacted), so a process restoring them need not search them for
secrets again (`Collected.clean`); a record that fails any check is ignored and
replaced. A worker started by the pool restores the record and the change set's
git answers before its first task (`prime`). Blocking: call off the event loop.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cowork.context import diskindex, privacy, snapshot
from cowork.context.budget import Piece
from cowork.context.index import FileFacts
from cowork.context.privacy import Redaction, redact
from cowork.context.reader import FileRef
from cowork.kinds.base import Collected, ContextReader, GatherRequest
from cowork.kinds.change_memo import GatherMemo
from cowork.kinds.findings import Finding

VERSION = 1  # of this record's data
_MAGIC = "cowork-gather"
KINDS = ("review", "docs")
# What a kept result depends on besides its key: the code that made it and what
# counts as a secret (a new rule must not be bypassed by an old record).
_RULES = snapshot.digest(
    [VERSION, diskindex.version_stamp(), *(f"{kind}\0{p.pattern}" for kind, p in privacy._PATTERNS)]
)


def name_of(kind: str) -> str:
    """The record's name in the index on disk."""
    return f"gather:{kind}"


@dataclass(frozen=True)
class Kept:
    """A gathering restored from disk, checked against what it was made from."""

    key: str  # digest of the memo key and `_RULES`
    workspace: str  # digest of every file's (path, content hash)
    params: dict[str, Any]
    collected: Collected
    files: dict[str, FileRef]
    excluded: dict[str, str]
    redacted: dict[str, list[Redaction]]
    notes: list[str]


# Counters a test or benchmark reads: gatherings restored from disk / stored to it.
restored = 0
stored = 0
# Records a primed worker read before its first task, by kind (see `prime`).
_primed: dict[str, Kept] = {}
# The workspace digest of the last facts list, by identity (the list is kept alive).
_last_digest: tuple[object, str] | None = None
_lock = threading.Lock()


def workspace_digest(reader: ContextReader) -> str:
    """A digest of every file the gathering may read, by path and content hash."""
    global _last_digest
    facts = reader.all_facts
    with _lock:
        last = _last_digest
    if last is not None and (last[0] is facts or _same_files(last[0], facts)):
        found = last[1]
    else:
        found = snapshot.digest(f"{rel}\0{f.sha256 if f is not None else ''}" for rel, f in facts)
    with _lock:
        _last_digest = (facts, found)
    return found


def _same_files(before: object, now: list[tuple[str, FileFacts | None]]) -> bool:
    """Whether two facts lists name the same files with the same contents: comparing
    is far cheaper than hashing them all again (a list is made anew when a file the
    rules judge by content is looked at again, its facts unchanged)."""
    if not isinstance(before, list) or len(before) != len(now):
        return False
    for (rel, f), (rel2, g) in zip(before, now, strict=True):
        if f is g:
            if rel != rel2:
                return False
            continue
        if rel != rel2 or f is None or g is None or f.sha256 != g.sha256:
            return False
    return True


def key_digest(key: tuple[Any, ...]) -> str:
    """The memo key as a stable digest (its parts are strings, numbers and tuples)."""
    return snapshot.digest([_RULES, repr(key)])


def defended(piece: Piece) -> Piece:
    """`piece` as the gatherer's last line of defence sends it: title, text, outline and
    smaller forms redacted (the piece itself when there was nothing to redact)."""
    text, found = redact(piece.text)
    title, in_title = redact(piece.title)
    outline = redact(piece.outline)[0] if piece.outline else piece.outline
    smaller = tuple((what, redact(small)[0]) for what, small in piece.smaller)
    if not found and not in_title and outline == piece.outline and smaller == piece.smaller:
        return piece
    return replace(piece, title=title, text=text, outline=outline, smaller=smaller)


def lookup(
    kind: str, request: GatherRequest, reader: ContextReader, key: tuple[Any, ...] | None
) -> GatherMemo | None:
    """The kept gathering for `key` when the workspace is as it was, as a memo whose
    `restore` records its provenance in `reader`; None otherwise."""
    global restored
    if key is None or reader.index.store is None:
        return None
    wanted = key_digest(key)
    # Read by `prime` for one use: from then on the memo in memory holds it, or it is stale.
    kept = _primed.pop(kind, None)
    if kept is None or kept.key != wanted or kept.workspace != workspace_digest(reader):
        kept = load(reader, kind, wanted)
    if kept is None:
        return None
    with _lock:
        restored += 1
    return GatherMemo(
        key,
        reader.all_facts,
        kept.collected,
        kept.files,
        kept.excluded,
        kept.redacted,
        kept.notes,
    )


def keep(
    kind: str,
    request: GatherRequest,
    reader: ContextReader,
    key: tuple[Any, ...] | None,
    collected: Collected,
) -> None:
    """Store `collected` (and the provenance `reader` recorded for it) for `key`, to be
    written at the index's next flush."""
    global stored
    store = reader.index.store
    if key is None or store is None or store.disabled:
        return
    data = {
        "params": {"base": request.params.get("base")},
        "collected": {
            "pieces": [_piece_plain(defended(p)) for p in collected.pieces],
            "report": redact(collected.offline_report)[0],
            "base": collected.base,
            "findings": [_finding_plain(f) for f in collected.findings],
            "needs_map": collected.needs_map,
        },
        "files": [[r.path, r.sha256, r.bytes] for r in reader.files.values()],
        "excluded": dict(reader.excluded),
        "redacted": {p: [[r.line, r.kind] for r in rs] for p, rs in reader.redacted.items()},
        "notes": list(reader.notes),
    }
    # What it was made from on a line of its own, checked before the body is parsed.
    head = f"{_MAGIC} {VERSION} {key_digest(key)} {workspace_digest(reader)}\n"
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    store.put_blob(name_of(kind), (head + body).encode("utf-8", "surrogatepass"))
    with _lock:
        stored += 1


def load(reader: ContextReader, kind: str, key: str | None = None) -> Kept | None:
    """The record of `kind` from the index on disk when it was made from the workspace
    as it is now (and for memo key digest `key`, when given); None when there is none,
    it does not fit, or it is damaged or of another version (the next gathering
    replaces it then)."""
    store = reader.index.store
    raw = store.blob(name_of(kind)) if store is not None else None
    if raw is None:
        return None
    line, _, body = raw.partition(b"\n")
    fields = line.decode("ascii", "replace").split(" ")
    if len(fields) != 4 or fields[:2] != [_MAGIC, str(VERSION)]:
        return None
    if key is not None and fields[2] != key:
        return None
    if fields[3] != workspace_digest(reader):
        return None
    try:
        with snapshot.bulk():
            data = json.loads(body.decode("utf-8", "surrogatepass"))
        return _from_plain(fields[2], fields[3], data)
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeDecodeError):
        return None


def prime(reader: ContextReader, warm_changes: Callable[[str | None], object]) -> int:
    """Before a worker's first task: read the kept gatherings that still fit the
    workspace, and let `warm_changes(base)` ask git what they asked (the change set,
    remembered in this process), so that repeating one is a lookup. Returns how many."""
    found = 0
    for kind in KINDS:
        kept = load(reader, kind)
        if kept is None:
            continue
        _primed[kind] = kept
        found += 1
        base = kept.params.get("base")
        with contextlib.suppress(Exception):  # the task itself will say what is wrong
            warm_changes(base if isinstance(base, str) else None)
    return found


def forget() -> None:
    """Drop what `prime` read (a benchmark's fresh worker)."""
    global _last_digest
    _primed.clear()
    _last_digest = None


# -- plain data ------------------------------------------------------------------------


def _piece_plain(p: Piece) -> dict[str, Any]:
    return {
        "title": p.title,
        "text": p.text,
        "priority": p.priority,
        "stable": p.stable,
        "source": p.source,
        "outline": p.outline,
        "required": p.required,
        "smaller": [list(s) for s in p.smaller],
        "group": p.group,
    }


def _finding_plain(f: Finding) -> dict[str, Any]:
    # Its fields are plain values: no deep copy (`asdict`) needed.
    out = {name: getattr(f, name) for name in Finding.__dataclass_fields__}
    out["message"] = redact(f.message)[0]
    return out


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _piece(d: dict[str, Any]) -> Piece:
    return Piece(
        title=_str(d["title"]),
        text=_str(d["text"]),
        priority=int(d["priority"]),
        stable=bool(d["stable"]),
        source=_opt_str(d["source"]),
        outline=_opt_str(d["outline"]),
        required=bool(d["required"]),
        smaller=tuple((_str(w), _str(t)) for w, t in d["smaller"]),
        group=_opt_str(d["group"]),
    )


def _from_plain(key: str, workspace: str, data: dict[str, Any]) -> Kept:
    c = data["collected"]
    params = data["params"]
    if not isinstance(params, dict):
        raise TypeError("params")
    collected = Collected(
        [_piece(p) for p in c["pieces"]],
        _str(c["report"]),
        _opt_str(c["base"]),
        findings=[Finding.from_json(f) for f in c["findings"]],
        needs_map=bool(c["needs_map"]),
        clean=True,
    )
    return Kept(
        key=key,
        workspace=workspace,
        params=params,
        collected=collected,
        files={_str(p): FileRef(_str(p), _str(s), int(n)) for p, s, n in data["files"]},
        excluded={_str(p): _str(w) for p, w in data["excluded"].items()},
        redacted={
            _str(p): [Redaction(int(line), _str(k)) for line, k in rs]
            for p, rs in data["redacted"].items()
        },
        notes=[_str(n) for n in data["notes"]],
    )
