"""A review kept in the index on disk: another process (a second worker of the pool,
primed or not, or the next CLI run) restores it instead of gathering it again, and
gets exactly what gathering anew gives — and never when a commit or a file changed,
never from a damaged record, and never with a secret unredacted.

Each gathering runs in a process of its own (`python -c`), as a worker does, with
the index on disk under a temporary cache folder.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import server_env
from cowork.context import diskindex
from planted import AWS_KEY, GH_TOKEN
from repos import commit, git, sample_repo

_SCRIPT = """
import json, sys
from pathlib import Path
from cowork.config import Settings
from cowork.engine.gatherer import prime_worker, run_gather
from cowork.kinds import change_disk
from cowork.kinds.base import GatherRequest
from cowork.kinds.review import Review

root, prime = Path(sys.argv[1]), sys.argv[2] == "prime"
settings = Settings()
primed = prime_worker(root, settings) if prime else None
params = Review().validate({"base": "main"}, root)
g = run_gather("review", GatherRequest(root, params, settings))
print(json.dumps({
    "primed": primed,
    "restored": change_disk.restored,
    "stored": change_disk.stored,
    "parts": [[p.title, p.text, p.stable] for p in g.parts],
    "report": g.offline_report,
    "files": sorted([f.path, f.sha256] for f in g.files),
    "redacted": sorted(g.redacted),
    "excluded": sorted(g.excluded),
    "cuts": g.cuts,
    "findings": [f.to_json() for f in g.findings],
}))
"""


def _in_new_process(script: str, root: Path, cache: Path, arg: str) -> dict[str, Any]:
    """What `script` prints (JSON), run by a new Python process on the index on disk."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(root), arg],
        env=server_env(XDG_CACHE_HOME=str(cache)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


@contextmanager
def _cache_at(cache: Path) -> Iterator[None]:
    """This process's cache folder is `cache` for the block (as the worker's was)."""
    saved = os.environ.copy()
    os.environ["XDG_CACHE_HOME"] = str(cache)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _index_path(root: Path, cache: Path) -> Path:
    """Where the index on disk of `root` is, under the cache folder `cache`."""
    with _cache_at(cache):
        return diskindex.location(root.resolve())


def _gather(root: Path, cache: Path, *, prime: bool = False) -> dict[str, Any]:
    """A review gathered by a new process, the index on disk as it is."""
    return _in_new_process(_SCRIPT, root, cache, "prime" if prime else "-")


def _result(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k not in ("primed", "restored", "stored")}


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    root = sample_repo(tmp_path / "repo")
    git(root, "checkout", "-q", "-b", "feature")
    engine = (root / "pkg/engine.py").read_text(encoding="utf-8")
    commit(
        root,
        "Read the token from the settings",
        {
            "pkg/engine.py": engine.replace(
                "        return util.count(job)",
                f'        token = "{GH_TOKEN}"\n        return util.count(job + token)',
            ),
            "pkg/util.py": '"""Small helpers."""\n\n\ndef count(text: str) -> int:\n'
            '    """Length, in characters."""\n    return len(text) + 0\n',
        },
    )
    return root


def _never_sent(run: dict[str, Any], *secrets: str) -> None:
    blob = json.dumps(_result(run))
    for secret in secrets:
        assert secret not in blob


def test_a_second_process_restores_the_review_a_first_one_gathered(
    branch: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = _gather(branch, cache)
    assert (first["restored"], first["stored"]) == (0, 1)
    second = _gather(branch, cache)
    assert (second["restored"], second["stored"]) == (1, 0)
    assert _result(second) == _result(first)
    # A worker primed as the pool starts it restores the same before its first task.
    primed = _gather(branch, cache, prime=True)
    assert primed["primed"] is True and primed["restored"] == 1
    assert _result(primed) == _result(first)
    # The secret of the changed file is redacted in both, and said so in provenance.
    for run in (first, second, primed):
        _never_sent(run, GH_TOKEN)
        assert any(path == "pkg/engine.py" for path, _ in run["redacted"])
    # Gathered anew without the index on disk: the very same context.
    fresh = _gather(branch, tmp_path / "other-cache")
    assert fresh["restored"] == 0 and _result(fresh) == _result(first)


def test_a_new_commit_or_a_changed_file_is_gathered_anew(branch: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _gather(branch, cache)
    # A secret added in a new commit on the branch: gathered again, and redacted.
    commit(branch, "Add a key", {"pkg/keys.py": f'AWS = "{AWS_KEY}"\n'})
    after_commit = _gather(branch, cache)
    assert after_commit["restored"] == 0
    assert any("pkg/keys.py" in text for _, text, _ in after_commit["parts"])
    _never_sent(after_commit, AWS_KEY, GH_TOKEN)
    assert any(path == "pkg/keys.py" for path, _ in after_commit["redacted"])
    # A file of the workspace changed, nothing committed: the kept review no longer holds.
    (branch / "tests/test_engine.py").write_text(
        "from pkg.engine import Engine\n\n\ndef test_submit():\n    assert Engine()\n",
        encoding="utf-8",
    )
    after_edit = _gather(branch, cache)
    assert after_edit["restored"] == 0
    assert _result(after_edit) == _result(_gather(branch, tmp_path / "fresh-cache"))
    assert _gather(branch, cache)["restored"] == 1  # and that one is kept in turn


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign"])
def test_a_damaged_record_is_ignored_and_made_again(
    branch: Path, tmp_path: Path, damage: str
) -> None:
    cache = tmp_path / "cache"
    first = _gather(branch, cache)
    db_path = _index_path(branch, cache)
    db = sqlite3.connect(db_path)
    try:
        (data,) = db.execute("SELECT data FROM blobs WHERE name = 'gather:review'").fetchone()
        head, _, body = bytes(data).partition(b"\n")
        if damage == "truncated":  # as a write cut short would leave it
            data = bytes(data)[: len(data) // 2]
        elif damage == "garbage":
            record = json.loads(body)
            record["collected"]["pieces"] = [{"title": 3}]
            data = head + b"\n" + json.dumps(record).encode()
        else:  # a record of another version
            magic, _version, rest = head.split(b" ", 2)
            data = b" ".join([magic, b"999", rest]) + b"\n" + body
        with db:
            db.execute("UPDATE blobs SET data = ? WHERE name = 'gather:review'", (data,))
    finally:
        db.close()
    again = _gather(branch, cache)
    assert (again["restored"], again["stored"]) == (0, 1)
    assert _result(again) == _result(first)
    assert _gather(branch, cache)["restored"] == 1


def test_large_texts_are_redacted_by_spans_another_process_kept(tmp_path: Path) -> None:
    # The gatherer's last line of defence on a large piece: the spans one process found
    # are read back by the next (a new index object on the same database), the secret
    # redacted the same; a damaged row is searched again.
    from cowork.context.index import WorkspaceIndex
    from cowork.context.privacy import redact, redact_kept, spans

    root = tmp_path / "ws"
    root.mkdir()
    store = tmp_path / "index.sqlite"
    text = "x = 1\n" * 3000 + f'TOKEN = "{GH_TOKEN}"\n' + "y = 2\n" * 100
    searched: list[str] = []

    def counting(t: str) -> list[tuple[int, int, str]]:
        searched.append(t)
        return spans(t)

    def run() -> tuple[str, list[Any]]:
        index = WorkspaceIndex(root, watch=False, store=diskindex.DiskIndex(store))
        out = redact_kept(text, lambda sha, t: index.redaction_spans(sha, t, counting))
        index.flush()
        return out

    first = run()
    assert len(searched) == 1 and GH_TOKEN not in first[0]
    assert first == redact(text) and first[1]
    second = run()
    assert len(searched) == 1  # not searched again
    assert second == first
    db = sqlite3.connect(store)
    with db:
        db.execute("UPDATE spans SET data = 'not json'")
    db.close()
    third = run()
    assert len(searched) == 2 and third == first


def test_a_primed_worker_finds_the_histories_recorded_last_at_its_head(
    branch: Path, tmp_path: Path
) -> None:
    # Summaries record each file's history per HEAD; a worker primed later reads the
    # most recent ones of the HEAD it is at, and none of another HEAD.
    from cowork.context import git as gitfacts
    from cowork.context import historydisk

    with _cache_at(tmp_path / "cache"):
        try:
            head = git(branch, "rev-parse", "HEAD")
            for rel in ("pkg/util.py", "pkg/engine.py", "pkg/cli.py"):
                gitfacts.file_history(branch, rel, 10)
            git(branch, "checkout", "-q", "main")
            gitfacts.file_history(branch, "README.md", 10)
            historydisk.clear()  # as a new process finds them
            recent = historydisk.recent(branch, head, 10, 2)
            assert len(recent) == 2 and set(recent) <= {
                "pkg/util.py",
                "pkg/engine.py",
                "pkg/cli.py",
            }
            assert set(historydisk.recent(branch, head, 10, 8)) == {
                "pkg/util.py",
                "pkg/engine.py",
                "pkg/cli.py",
            }
            main = git(branch, "rev-parse", "HEAD")
            assert historydisk.recent(branch, main, 10, 8) == ["README.md"]
            assert historydisk.recent(branch, main, 5, 8) == []  # another count: other records
        finally:
            historydisk.clear()


_SUMMARIZE = """
import json, sys
from pathlib import Path
from cowork.config import Settings
from cowork.engine import replay
from cowork.engine.gatherer import prime_worker, run_gather
from cowork.kinds.base import GatherRequest
from cowork.kinds.summarize import Summarize

root, what = Path(sys.argv[1]), sys.argv[2]
settings = Settings()
if what == "prime":
    print(json.dumps({"primed": prime_worker(root, settings), "replayed": replay.replayed}))
else:
    params = Summarize().validate({"uri": (root / what).as_uri()}, root)
    g = run_gather("summarize", GatherRequest(root, params, settings))
    print(json.dumps({"parts": [[p.title, p.text] for p in g.parts]}))
"""


def _run(root: Path, cache: Path, what: str) -> dict[str, Any]:
    return _in_new_process(_SUMMARIZE, root, cache, what)


def test_a_primed_worker_gathers_the_last_summary_again(branch: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    summary = _run(branch, cache, "pkg/engine.py")
    assert _run(branch, cache, "prime") == {"primed": True, "replayed": ["summarize"]}
    # The module gone: the replay is passed over, the worker primed all the same.
    (branch / "pkg/engine.py").unlink()
    assert _run(branch, cache, "prime") == {"primed": True, "replayed": []}
    git(branch, "checkout", "-q", "--", "pkg/engine.py")
    assert _run(branch, cache, "pkg/engine.py") == summary
    # A damaged record: passed over too.
    db_path = _index_path(branch, cache)
    db = sqlite3.connect(db_path)
    with db:
        db.execute("UPDATE blobs SET data = ? WHERE name = 'recent:summarize'", (b'{"v": 1',))
    db.close()
    assert _run(branch, cache, "prime") == {"primed": True, "replayed": []}
