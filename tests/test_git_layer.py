"""The git layer keeps repositories open and remembers what commit shas fix (merge-bases,
commit lists, diffs, blobs): on real repositories, what a user sees must still follow
every change — new commits, a base that moved, `git gc`, a repository deleted and made
again, attributes edited, a shallow clone deepened — from one thread or many."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from cowork.context import git as gitfacts
from cowork.context import gitmemo
from repos import PACKAGE, clone, commit, git, init_repo, sample_repo, write

UTIL_V2 = PACKAGE["pkg/util.py"].replace("return len(text)", "return len(text) + 1")


def feature_branch(root: Path) -> Path:
    """The sample project with a `feature` branch one commit ahead of `main`."""
    sample_repo(root)
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Count one more", {"pkg/util.py": UTIL_V2})
    return root


def summary(cs: gitfacts.ChangeSet) -> tuple[object, ...]:
    """What a user reads of a change set."""
    return (
        cs.base_ref,
        cs.base,
        cs.head,
        [(c.sha, c.subject) for c in cs.commits],
        [(f.path, f.describe(), f.added, f.deleted) for f in cs.files],
        cs.diff,
        cs.more_commits,
        cs.shallow,
    )


def test_a_new_commit_on_the_branch_shows_in_the_next_changes(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    first = gitfacts.changes(root, "main")
    assert [c.subject for c in first.commits] == ["Count one more"]
    assert [f.path for f in first.files] == ["pkg/util.py"]

    head = commit(root, "Say it plainly", {"pkg/cli.py": PACKAGE["pkg/cli.py"] + "# plain\n"})
    second = gitfacts.changes(root, "main")
    assert second.head == head and second.base == first.base
    assert [c.subject for c in second.commits] == ["Say it plainly", "Count one more"]
    assert [f.path for f in second.files] == ["pkg/cli.py", "pkg/util.py"]
    assert "+# plain" in second.diff
    assert (
        gitfacts.files_at(root, head, ["pkg/cli.py"])["pkg/cli.py"]
        == (PACKAGE["pkg/cli.py"] + "# plain\n").encode()
    )


def test_the_merge_base_follows_the_base_branch(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    first_commit = git(root, "rev-list", "--max-parents=0", "HEAD")
    before = gitfacts.changes(root, "main")
    assert before.base == git(root, "rev-parse", "main")

    # main moves on and is merged into the branch: its work is no longer the branch's
    git(root, "checkout", "-q", "main")
    main_tip = commit(root, "Document", {"docs/guide.md": "# Guide\n"})
    git(root, "checkout", "-q", "feature")
    git(root, "merge", "-q", "--no-edit", "main")
    merged = gitfacts.changes(root, "main")
    assert merged.base == main_tip
    assert [f.path for f in merged.files] == ["pkg/util.py"]
    assert merged.commits[0].merge and len(merged.commits) == 2

    # main reset to the first commit: everything since is the branch's again
    git(root, "branch", "-f", "main", first_commit)
    reset = gitfacts.changes(root, "main")
    assert reset.base == first_commit
    assert [f.path for f in reset.files] == ["docs/guide.md", "pkg/cli.py", "pkg/util.py"]
    assert gitfacts.resolve_base(root, "main") == ("main", first_commit)


def test_files_at_after_gc(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    cs = gitfacts.changes(root, "main")
    paths = ["pkg/util.py", "pkg/engine.py", "missing.py", "pkg"]
    expected = {
        "pkg/util.py": UTIL_V2.encode(),
        "pkg/engine.py": PACKAGE["pkg/engine.py"].encode(),
        "missing.py": None,
        "pkg": None,  # a folder is not a file
    }
    assert gitfacts.files_at(root, cs.head, paths) == expected

    git(root, "gc", "-q", "--aggressive", "--prune=now")
    assert gitfacts.files_at(root, cs.head, paths) == expected
    assert gitfacts.files_at(root, cs.base, ["pkg/util.py"]) == {
        "pkg/util.py": PACKAGE["pkg/util.py"].encode()
    }
    # objects written after the repack, read by the processes that ran before it
    head = commit(root, "Later", {"pkg/later.py": "LATER = 1\n"})
    assert gitfacts.files_at(root, head, ["pkg/later.py", "pkg/util.py"]) == {
        "pkg/later.py": b"LATER = 1\n",
        "pkg/util.py": UTIL_V2.encode(),
    }
    assert gitfacts.changes(root, "main").commits[0].subject == "Later"


@pytest.mark.parametrize("remove", ["work tree", ".git"])
def test_a_repository_made_again_at_the_same_path(tmp_path: Path, remove: str) -> None:
    root = feature_branch(tmp_path / "repo")
    old = gitfacts.changes(root, "main")
    assert gitfacts.files_at(root, old.head, ["pkg/util.py"])["pkg/util.py"] == UTIL_V2.encode()

    shutil.rmtree(root if remove == "work tree" else root / ".git")
    init_repo(root)
    commit(root, "Other project", {"pkg/util.py": "OTHER = 1\n", "main.py": "print(1)\n"})
    git(root, "checkout", "-q", "-b", "feature")
    head = commit(root, "Other change", {"main.py": "print(2)\n"})

    new = gitfacts.changes(root, "main")
    assert new.head == head and [c.subject for c in new.commits] == ["Other change"]
    assert [f.path for f in new.files] == ["main.py"] and "+print(2)" in new.diff
    assert gitfacts.files_at(root, head, ["pkg/util.py", "main.py"]) == {
        "pkg/util.py": b"OTHER = 1\n",
        "main.py": b"print(2)\n",
    }
    # the old commits are not in the new repository
    assert gitfacts.files_at(root, old.head, ["pkg/util.py"]) == {"pkg/util.py": None}
    assert gitfacts.info(root).head == head


def test_a_repository_that_is_gone_gives_the_same_answers_as_no_repository(
    tmp_path: Path,
) -> None:
    root = feature_branch(tmp_path / "repo")
    cs = gitfacts.changes(root, "main")
    gitfacts.files_at(root, cs.head, ["pkg/util.py"])
    assert gitfacts.toplevel(root) == root.resolve()

    shutil.rmtree(root / ".git")
    never = tmp_path / "never"
    never.mkdir()
    for folder in (root, never):
        for call in (
            partial(gitfacts.changes, folder, "main"),
            partial(gitfacts.files_at, folder, cs.head, ["pkg/util.py"]),
            partial(gitfacts.resolve_base, folder, None),
            partial(gitfacts.untracked, folder),
        ):
            with pytest.raises(ValueError, match=f"{folder} is not a git repository"):
                call()
        assert gitfacts.info(folder) == gitfacts.GitInfo(is_repo=False)
        assert gitfacts.toplevel(folder) is None
        assert gitfacts.list_files(folder) is None
        assert gitfacts.file_history(folder, "pkg/util.py") == []


def test_a_repository_without_commits_yet(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "repo")
    for _ in range(2):  # a fresh handle, then the kept one
        assert gitfacts.info(root) == gitfacts.GitInfo(is_repo=True, branch="main")
        with pytest.raises(ValueError, match="no commits yet"):
            gitfacts.changes(root, "main")
    head = commit(root, "First", {"a.py": "A = 1\n"})
    assert gitfacts.info(root) == gitfacts.GitInfo(is_repo=True, head=head, branch="main")


def test_a_repository_created_inside_the_workspace_root_takes_over(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "repo")
    sub = root / "pkg"
    assert gitfacts.toplevel(sub) == root.resolve()
    assert "util.py" in (gitfacts.list_files(sub) or [])

    init_repo(sub)
    assert gitfacts.toplevel(sub) == sub.resolve()
    assert "util.py" in (gitfacts.list_files(sub) or [])
    assert gitfacts.info(sub) == gitfacts.GitInfo(is_repo=True, branch="main")


def test_edited_attributes_change_the_next_diff(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    assert not gitfacts.changes(root, "main").files[0].binary
    # Not committed: git reads attributes from the work tree, whatever the commits.
    write(root, {"pkg/.gitattributes": "util.py -diff\n"})
    after = gitfacts.changes(root, "main").files[0]
    assert after.binary and after.hunks == ()
    (root / "pkg/.gitattributes").unlink()
    assert not gitfacts.changes(root, "main").files[0].binary


def test_changing_a_result_does_not_change_the_next_one(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    cs = gitfacts.changes(root, "main")
    expected = summary(cs)
    blobs = gitfacts.files_at(root, cs.head, ["pkg/util.py"])
    added = cs.files[0].hunks[0].added()

    cs.files.clear()
    cs.commits.append(gitfacts.Commit("0" * 40, "Eve", "2000-01-01", "forged"))
    blobs["pkg/util.py"] = b"forged"
    added.append((1, "forged"))

    again = gitfacts.changes(root, "main")
    assert summary(again) == expected
    assert again.files[0].hunks[0].added() == added[:-1]
    assert gitfacts.files_at(root, cs.head, ["pkg/util.py"]) == {"pkg/util.py": UTIL_V2.encode()}


def test_a_ref_that_is_an_option_is_still_refused(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    gitfacts.changes(root, "main")  # everything a warm call could reuse is there
    target = tmp_path / "x"
    for _ in range(2):
        with pytest.raises(ValueError, match="does not name a commit"):
            gitfacts.changes(root, f"--output={target}")
        with pytest.raises(ValueError, match="does not name a commit"):
            gitfacts.resolve_base(root, f"--output={target}")
    assert not target.exists()


def test_shallow_clone_then_deepened(tmp_path: Path) -> None:
    source = feature_branch(tmp_path / "source")
    git(source, "checkout", "-q", "main")
    commit(source, "Main moves", {"docs/a.md": "a\n"})
    shallow = clone(f"file://{source}", tmp_path / "shallow", "--depth", "1", "-b", "feature")
    git(shallow, "fetch", "-q", "--depth", "1", "origin", "main:main")

    worktree = tmp_path / "worktree"
    git(shallow, "worktree", "add", "-q", "--detach", str(worktree))
    for root in (shallow, worktree):
        assert git(root, "rev-parse", "--is-shallow-repository") == "true"
        for _ in range(2):
            with pytest.raises(ValueError, match="shallow clone"):
                gitfacts.changes(root, "main")

    git(shallow, "fetch", "-q", "--unshallow")
    for root in (shallow, worktree):
        assert git(root, "rev-parse", "--is-shallow-repository") == "false"
        cs = gitfacts.changes(root, "main")
        assert not cs.shallow
        assert [c.subject for c in cs.commits] == ["Count one more"]
        assert [f.path for f in cs.files] == ["pkg/util.py"]


def test_many_threads_on_one_repository(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    commit(root, "More", {f"pkg/mod{i}.py": f"VALUE = {i}\n" for i in range(30)})
    expected_cs = summary(gitfacts.changes(root, "main"))
    cs = gitfacts.changes(root, "main")
    paths = sorted(f.path for f in cs.files)
    expected_head = {p: (root / p).read_bytes() for p in paths}
    expected_base = gitfacts.files_at(root, cs.base, paths)
    start = threading.Barrier(8)

    def work(n: int) -> bool:
        start.wait(timeout=60)
        for i in range(10):
            if n % 2 and i % 3 == 0:
                gitmemo.clear_caches()  # some threads read cold while others read warm
            if summary(gitfacts.changes(root, "main")) != expected_cs:
                return False
            if gitfacts.files_at(root, cs.head, paths) != expected_head:
                return False
            if gitfacts.files_at(root, cs.base, paths) != expected_base:
                return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))


def test_a_warm_review_starts_no_git_process_but_the_ref_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = feature_branch(tmp_path / "repo")
    cs = gitfacts.changes(root, "main")
    paths = [f.path for f in cs.files] + ["pkg/engine.py"]
    base = gitfacts.files_at(root, cs.base, paths)
    head = gitfacts.files_at(root, cs.head, paths)

    trace = tmp_path / "trace.log"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert summary(gitfacts.changes(root, "main")) == summary(cs)
    assert gitfacts.files_at(root, cs.base, paths) == base
    assert gitfacts.files_at(root, cs.head, paths) == head
    started = [
        line.split("trace: ", 1)[1]
        for line in trace.read_text().splitlines()
        if "trace: built-in:" in line or "trace: exec:" in line or "trace: run_command:" in line
    ]
    assert started == ["built-in: git rev-parse --verify --quiet --end-of-options 'main^{commit}'"]


def _started(trace: Path) -> list[str]:
    if not trace.exists():
        return []  # git was not started at all
    return [
        line.split("trace: ", 1)[1]
        for line in trace.read_text().splitlines()
        if "trace: built-in:" in line or "trace: exec:" in line or "trace: run_command:" in line
    ]


def test_one_pair_of_cat_file_processes_per_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Everything a summary and a review ask of git, from a thread that has no handle
    # yet (a fresh worker): git's object readers are started once, as one pair.
    root = feature_branch(tmp_path / "repo")
    trace = tmp_path / "trace.log"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    def work() -> None:
        assert gitfacts.info(root).branch == "feature"
        assert next(c.subject for c in gitfacts.file_history(root, "pkg/util.py")) == (
            "Count one more"
        )
        cs = gitfacts.changes(root, None)
        gitfacts.files_at(root, cs.base, ["pkg/util.py", "pkg/engine.py"])
        gitfacts.files_at(root, cs.head, ["pkg/util.py"])

    with ThreadPoolExecutor(1) as pool:
        pool.submit(work).result()
    cat_files = sorted(s.rsplit(" cat-file ", 1)[1] for s in _started(trace) if "cat-file" in s)
    assert cat_files == ["--batch", "--batch-check"]


def test_file_history_is_remembered_until_head_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = feature_branch(tmp_path / "repo")
    first = gitfacts.file_history(root, "pkg/util.py")
    trace = tmp_path / "trace.log"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert gitfacts.file_history(root, "pkg/util.py") == first
    assert not [s for s in _started(trace) if "rev-list" in s]  # asked nothing again

    commit(root, "Count two more", {"pkg/util.py": UTIL_V2 + "# two\n"})
    again = gitfacts.file_history(root, "pkg/util.py")
    assert [c.subject for c in again][:2] == ["Count two more", "Count one more"]
    assert again[1:] == first


def test_file_history_of_a_workspace_inside_a_repository(tmp_path: Path) -> None:
    root = feature_branch(tmp_path / "repo")
    # The workspace is the package folder: paths are relative to it.
    history = gitfacts.file_history(root / "pkg", "util.py")
    assert next(c.subject for c in history) == "Count one more"
    assert gitfacts.file_history(root, "pkg/util.py") == history
