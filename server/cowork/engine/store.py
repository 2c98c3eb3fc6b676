"""Task state in `.cowork/state/tasks.db` (SQLite, WAL). Blocking: used from one worker thread."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from cowork.artifacts import COWORK_DIR
from cowork.engine.model import BatchWait, StoredFinding, Task, TaskRequest, TaskState
from cowork.kinds.findings import Finding
from cowork.providers.usage import Usage
from cowork.transactions import transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    artifact_uri TEXT,
    error TEXT,
    usage TEXT NOT NULL DEFAULT '{}',
    provider TEXT,
    model TEXT,
    batch_id TEXT,
    resumed INTEGER NOT NULL DEFAULT 0,
    owner_pid INTEGER,
    batch_wait TEXT,
    params TEXT,
    brief_uri TEXT
);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created_at);
CREATE TABLE IF NOT EXISTS findings (
    finding_id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    data TEXT NOT NULL,
    dismissed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS findings_task ON findings(task_id);
CREATE TABLE IF NOT EXISTS dismissed (
    fingerprint TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    category TEXT NOT NULL,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS review_heads (
    task_id TEXT PRIMARY KEY,
    branch TEXT,
    head TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS task_sources (
    task_id TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (task_id, path)
);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    state TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT
);
"""

# Columns added after the first release: (table, column, declaration). A database
# made before gets them on open (SQLite adds a column in place, rows keep theirs).
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("tasks", "batch_wait", "TEXT"),  # a task waiting on a batch: BatchWait as JSON
    # The command's argument as sent (JSON; NULL in rows made before: derived from the
    # request) and the brief the task was dispatched from, so a client can run it again.
    ("tasks", "params", "TEXT"),
    ("tasks", "brief_uri", "TEXT"),
    # Who marked the artifact reviewed, and when (JSON), else NULL: still a draft.
    ("tasks", "reviewed", "TEXT"),
    # A finding's anchor: the folded text of its lines when saved (JSON list), else NULL.
    ("findings", "anchor", "TEXT"),
)


def state_db(root: Path) -> Path:
    """Where workspace `root` keeps its task database."""
    return root / COWORK_DIR / "state" / "tasks.db"


