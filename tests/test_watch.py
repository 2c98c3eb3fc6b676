"""A watched workspace: a warm gathering looks only at what changed, and misses nothing.

The server keeps one workspace index per worker process between gatherings; with
a file-system watch it no longer lists and stats every file each time. These tests
drive one long-lived index through the changes a developer makes (edits, new files
and folders, deletions, renames, .gitignore edits, `git add -f`, links to secrets,
a rewrite that keeps size and timestamp) and check after each that it sees exactly
what a brand-new index sees.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cowork.context.index import WorkspaceIndex
from cowork.context.reader import ContextReader
from cowork.context.watch import WorkspaceWatch
from repos import commit, git, init_repo, write

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the watch uses Linux inotify"
)


def view(root: Path, index: WorkspaceIndex) -> dict[str, object]:
    """What a gathering would work from: the files a model may see with their content
    hashes and outlines, and what was excluded and why."""
    reader = ContextReader(root, index)
    facts = {
        rel: (f.sha256, tuple(d.name for d in f.definitions)) if f else None
        for rel, f in reader.all_facts
    }
    return {
        "files": reader.inventory,
        "facts": facts,
        "excluded": dict(reader.excluded),
        "text": {rel: reader.text(rel) for rel in reader.inventory if rel.endswith(".py")},
    }


def assert_same_as_fresh(root: Path, warm: WorkspaceIndex) -> dict[str, object]:
    seen = view(root, warm)
    assert seen == view(root, WorkspaceIndex(root, watch=False))
    return seen


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "repo")
    commit(
        root,
        "start",
        {
            ".gitignore": "build/\n*.log\n",
            "app/main.py": "def main():\n    return 1\n",
            "app/util.py": "def helper():\n    pass\n",
            "docs/guide.md": "# Guide\n",
        },
    )
    (root / "empty" / "deeper").mkdir(parents=True)  # no files yet: git does not list it
    (root / "build").mkdir()
    return root


@linux_only
def test_warm_gathering_lists_the_workspace_once(repo: Path) -> None:
    index = WorkspaceIndex(repo)
    first = assert_same_as_fresh(repo, index)
    assert index.watching
    for _ in range(3):
        assert view(repo, index) == first
    (repo / "app" / "main.py").write_text("def main():\n    return 2\n\ndef extra():\n    pass\n")
    seen = assert_same_as_fresh(repo, index)
    assert seen["facts"]["app/main.py"][1] == ("main", "extra")  # type: ignore[index]
    # Edits were told by the watch: every file was listed and looked at only once.
    assert index.listings == 1


@linux_only
@pytest.mark.parametrize(
    "change",
    [
        "new file",
        "new file in an empty folder",
        "new file beside ignored ones",
        "new folder with files",
        "delete",
        "rename folder",
        "ignore by .gitignore",
        "unignore by .gitignore",
        "git add -f",
        "link to a secret",
        "same size and time",
        "commit",
        "checkout",
    ],
)
def test_each_change_is_seen(repo: Path, change: str) -> None:
    index = WorkspaceIndex(repo)
    view(repo, index)
    if change == "new file":
        write(repo, {"app/new.py": "def fresh():\n    pass\n"})
    elif change == "new file in an empty folder":
        write(repo, {"empty/deeper/late.py": "def late():\n    pass\n"})
    elif change == "new file beside ignored ones":
        write(repo, {"logs/today.log": "started\n"})  # a folder of ignored files only
        view(repo, index)
        write(repo, {"logs/summary.py": "def summary():\n    pass\n"})
    elif change == "new folder with files":
        write(repo, {"lib/a/b.py": "def b():\n    pass\n", "lib/c.py": "X = 1\n"})
    elif change == "delete":
        (repo / "app" / "util.py").unlink()
    elif change == "rename folder":
        (repo / "app").rename(repo / "core")
    elif change == "ignore by .gitignore":
        write(repo, {"notes.py": "N = 1\n"})
        view(repo, index)
        write(repo, {".gitignore": "build/\n*.log\nnotes.py\n"})
    elif change == "unignore by .gitignore":
        write(repo, {"build/out.py": "OUT = 1\n"})
        view(repo, index)
        write(repo, {".gitignore": "*.log\n"})
    elif change == "git add -f":
        write(repo, {"build/kept.py": "KEPT = 1\n"})
        view(repo, index)
        git(repo, "add", "-f", "build/kept.py")
    elif change == "link to a secret":
        write(repo, {".env": "API_KEY=sk-live-0123456789abcdef\n"})
        view(repo, index)
        (repo / "app" / "util.py").unlink()
        (repo / "app" / "util.py").symlink_to("../.env")
    elif change == "same size and time":
        path = repo / "app" / "util.py"
        before = path.stat()
        path.write_text("def helpme():\n    pass\n")  # as long as "def helper():..."
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size
    elif change == "commit":
        write(repo, {"app/more.py": "def more():\n    pass\n"})
        commit(repo, "more")
    elif change == "checkout":
        git(repo, "checkout", "-q", "-b", "other")
        commit(repo, "other", {"app/other.py": "def other():\n    pass\n"})
        view(repo, index)
        git(repo, "checkout", "-q", "main")
    seen = assert_same_as_fresh(repo, index)
    files = seen["files"]
    assert isinstance(files, list)
    expected = {
        "new file": lambda: "app/new.py" in files,
        "new file in an empty folder": lambda: "empty/deeper/late.py" in files,
        "new file beside ignored ones": lambda: "logs/summary.py" in files,
        "new folder with files": lambda: {"lib/a/b.py", "lib/c.py"} <= set(files),
        "delete": lambda: "app/util.py" not in files,
        "rename folder": lambda: "core/main.py" in files and "app/main.py" not in files,
        "ignore by .gitignore": lambda: "notes.py" not in files,
        "unignore by .gitignore": lambda: "build/out.py" in files,
        "git add -f": lambda: "build/kept.py" in files,
        "link to a secret": lambda: seen["text"]["app/util.py"] is None,  # type: ignore[index]
        "same size and time": lambda: "helpme" in str(seen["facts"]),
        "commit": lambda: "app/more.py" in files,
        "checkout": lambda: "app/other.py" not in files,
    }
    assert expected[change](), seen


def test_without_a_watch_every_gathering_looks_again(repo: Path) -> None:
    """Where the watch cannot run (not Linux, the watch limit reached) the index looks
    at every file each time, and is as right."""
    index = WorkspaceIndex(repo, watch=False)  # as on a system without inotify
    view(repo, index)
    write(repo, {"app/new.py": "def fresh():\n    pass\n"})
    assert "app/new.py" in assert_same_as_fresh(repo, index)["files"]  # type: ignore[operator]
    assert index.listings == 2
    assert not index.watching


@linux_only
def test_a_watch_reports_nothing_when_nothing_changed(repo: Path) -> None:
    watch = WorkspaceWatch(repo, set())
    watch.watch()
    assert watch.take().everything  # the first look must look at everything
    assert watch.take().none
    (repo / "app" / "main.py").write_text("changed\n")
    changes = watch.take()
    assert changes.paths == {"app/main.py"} and not changes.listing
    (repo / "app" / "gone.py").write_text("x\n")
    assert watch.take().listing
    watch.close()
    assert watch.take().everything


# -- any sequence of changes -------------------------------------------------------------

NAMES = st.sampled_from(["a.py", "b.py", "c.md", "d.log"])
FOLDERS = st.sampled_from(["", "app", "app/sub", "empty/deeper", "build", "new"])
TEXTS = st.sampled_from(["def f():\n    pass\n", "def g():\n    pass\n", "X = 1\n", ""])


@linux_only
class WatchedWorkspace(RuleBasedStateMachine):
    """Random edits between gatherings; the long-lived index always agrees with a new one."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path()
        self.index: WorkspaceIndex | None = None

    @initialize()
    def start(self) -> None:
        import tempfile

        self.tmp = tempfile.mkdtemp(prefix="cowork-watch-")
        self.root = init_repo(Path(self.tmp) / "repo")
        commit(self.root, "start", {".gitignore": "build/\n*.log\n", "app/a.py": "A = 1\n"})
        (self.root / "empty" / "deeper").mkdir(parents=True)
        self.index = WorkspaceIndex(self.root)
        view(self.root, self.index)

    def teardown(self) -> None:
        if self.index is not None and self.index._watch is not None:
            self.index._watch.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @rule(folder=FOLDERS, name=NAMES, text=TEXTS)
    def write_file(self, folder: str, name: str, text: str) -> None:
        path = self.root / folder / name
        if path.is_dir():  # a folder, or a link to one, by that name: not a file to write
            return
        write(self.root, {f"{folder}/{name}" if folder else name: text})

    @rule(folder=FOLDERS, name=NAMES)
    def delete_file(self, folder: str, name: str) -> None:
        path = self.root / folder / name
        if path.is_file() or path.is_symlink():
            path.unlink()

    @rule(folder=FOLDERS)
    def delete_folder(self, folder: str) -> None:
        if folder and (self.root / folder).is_dir():
            shutil.rmtree(self.root / folder)

    @rule(folder=FOLDERS, to=st.sampled_from(["moved", "app/moved"]))
    def move_folder(self, folder: str, to: str) -> None:
        source, dest = self.root / folder, self.root / to
        if folder and source.is_dir() and not dest.exists() and not to.startswith(folder + "/"):
            dest.parent.mkdir(parents=True, exist_ok=True)
            source.rename(dest)

    @rule(folder=FOLDERS, name=NAMES, dest=st.sampled_from([".env", "app/a.py", "app"]))
    def link(self, folder: str, name: str, dest: str) -> None:
        path = self.root / folder / name
        if not path.exists() and not path.is_symlink() and path.parent.is_dir():
            write(self.root, {".env": "TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz\n"})
            path.symlink_to(self.root / dest)

    @rule(folder=FOLDERS, name=NAMES, to=NAMES)
    def rename_file(self, folder: str, name: str, to: str) -> None:
        path = self.root / folder / name
        if path.is_file() and not (self.root / folder / to).exists():
            path.rename(self.root / folder / to)

    @rule(ignore=st.sampled_from(["build/\n*.log\n", "*.log\n", "app/sub/\n", "b.py\n"]))
    def edit_gitignore(self, ignore: str) -> None:
        write(self.root, {".gitignore": ignore})

    @rule()
    def commit_all(self) -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", "step")

    @rule(folder=FOLDERS, name=NAMES)
    def force_add(self, folder: str, name: str) -> None:
        rel = f"{folder}/{name}" if folder else name
        if (self.root / rel).is_file():
            git(self.root, "add", "-f", "--", rel)

    @rule(folder=FOLDERS, name=NAMES, text=TEXTS)
    def rewrite_keeping_stat(self, folder: str, name: str, text: str) -> None:
        path = self.root / folder / name
        if path.is_file() and not path.is_symlink():
            before = path.stat()
            path.write_text(text[: before.st_size].ljust(before.st_size, "#"))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    @invariant()
    def agrees_with_a_fresh_index(self) -> None:
        if self.index is not None:
            assert_same_as_fresh(self.root, self.index)


WatchedWorkspace.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_any_sequence_of_changes = WatchedWorkspace.TestCase
