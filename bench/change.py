"""How long a `change` task takes from the model's last byte to the patch artifact.

On the generated 10,000-file repository of bench/latency.py: the model's answer
(three edits to two modules and a new test file) is in hand; what is timed is
what cowork does next — the worktree made from HEAD (with an uncommitted edit
carried over), the edits checked and written, the diff taken, the artifact
rendered and written — without a test run. Printed beside the same run's
`git worktree add` alone, the floor any worktree-based approach pays.

    .venv/bin/python bench/change.py [--files 10000] [--runs 7]

Target: median under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from cowork import artifacts
from cowork.config import Settings
from cowork.engine import change_flow
from cowork.providers.base import Completion, GenerationRequest, Prompt
from latency import generate_repo


def answer_for(root: Path, modules: list[str]) -> str:
    edits = []
    for rel in modules[:2]:
        text = (root / rel).read_text()
        line = next(ln for ln in text.splitlines() if ln.startswith("def ") or "def " in ln)
        edits.append({"path": rel, "search": line, "replace": line + "  # reviewed"})
    edits.append(
        {"path": "tests/test_bench_change.py", "search": "", "replace": "def test_x():\n    pass\n"}
    )
    return json.dumps({"rationale": "Bench.", "edits": edits, "reviewerNotes": ["none"]})


async def one(root: Path, modules: list[str], text: str, n: int) -> float:
    task_id = f"bench{n:07d}"
    request = GenerationRequest(prompt=Prompt("", "", "", ""), model="m", offline_report="")
    began = time.perf_counter()
    body, meta = await change_flow.finish_change(
        task_id=task_id,
        root=root,
        params={"goal": "Mark the entry points reviewed", "paths": modules[:2]},
        overlays={},
        request=request,
        completion=Completion(text=text, provider="anthropic", model="m"),
        generate=lambda r: asyncio.sleep(0, Completion("", "anthropic", "m")),  # type: ignore[arg-type,return-value]
        settings=Settings(),
        progress=lambda _: None,
        log=root / ".cowork" / "artifacts" / f"{task_id}.log",
    )
    path = root / ".cowork" / "artifacts" / f"{task_id}.md"
    artifacts.write_atomic(path, artifacts.render({"taskId": task_id, "change": meta}, body))
    took = time.perf_counter() - began
    assert meta["edits"] == {"applied": 3, "refused": 0}, meta
    change_flow.discard(root, task_id)
    return took


def worktree_floor(root: Path, n: int) -> float:
    where = root / ".cowork" / "worktrees" / f"floor{n}"
    began = time.perf_counter()
    subprocess.run(
        ["git", "worktree", "add", "-q", "--detach", str(where), "HEAD"], cwd=root, check=True
    )
    took = time.perf_counter() - began
    subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=root, check=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        repo = generate_repo(root, args.files)
        artifacts.cowork_dir(root)
        modules = [m for m in repo.py_files if "/core/" not in m and "__init__" not in m][:2]
        # An uncommitted edit to a file in context: carried over into the worktree.
        target = root / modules[0]
        target.write_text(target.read_text() + "\n# work in progress\n")
        text = answer_for(root, modules)
        times, floors = [], []
        for n in range(args.runs):
            times.append(asyncio.run(one(root, modules, text, n)))
            floors.append(worktree_floor(root, n))
        median, floor = statistics.median(times), statistics.median(floors)
        print(f"repository: {args.files:,} files; {args.runs} runs")
        print(
            f"last byte -> patch artifact: median {median * 1000:.0f} ms "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
        )
        print(f"git worktree add alone:      median {floor * 1000:.0f} ms")
        print(
            f"ratio to the floor: {median / floor:.1f}x; target < 1 s: "
            f"{'PASS' if median < 1.0 else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
