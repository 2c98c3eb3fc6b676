"""The parse index on disk: per-file facts keyed by content hash, shared by every
process that gathers context in one repository (the server's workers, CLI runs).

One SQLite database per repository under `$XDG_CACHE_HOME/cowork/<repo-key>/`
(default `~/.cache/cowork/`), in WAL mode so that readers never wait for a writer
and several writers take turns. It holds plain data only (JSON and text, never
pickles): a file's outline and imports by (content hash, language), the words the
caller sieve uses and the redaction spans of a text by content hash, and each
path's last known (mtime, size, inode) → content hash, so that an unchanged file
is neither read nor parsed again; and whole-workspace records (`blobs`: the
import graph, the file heads, … — `snapshot.py` says what they hold), the newest
few of each kind.

The database is a cache: a version or format change drops it, a corrupt one is
deleted and made again, and any SQLite error turns the index off for the rest of
the process rather than fail a task. It is kept under a size cap by dropping the
rows least recently used (a day's granularity, so that reads rarely write).
Blocking: call off the event loop.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cowork import __version__
from cowork.transactions import transaction

log = logging.getLogger(__name__)

# Bumped whenever what is stored changes shape or meaning (a parser's output
# included): a database of another format is dropped and made again.
# 2: facts keep `generated` and `package`; outlines carry doc comments
# 3: whole-workspace structures (`blobs`); paths are read without their facts
FORMAT = 3
DEFAULT_MAX_BYTES = 512 << 20
_FLUSH_AT = 2_000  # rows waiting to be written before they are written anyway

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS facts (
    sha TEXT NOT NULL, lang TEXT NOT NULL, data TEXT NOT NULL, used INTEGER NOT NULL,
    PRIMARY KEY (sha, lang)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS words (
    sha TEXT PRIMARY KEY, data TEXT NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spans (
    sha TEXT PRIMARY KEY, data TEXT NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS paths (
    path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    ino INTEGER NOT NULL, sha TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    name TEXT PRIMARY KEY, data BLOB NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facts_used ON facts(used);
"""
# Whole-workspace structures kept per kind of name (the part before ":"): the newest
# few, since each is as large as the workspace and a changed file makes a new one.
_BLOBS_KEPT = {"history:": 1024}  # a file's history per HEAD: many small ones
_BLOBS_KEPT_ELSE = 4
_TABLES = ("facts", "words", "spans")


def version_stamp() -> str:
    """What a database must have been written by to be trusted."""
    return f"{FORMAT}:{__version__}:{sys.version_info[0]}.{sys.version_info[1]}"


