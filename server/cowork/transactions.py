"""One SQLite transaction for a group of writes.

cowork opens its databases with `isolation_level=None` (it manages transactions
itself), and then `with connection:` only commits: it begins nothing, so each
statement of an `executemany` was a transaction of its own — a review's 200 findings
were 200 commits (~8× slower on disk), and a crash between them left some saved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block's statements as one transaction: all of them, or (on an
    exception) none. IMMEDIATE: the write lock is taken at the start, so concurrent
    writers wait their turn (busy_timeout) instead of failing half-way."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()
