"""The parse index on disk: shared by CLI runs and workers, versioned, bounded, and
rebuilt when it is damaged — and a task answers the same either way."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import server_env
from cowork.context import diskindex
from cowork.context.index import WorkspaceIndex
from cowork.context.reader import ContextReader
from repos import commit


def cowork(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cowork", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=server_env(**env),
        timeout=120,
    )


def summary(repo: Path, module: str = "pkg/engine.py") -> str:
    """The summary's body, without the front matter (times and ids differ per run)."""
    result = cowork(repo, "run", "summarize", "-q", module)
    assert result.returncode == 0, result.stderr
    text = Path(result.stdout.strip()).read_text()
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    # The provenance at the end names the task, its times and costs: the answer is compared.
    return text.split("<details><summary>Provenance</summary>")[0]


def index_of(repo: Path) -> diskindex.DiskIndex:
    return diskindex.DiskIndex(diskindex.location(repo.resolve()))


def test_cache_home_is_the_tests_own(repo: Path) -> None:
    # No test writes to the real ~/.cache (conftest points XDG_CACHE_HOME elsewhere).
    home = Path(os.path.expanduser("~")) / ".cache"
    assert not str(diskindex.location(repo)).startswith(str(home))
    assert str(diskindex.location(repo)).startswith(os.environ["XDG_CACHE_HOME"])


def test_a_second_cli_run_parses_nothing(repo: Path) -> None:
    first = summary(repo)
    store = index_of(repo)
    parsed = store.parses()
    assert parsed >= 5  # every Python file of the sample repository, once
    second = summary(repo)
    assert store.parses() == parsed  # nothing parsed again: the files are unchanged
    assert second == first

    # `cowork index` says the same in words.
    report = cowork(repo, "index")
    assert report.returncode == 0, report.stderr
    assert " 0 parsed" in report.stdout, report.stdout


def test_only_a_changed_file_is_parsed_again(repo: Path) -> None:
    summary(repo)
    store = index_of(repo)
    parsed = store.parses()
    commit(
        repo,
        "util grows",
        {"pkg/util.py": "def helper():\n    return 2\n\n\ndef more():\n    pass\n"},
    )
    text = summary(repo, "pkg/util.py")
    assert "more" in text
    assert store.parses() == parsed + 1


def test_a_damaged_index_is_rebuilt_and_answers_the_same(repo: Path) -> None:
    first = summary(repo)
    path = diskindex.location(repo.resolve())
    # Make sure the rows are in the main file, then tear it as a crash mid-write would:
    # cut it short and scribble over what is left.
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    assert len(data) > 8192
    torn = data[:100] + b"\xde\xad\xbe\xef" * 512 + data[100 + 2048 : len(data) // 2]
    path.write_bytes(torn)
    Path(f"{path}-wal").unlink(missing_ok=True)

    second = summary(repo)
    assert second == first
    store = index_of(repo)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert store.parses() >= 5  # made again from the files
    parsed = store.parses()
    assert summary(repo) == first
    assert store.parses() == parsed  # and used again from then on


def test_garbage_in_place_of_the_index_is_replaced(repo: Path) -> None:
    path = diskindex.location(repo.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all\n" * 100)
    first = summary(repo)
    assert "pkg/engine.py" in first
    assert index_of(repo).parses() >= 5


def test_another_version_ignores_an_old_index(repo: Path) -> None:
    summary(repo)
    path = diskindex.location(repo.resolve())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0:0.0.0:3.0' WHERE key = 'version'")
        # What an older parser wrote under the same content hash: never believed.
        db.execute('UPDATE facts SET data = \'["python", 1, [], [], "stale", null, null, null]\'')
    text = summary(repo)
    assert "stale" not in text
    store = index_of(repo)
    assert store.counts()["facts"] >= 5
    with sqlite3.connect(path) as db:
        version = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]
    assert version == diskindex.version_stamp()


def test_workers_and_runs_share_it_concurrently(repo: Path) -> None:
    # Four CLI runs at once, all writing the same index: all succeed, none parses
    # anything once a run has finished.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cowork", "run", "summarize", "-q", module],
            cwd=repo,
            env=server_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for module in ("pkg/engine.py", "pkg/util.py", "pkg/engine.py", "pkg/util.py")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    store = index_of(repo)
    parsed = store.parses()
    summary(repo)
    assert store.parses() == parsed


def test_the_index_stays_under_its_cap(tmp_path: Path) -> None:
    store = diskindex.DiskIndex(tmp_path / "index.sqlite", max_bytes=256 << 10)
    blob = "x" * 2000
    for n in range(600):
        store.put("words", (f"{n:064x}",), blob)
    store.flush()
    size = store.path.stat().st_size
    counts = store.counts()
    assert counts["words"] < 600  # the oldest were dropped
    with sqlite3.connect(store.path) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        page = db.execute("PRAGMA page_size").fetchone()[0]
    assert (pages - free) * page <= 256 << 10
    assert size < 4 << 20
    # The newest rows are the ones kept.
    assert store.get("words", f"{599:064x}") == blob
    store.close()


def test_facts_from_disk_equal_facts_parsed(repo: Path, tmp_path: Path) -> None:
    store = diskindex.DiskIndex(tmp_path / "i.sqlite")
    parsed = ContextReader(repo, WorkspaceIndex(repo, watch=False, store=store)).all_facts
    store.flush()
    index = WorkspaceIndex(repo, watch=False, store=diskindex.DiskIndex(tmp_path / "i.sqlite"))
    again = ContextReader(repo, index).all_facts
    assert index.parses == 0 and index.stored == len([f for _, f in again if f is not None])
    assert again == parsed