def cache_home() -> Path:
    """`$XDG_CACHE_HOME/cowork` (default `~/.cache/cowork`)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cowork"


def location(root: Path) -> Path:
    """The index database of the repository (or folder) `root`: one folder per root,
    named for reading and keyed by its full path."""
    resolved = os.path.abspath(root)
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(resolved).name)[:40]
    return cache_home() / f"{name or 'root'}-{digest}" / "index.sqlite"


def _now() -> int:
    """The use clock: microseconds. A read refreshes a row's time only when it is older
    than a day, so that reading rarely writes."""
    return time.time_ns() // 1000


_DAY = 86_400 * 1_000_000


class DiskIndex:
    """One repository's index database, for one process (reopened after a fork).
    Thread-safe: one connection behind a lock; writes are batched and made by `flush`."""

    def __init__(self, path: Path, *, max_bytes: int | None = None) -> None:
        self.path = path
        self.max_bytes = max_bytes if max_bytes is not None else _max_bytes_from_env()
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._pid = -1
        self.disabled = False
        self.rebuilt = 0  # times a corrupt or foreign database was made again
        self._pending: dict[str, dict[tuple[str, ...], str]] = {t: {} for t in _TABLES}
        self._touched: dict[str, set[tuple[str, ...]]] = {t: set() for t in _TABLES}
        self._paths: dict[str, tuple[int, int, int, str]] | None = None
        self._preloaded: dict[tuple[str, str], str] = {}  # facts of the recorded paths
        self._paths_pending: dict[str, tuple[int, int, int, str] | None] = {}
        self._blobs_pending: dict[str, bytes] = {}

    # -- opening -------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection | None:
        if self.disabled:
            return None
        if self._db is not None and self._pid == os.getpid():
            return self._db
        # A forked child must not share its parent's connection.
        self._db, self._pid = None, os.getpid()
        self._paths = None
        self._preloaded = {}
        for t in _TABLES:
            self._pending[t].clear()
            self._touched[t].clear()
        self._paths_pending.clear()
        self._blobs_pending.clear()
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError) as exc:
            log.warning("index on disk at %s: %s; rebuilding it", self.path, exc)
            self._remove()
            try:
                self._db = self._open()
                self.rebuilt += 1
            except (sqlite3.Error, OSError) as again:
                log.warning("index on disk off for this process: %s", again)
                self.disabled = True
                return None
        return self._db

    def _open(self) -> sqlite3.Connection:
        # Outlines and words of the user's files: for the user alone, like the files.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # A cheap check on every open: a torn or overwritten file fails here or on
            # the first query (`_guard` then rebuilds it).
            if db.execute("PRAGMA quick_check(1)").fetchone() != ("ok",):
                raise sqlite3.DatabaseError("quick_check failed")
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            if row is None or row[0] != version_stamp():
                if row is not None:
                    self.rebuilt += 1
                with transaction(db):
                    for table in (*_TABLES, "paths", "blobs"):
                        db.execute(f"DELETE FROM {table}")
                    db.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)",
                        (version_stamp(),),
                    )
        except BaseException:
            db.close()
            raise
        return db

    def _remove(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    def _guard(self, work: Any, default: Any) -> Any:
        """`work(db)`, or `default` when the index is off; a corrupt database is made
        again once, then the index is turned off for this process."""
        with self._lock:
            for attempt in range(2):
                db = self._conn()
                if db is None:
                    return default
                try:
                    return work(db)
                except sqlite3.OperationalError as exc:
                    if "locked" in str(exc) or "busy" in str(exc):
                        return default  # another writer held it past the timeout: skip
                    error: sqlite3.Error = exc
                except sqlite3.DatabaseError as exc:
                    error = exc
                log.warning("index on disk at %s: %s; rebuilding it", self.path, error)
                self._remove()
                self._paths = None
                if attempt == 0:
                    self.rebuilt += 1
            self.disabled = True
            return default

    # -- reading -------------------------------------------------------------------

    def get(self, table: str, *key: str) -> str | None:
        """The stored text of `key` in `table` ("facts": (sha, language); "words",
        "spans": (sha,)), None when unknown."""
        pending = self._pending[table].get(key)
        if pending is not None:
            return pending
        if table == "facts" and self._pid == os.getpid():
            preloaded = self._preloaded.pop(key, None)  # type: ignore[arg-type]
            if preloaded is not None:
                return preloaded
        where = "sha = ? AND lang = ?" if table == "facts" else "sha = ?"

        def read(db: sqlite3.Connection) -> str | None:
            row = db.execute(f"SELECT data, used FROM {table} WHERE {where}", key).fetchone()
            if row is None:
                return None
            if row[1] < _now() - _DAY:
                self._touched[table].add(key)
            return str(row[0])

        found: str | None = self._guard(read, None)
        return found

    def known_path(self, path: str) -> tuple[int, int, int, str] | None:
        """(mtime_ns, size, inode, sha256) last recorded for workspace file `path`."""
        if path in self._paths_pending:
            return self._paths_pending[path]
        if self._paths is None or self._pid != os.getpid():
            self._load_paths()
        assert self._paths is not None
        return self._paths.get(path)

    def _load_paths(self) -> None:
        """Every recorded path in one query: a new process asks about every file."""

        def load(db: sqlite3.Connection) -> dict[str, tuple[int, int, int, str]]:
            rows = db.execute("SELECT path, mtime_ns, size, ino, sha FROM paths")
            return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

        self._paths = self._guard(load, {})
        self._preloaded = {}

    def preload_facts(self) -> None:
        """The facts of every recorded path's content in one query, for a process about
        to ask for all of them (one query per file would cost more than the rest)."""
        if self._paths is None or self._pid != os.getpid():
            self._load_paths()
        facts: dict[tuple[str, str], str] = {}

        def load(db: sqlite3.Connection) -> None:
            stale = _now() - _DAY
            rows = db.execute(
                "SELECT f.sha, f.lang, f.data, f.used FROM facts f "
                "WHERE f.sha IN (SELECT sha FROM paths)"
            )
            for r in rows:
                facts[(r[0], r[1])] = r[2]
                if r[3] < stale:
                    self._touched["facts"].add((r[0], r[1]))

        self._guard(load, None)
        self._preloaded = facts

    def blob(self, name: str) -> bytes | None:
        """The whole-workspace structure stored as `name`, None when there is none."""
        pending = self._blobs_pending.get(name)
        if pending is not None:
            return pending

        def read(db: sqlite3.Connection) -> bytes | None:
            row = db.execute("SELECT data FROM blobs WHERE name = ?", (name,)).fetchone()
            return bytes(row[0]) if row is not None else None

        found: bytes | None = self._guard(read, None)
        return found

    def blob_names(self, prefix: str, limit: int) -> list[str]:
        """Names of the stored structures that start with `prefix`, the most recently
        written first (at most `limit`)."""

        def read(db: sqlite3.Connection) -> list[str]:
            rows = db.execute(
                "SELECT name FROM blobs WHERE substr(name, 1, ?) = ? ORDER BY used DESC LIMIT ?",
                (len(prefix), prefix, limit),
            )
            return [str(r[0]) for r in rows]

        found: list[str] = self._guard(read, [])
        return found

    def put_blob(self, name: str, data: bytes) -> None:
        """Store `data` as `name` at the next `flush` (in the same transaction as the
        rest: a reader sees the old structure or the new one, never half of one)."""
        with self._lock:
            self._blobs_pending[name] = data

    # -- writing -------------------------------------------------------------------

    def put(self, table: str, key: tuple[str, ...], data: str) -> None:
        """Store `data` under `key` at the next `flush`."""
        with self._lock:
            self._pending[table][key] = data
            if sum(len(p) for p in self._pending.values()) >= _FLUSH_AT:
                self.flush()

    def put_path(self, path: str, stamp: tuple[int, int, int, str] | None) -> None:
        """Record (or with None, forget) what `path` held when last looked at."""
        with self._lock:
            if self._paths is not None and self._paths.get(path) == stamp:
                return
            self._paths_pending[path] = stamp

    def flush(self) -> None:
        """Write what is waiting, refresh the use day of what was read, keep to the cap."""
        with self._lock:
            if self.disabled or not (
                any(self._pending.values())
                or any(self._touched.values())
                or self._paths_pending
                or self._blobs_pending
            ):
                return
            pending = {t: dict(rows) for t, rows in self._pending.items()}
            touched = {t: set(keys) for t, keys in self._touched.items()}
            paths = dict(self._paths_pending)
            blobs = dict(self._blobs_pending)

            def write(db: sqlite3.Connection) -> None:
                today = _now()
                with transaction(db):
                    for table, rows in pending.items():
                        # Rows written later count as used later (eviction order).
                        values = [(*k, v, today + n) for n, (k, v) in enumerate(rows.items())]
                        if table == "facts":
                            db.executemany(
                                "INSERT OR REPLACE INTO facts (sha, lang, data, used) "
                                "VALUES (?,?,?,?)",
                                values,
                            )
                        else:
                            db.executemany(
                                f"INSERT OR REPLACE INTO {table} (sha, data, used) VALUES (?,?,?)",
                                values,
                            )
                    for table, keys in touched.items():
                        where = "sha = ? AND lang = ?" if table == "facts" else "sha = ?"
                        db.executemany(
                            f"UPDATE {table} SET used = ? WHERE {where}",
                            [(today, *k) for k in keys],
                        )
                    db.executemany(
                        "INSERT OR REPLACE INTO paths (path, mtime_ns, size, ino, sha) "
                        "VALUES (?,?,?,?,?)",
                        [(p, *s) for p, s in paths.items() if s is not None],
                    )
                    db.executemany(
                        "DELETE FROM paths WHERE path = ?",
                        [(p,) for p, s in paths.items() if s is None],
                    )
                    for name, data in blobs.items():
                        db.execute(
                            "INSERT OR REPLACE INTO blobs (name, data, used) VALUES (?,?,?)",
                            (name, data, today),
                        )
                        kind = name.partition(":")[0] + ":"
                        db.execute(
                            "DELETE FROM blobs WHERE name IN (SELECT name FROM blobs "
                            "WHERE substr(name, 1, ?) = ? ORDER BY used DESC LIMIT -1 OFFSET ?)",
                            (len(kind), kind, _BLOBS_KEPT.get(kind, _BLOBS_KEPT_ELSE)),
                        )
                    parsed = len(pending["facts"])
                    if parsed:
                        db.execute(
                            "INSERT INTO meta (key, value) VALUES ('parses', ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = "
                            "CAST(CAST(value AS INTEGER) + ? AS TEXT)",
                            (str(parsed), parsed),
                        )
                self._evict(db)

            self._guard(write, None)
            for t in _TABLES:
                self._pending[t].clear()
                self._touched[t].clear()
            if self._paths is not None:
                for p, s in paths.items():
                    if s is None:
                        self._paths.pop(p, None)
                    else:
                        self._paths[p] = s
            self._paths_pending.clear()
            self._blobs_pending.clear()

    def _evict(self, db: sqlite3.Connection) -> None:
        """Drop the least recently used rows while the database is over its cap."""
        page = db.execute("PRAGMA page_size").fetchone()[0]
        for _ in range(16):
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            used = pages - db.execute("PRAGMA freelist_count").fetchone()[0]
            if used * page <= self.max_bytes:
                return
            # A quarter of each table at a time, oldest first, until under the cap.
            with transaction(db):
                for table in _TABLES:
                    total = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    db.execute(
                        f"DELETE FROM {table} WHERE sha IN (SELECT sha FROM {table} "
                        "ORDER BY used LIMIT ?)",
                        (total // 4 + 1,),
                    )
                db.execute("DELETE FROM paths WHERE sha NOT IN (SELECT sha FROM facts)")
                db.execute("DELETE FROM blobs")  # they name facts that may be gone now

    # -- for tests, benchmarks and `cowork index` ------------------------------------

    def parses(self) -> int:
        """Files parsed (and stored) in this database since it was made."""

        def read(db: sqlite3.Connection) -> int:
            row = db.execute("SELECT value FROM meta WHERE key = 'parses'").fetchone()
            return int(row[0]) if row else 0

        count: int = self._guard(read, 0)
        return count

    def counts(self) -> dict[str, int]:
        """Rows per table."""

        def read(db: sqlite3.Connection) -> dict[str, int]:
            return {
                t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in (*_TABLES, "paths", "blobs")
            }

        found: dict[str, int] = self._guard(read, {})
        return found

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
            self._db = None


def _max_bytes_from_env() -> int:
    raw = os.environ.get("COWORK_INDEX_MAX_MB", "").strip()
    if raw.isdigit():
        return int(raw) << 20
    return DEFAULT_MAX_BYTES


def enabled() -> bool:
    """Whether the index on disk is in use (COWORK_INDEX=0 turns it off)."""
    return os.environ.get("COWORK_INDEX", "1").strip().lower() not in ("0", "off", "no")


def open_for(root: Path) -> DiskIndex | None:
    """The index on disk of workspace `root`, or None when it is turned off."""
    if not enabled():
        return None
    return DiskIndex(location(root))


def dumps(value: Iterable[Any] | Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
