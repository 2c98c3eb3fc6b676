"""Real git repositories in temp folders, for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    """Run git in `root` (arguments as a list, never a shell)."""
    return subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout.strip()


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def commit(root: Path, message: str, files: dict[str, str | bytes] | None = None) -> str:
    if files:
        write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def init_repo(root: Path, branch: str = "main") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", branch)
    return root


PACKAGE = {
    "pkg/__init__.py": '"""The sample package."""\n',
    "pkg/engine.py": (
        '"""Runs jobs in order and remembers what happened."""\n\n'
        "import json\nimport os\n\nimport requests\n\nfrom pkg import util\n\n\n"
        "class Engine:\n"
        '    """Queues and runs jobs."""\n\n'
        "    def submit(self, job: str) -> int:\n"
        '        """Add a job; return its number."""\n'
        "        return util.count(job)\n\n"
        "    def _private(self):\n        pass\n\n\n"
        "def run_all(engine: Engine, jobs: list[str]) -> list[int]:\n"
        '    """Submit every job."""\n'
        "    return [engine.submit(j) for j in jobs]\n\n\n"
        "def undocumented(x):\n    return json.dumps(x) + os.sep\n"
    ),
    "pkg/util.py": '"""Small helpers."""\n\n\ndef count(text: str) -> int:\n    """Length."""\n    return len(text)\n',
    "pkg/cli.py": "from pkg.engine import Engine, run_all\n\n\ndef main():\n    run_all(Engine(), [])\n",
    "tests/test_engine.py": "from pkg.engine import Engine\n\n\ndef test_submit():\n    assert Engine().submit('a') == 1\n",
    "README.md": "# sample\n",
}


def sample_repo(root: Path) -> Path:
    """A small Python project with two commits on `main`."""
    init_repo(root)
    commit(root, "Add the package", {k: v for k, v in PACKAGE.items() if k != "pkg/cli.py"})
    commit(root, "Add a command line", {"pkg/cli.py": PACKAGE["pkg/cli.py"]})
    return root


def clone(source: Path | str, dest: Path, *args: str) -> Path:
    """`git clone [args] source dest` (a `file://` source makes `--depth` work)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    git(dest.parent, "clone", "-q", *args, str(source), str(dest))
    return dest