class Store:
    """One workspace's task table. Not thread-safe: the engine calls it from one thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        for table, column, declaration in ADDED_COLUMNS:
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column in have:
                continue
            try:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            except sqlite3.OperationalError as exc:
                # Another server opening the same database added it meanwhile.
                if "duplicate column" not in str(exc):
                    raise

    def close(self) -> None:
        self._db.close()

    def save(self, task: Task, detail: str | None = None, *, event: bool = True) -> None:
        """Insert or update `task`, recording the state it is now in."""
        with transaction(self._db):
            self._db.execute(
                """INSERT INTO tasks (task_id, kind, title, state, request, created_at, started_at,
                       finished_at, artifact_uri, error, usage, provider, model, batch_id, resumed,
                       owner_pid, batch_wait, params, brief_uri, reviewed)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(task_id) DO UPDATE SET
                       title=excluded.title, state=excluded.state, started_at=excluded.started_at,
                       finished_at=excluded.finished_at, artifact_uri=excluded.artifact_uri,
                       error=excluded.error, usage=excluded.usage, provider=excluded.provider,
                       model=excluded.model, batch_id=excluded.batch_id, resumed=excluded.resumed,
                       owner_pid=excluded.owner_pid, batch_wait=excluded.batch_wait,
                       params=excluded.params, brief_uri=excluded.brief_uri,
                       reviewed=excluded.reviewed""",
                (
                    task.task_id,
                    task.kind,
                    task.title,
                    task.state.value,
                    json.dumps(task.request.to_json()),
                    task.created_at,
                    task.started_at,
                    task.finished_at,
                    task.artifact_uri,
                    task.error,
                    json.dumps(task.usage.to_json()),
                    task.provider,
                    task.model,
                    task.batch_id,
                    task.resumed,
                    task.owner_pid,
                    json.dumps(task.batch.to_json()) if task.batch else None,
                    json.dumps(task.request.args) if task.request.args is not None else None,
                    task.request.brief_uri,
                    json.dumps(task.reviewed) if task.reviewed else None,
                ),
            )
            if event:
                self._db.execute(
                    "INSERT INTO task_events (task_id, state, at, detail) VALUES (?,?,?,?)",
                    (
                        task.task_id,
                        task.state.value,
                        task.finished_at or task.started_at or task.created_at,
                        detail,
                    ),
                )

    def tasks(self) -> list[Task]:
        """All tasks, newest first."""
        rows = self._db.execute(
            "SELECT task_id, title, state, request, created_at, started_at, finished_at, "
            "artifact_uri, error, usage, provider, model, batch_id, resumed, owner_pid, "
            "batch_wait, params, brief_uri, reviewed FROM tasks "
            "ORDER BY created_at DESC, rowid DESC"
        ).fetchall()
        return [
            Task(
                task_id=r[0],
                title=r[1],
                state=TaskState(r[2]),
                request=_request(r[3], r[16], r[17]),
                created_at=r[4],
                started_at=r[5],
                finished_at=r[6],
                artifact_uri=r[7],
                error=r[8],
                usage=Usage.from_json(json.loads(r[9])),
                provider=r[10],
                model=r[11],
                batch_id=r[12],
                resumed=r[13],
                owner_pid=r[14],
                batch=BatchWait.from_json(json.loads(r[15])) if r[15] else None,
                reviewed=json.loads(r[18]) if r[18] else None,
            )
            for r in rows
        ]

    # -- what each artifact was built from (staleness) --------------------------------

    def record_sources(self, task_id: str, sources: list[tuple[str, str]]) -> None:
        """Keep the (path, sha256) of the files `task_id`'s artifact was built from. A
        row with an empty path says they are recorded, even when there are none."""
        with transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO task_sources (task_id, path, sha256) VALUES (?,?,?)",
                [(task_id, "", ""), *((task_id, p, h) for p, h in sources)],
            )

    def sources(self, task_id: str) -> list[tuple[str, str]] | None:
        """What `record_sources` kept, in path order; None when nothing was recorded."""
        rows = self._db.execute(
            "SELECT path, sha256 FROM task_sources WHERE task_id = ? ORDER BY rowid", (task_id,)
        ).fetchall()
        if not rows:
            return None
        return [(r[0], r[1]) for r in rows if r[0]]

    def known_hashes(self, paths: list[str]) -> dict[str, tuple[int, int, str]]:
        """The (mtime_ns, size, sha256) last seen for each of `paths` that has one."""
        out: dict[str, tuple[int, int, str]] = {}
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(
                f"SELECT path, mtime_ns, size, sha256 FROM file_hashes WHERE path IN ({marks})",
                chunk,
            ):
                out[r[0]] = (r[1], r[2], r[3])
        return out

    def remember_hashes(self, seen: dict[str, tuple[int, int, str]]) -> None:
        with transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO file_hashes (path, mtime_ns, size, sha256) "
                "VALUES (?,?,?,?)",
                [(p, *v) for p, v in seen.items()],
            )

    # -- review findings -------------------------------------------------------------

    def save_review(
        self,
        task_id: str,
        findings: list[Finding],
        anchors: list[list[str] | None] | None = None,
        head: tuple[str | None, str] | None = None,
    ) -> None:
        """Keep a review's findings, each with its anchor (the same order) if given, and
        the (branch, commit) it looked at (incremental reviews start after it): all of
        it, or (on a crash) none."""
        marks = anchors if anchors is not None else [None] * len(findings)
        with transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO findings (finding_id, task_id, n, data, anchor) "
                "VALUES (?,?,?,?,?)",
                [
                    (
                        f"{task_id}-{n}",
                        task_id,
                        n,
                        json.dumps(f.to_json()),
                        json.dumps(a) if a is not None else None,
                    )
                    for n, (f, a) in enumerate(zip(findings, marks, strict=True), 1)
                ],
            )
            if head is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO review_heads (task_id, branch, head) VALUES (?,?,?)",
                    (task_id, *head),
                )

    def task_findings(self, task_id: str | None) -> list[StoredFinding]:
        """The findings one review saved, dismissed ones included (none for None)."""
        return self._findings("f.task_id = ?", (task_id,)) if task_id else []

    def unrecorded_reviews(self, limit: int = 20) -> list[tuple[str, str]]:
        """(task id, artifact uri) of the newest finished reviews whose head was not
        recorded (made before heads were kept): their artifacts' provenance has it."""
        rows = self._db.execute(
            "SELECT t.task_id, t.artifact_uri FROM tasks t LEFT JOIN review_heads r "
            "ON r.task_id = t.task_id WHERE t.kind = 'review' AND t.state = 'done' "
            "AND r.task_id IS NULL AND t.artifact_uri IS NOT NULL "
            "ORDER BY t.created_at DESC, t.rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def last_review_head(self, branch: str) -> tuple[str, str] | None:
        """(task id, head) of the newest finished review of `branch`, if any."""
        row = self._db.execute(
            "SELECT t.task_id, r.head FROM tasks t JOIN review_heads r ON r.task_id = t.task_id "
            "WHERE t.kind = 'review' AND t.state = 'done' AND r.branch = ? "
            "ORDER BY t.created_at DESC, t.rowid DESC LIMIT 1",
            (branch,),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def current_findings(self) -> list[StoredFinding]:
        """The findings of the latest finished review (newest by creation)."""
        row = self._db.execute(
            "SELECT task_id FROM tasks WHERE kind = 'review' AND state = 'done' "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
        return self._findings("f.task_id = ?", (row[0],)) if row else []

    def finding(self, finding_id: str) -> StoredFinding | None:
        found = self._findings("f.finding_id = ?", (finding_id,))
        return found[0] if found else None

    def dismiss(self, finding_id: str, fingerprint: str | None = None, at: str = "") -> None:
        """Mark a finding dismissed; with its `fingerprint`, later reviews leave out any
        finding with the same one."""
        with transaction(self._db):
            self._db.execute(
                "UPDATE findings SET dismissed = 1 WHERE finding_id = ?", (finding_id,)
            )
            found = self.finding(finding_id)
            if fingerprint and found is not None:
                f = found.finding
                self._db.execute(
                    "INSERT OR IGNORE INTO dismissed (fingerprint, path, category, message, at) "
                    "VALUES (?,?,?,?,?)",
                    (fingerprint, f.path, f.category, f.message, at),
                )

    def dismissed(self) -> list[tuple[str, str, str, str]]:
        """(fingerprint, path, category, message) of every finding dismissed for good."""
        rows = self._db.execute(
            "SELECT fingerprint, path, category, message FROM dismissed ORDER BY at"
        ).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def _findings(self, where: str, args: tuple[str, ...]) -> list[StoredFinding]:
        rows = self._db.execute(
            "SELECT f.finding_id, f.task_id, t.artifact_uri, f.data, f.dismissed, f.anchor "
            f"FROM findings f JOIN tasks t ON t.task_id = f.task_id WHERE {where} ORDER BY f.n",
            args,
        ).fetchall()
        return [
            StoredFinding(
                r[0],
                r[1],
                r[2],
                Finding.from_json(json.loads(r[3])),
                bool(r[4]),
                json.loads(r[5]) if r[5] else None,
            )
            for r in rows
        ]


def _request(data: str, params: str | None, brief_uri: str | None) -> TaskRequest:
    request = TaskRequest.from_json(json.loads(data))
    if params is not None:
        loaded = json.loads(params)
        request.args = loaded if isinstance(loaded, dict) else None
    request.brief_uri = brief_uri or request.brief_uri
    return request
