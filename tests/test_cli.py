"""`cowork run …` and `cowork tasks`: the same engine, headless, with design.md's exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import cowork
from cowork.artifacts import read_provenance
from repos import commit, git


def test_run_summarize_prints_the_artifact_path(repo: Path) -> None:
    result = cowork(repo / "pkg", "run", "summarize", "engine.py")  # cwd inside the repo
    assert result.returncode == 0, result.stderr
    artifact = Path(result.stdout.strip())
    assert artifact.parent == repo / ".cowork" / "artifacts"
    assert "# Summary: `pkg/engine.py`" in artifact.read_text()
    assert "Gathering context" in result.stderr  # progress goes to stderr, the path to stdout
    assert read_provenance(artifact)["provider"] == "offline"


def test_tasks_lists_newest_first(repo: Path) -> None:
    for module in ("pkg/util.py", "pkg/engine.py"):
        assert cowork(repo, "run", "summarize", "-q", module).returncode == 0
    listed = cowork(repo, "tasks", "--json")
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert [r["title"] for r in records] == ["Summary of pkg/engine.py", "Summary of pkg/util.py"]
    assert all(r["state"] == "done" for r in records)
    table = cowork(repo, "tasks").stdout.splitlines()
    assert "pkg/engine.py" in table[0] and "pkg/util.py" in table[1]


def test_usage_errors_exit_2(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")
    result = cowork(repo, "run", "summarize", str(outside))
    assert result.returncode == 2
    assert "outside the workspace" in result.stderr
    assert cowork(repo, "run", "summarize").returncode == 2  # argparse: missing PATH
    missing = cowork(repo, "run", "summarize", "nope.py")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_failed_task_exits_1_with_the_reason(repo: Path) -> None:
    (repo / "blob.py").write_bytes(b"\x00\x01binary")
    result = cowork(repo, "run", "summarize", "-q", "blob.py")
    assert result.returncode == 1
    assert "binary" in result.stderr and result.stdout == ""


def test_run_review_against_main(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    commit(
        repo,
        "Teach the engine to retry",
        {
            "pkg/engine.py": (repo / "pkg/engine.py").read_text()
            + "\n\ndef retry():\n    print('again')\n",
        },
    )
    description = repo.parent / "desc.md"
    description.write_text("Retries failed jobs once.")
    result = cowork(repo, "run", "review", "--description", str(description), "-q")
    assert result.returncode == 0, result.stderr
    text = Path(result.stdout.strip()).read_text()
    assert "Teach the engine to retry" in text and "Retries failed jobs once." in text
    assert "`pkg/engine.py:" in text and "print() call" in text


def test_workspace_flag(repo: Path, tmp_path: Path) -> None:
    result = cowork(
        tmp_path, "run", "summarize", "-q", "--workspace", str(repo), str(repo / "pkg/util.py")
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(repo)
    assert os.path.exists(repo / ".cowork/.gitignore")
