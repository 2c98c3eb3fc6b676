"""A group of SQLite writes is one transaction (cowork.transactions): all or nothing,
and writers of the same database (a server and a background server, two workers)
take turns rather than fail."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from cowork.transactions import transaction


def _open(path: Path) -> sqlite3.Connection:
    # As cowork opens its databases: transactions are its own business.
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("CREATE TABLE IF NOT EXISTS rows (n INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    return db


def test_a_failing_row_leaves_none_of_the_group_written(tmp_path: Path) -> None:
    db = _open(tmp_path / "t.db")
    rows = [(1, "one"), (2, "two"), (3, None), (4, "four")]  # the third breaks NOT NULL
    with pytest.raises(sqlite3.IntegrityError), transaction(db):
        db.executemany("INSERT INTO rows (n, text) VALUES (?, ?)", rows)
    assert db.execute("SELECT count(*) FROM rows").fetchone() == (0,)
    # and the connection is usable afterwards
    with transaction(db):
        db.executemany("INSERT INTO rows (n, text) VALUES (?, ?)", rows[:2])
    assert _open(tmp_path / "t.db").execute("SELECT count(*) FROM rows").fetchone() == (2,)


def test_two_writers_of_one_database_both_get_their_rows_in(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    _open(path).close()
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(first: int) -> None:
        db = _open(path)
        try:
            start.wait()
            for k in range(20):
                with transaction(db):
                    base = first + k * 50
                    db.executemany(
                        "INSERT INTO rows (n, text) VALUES (?, ?)",
                        [(base + i, "x") for i in range(50)],
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=write, args=(f,)) for f in (0, 1_000_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _open(path).execute("SELECT count(*) FROM rows").fetchone() == (2000,)
