"""Fitting the gathered context to the budget: what provenance lists, and when to refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from cowork.config import Settings
from cowork.engine.gatherer import run_gather
from cowork.errors import TaskFailure
from cowork.kinds.base import Gathered, GatherRequest
from cowork.kinds.summarize import Summarize


def gather(repo: Path, budget: int, reserved: int = 0) -> Gathered:
    params = Summarize().validate({"uri": (repo / "pkg/engine.py").as_uri()}, repo)
    settings = Settings(context_budget_tokens=budget)
    return run_gather("summarize", GatherRequest(repo, params, settings, reserved_tokens=reserved))


def test_files_dropped_by_the_budget_leave_provenance(repo: Path) -> None:
    (repo / "tests/test_engine.py").write_text("def test_x():\n    pass\n" * 400)
    roomy = gather(repo, 60000)
    tight = gather(repo, 1000)
    assert "tests/test_engine.py" in {f.path for f in roomy.files}
    assert "tests/test_engine.py" not in {f.path for f in tight.files}
    assert any("tests/test_engine.py" in what for what, _ in tight.cuts)
    assert "pkg/engine.py" in {f.path for f in tight.files}


def test_a_brief_larger_than_the_budget_fails_clearly(repo: Path) -> None:
    with pytest.raises(TaskFailure, match="the brief and instructions alone take ~5,000 tokens"):
        gather(repo, 1000, reserved=5000)
