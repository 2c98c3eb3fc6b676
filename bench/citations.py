"""What checking an artifact's citations costs: the check when it is written, and the
scan that gives an open artifact its links and warnings.

Generates a repository of `--files` small files (one commit, a few of them edited
and not committed), then an answer citing `--citations` locations spread over
`--paths` distinct files: nine in ten valid (in committed, edited and new files),
one in ten a line past the end, and a missing file every so often. Measures, as
medians of `--runs`:

- **find**: finding the citations in the text alone (the baseline: pure text work);
- **verify**: `engine/citecheck.verify`, what runs before an artifact is written
  (find, git `cat-file` of the recorded HEAD and a read of each distinct file
  once, the marks);
- **scan**: `lsp/links.scan`, what an open artifact costs on each change (find,
  a `stat` per distinct file, LSP ranges for the links and warnings).

It prints each median and its ratio to **find**. It always exits 0: it measures.

    .venv/bin/python bench/citations.py [--files 2000] [--citations 5000] [--paths 400]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import GIT_ENV  # noqa: E402


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout.strip()


def generate(root: Path, files: int) -> list[str]:
    """A repository of `files` modules of 40 to 240 lines; their relative paths."""
    rels = []
    for n in range(files):
        rel = f"pkg{n % 20}/mod{n}.py"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"value_{i} = {i}\n" for i in range(40 + n % 200)))
        rels.append(rel)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "generated")
    for rel in rels[:10]:  # uncommitted edits: longer in the working tree than at HEAD
        with (root / rel).open("a") as fh:
            fh.write("".join(f"extra_{i} = {i}\n" for i in range(50)))
    return rels


def answer(rels: list[str], citations: int, paths: int) -> str:
    words = []
    for n in range(citations):
        rel = rels[n % paths]
        if n % 10 == 9:
            cite = f"`{rel}:99999`"  # past the end
        elif n % 97 == 0:
            cite = f"`missing/m{n}.py:3`"
        else:
            cite = f"`{rel}:{1 + n % 40}`"
        words.append(f"See {cite} for this.")
    return "\n".join(words) + "\n"


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--citations", type=int, default=5000)
    parser.add_argument("--paths", type=int, default=400)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from pygls.workspace.position_codec import PositionCodec

    from cowork import citations
    from cowork.engine.citecheck import verify
    from cowork.lsp.links import scan

    folder = Path(tempfile.mkdtemp(prefix="cowork-bench-citations-"))
    try:
        root = folder / "repo"
        root.mkdir()
        rels = generate(root, args.files)
        head = git(root, "rev-parse", "HEAD")
        text = answer(rels, args.citations, min(args.paths, len(rels)))
        checked = verify(root, head, {}, text, [])  # once cold: git processes start
        codec = PositionCodec()
        find = median_ms(lambda: citations.find(text), args.runs)
        check = median_ms(lambda: verify(root, head, {}, text, []), args.runs)
        marked = checked.body
        shown = median_ms(lambda: scan(root, marked, codec), args.runs)
        result = scan(root, marked, codec)
        print(
            f"{args.citations:,} citations of {min(args.paths, len(rels)):,} files "
            f"({len(text) / 1024:.0f} KiB of answer), {args.files:,} files in the repository"
        )
        print(
            f"checked {checked.checked:,}, invalid {checked.invalid:,}, "
            f"unchecked {checked.unchecked:,}; on the open artifact {len(result.links):,} "
            f"links, {len(result.diagnostics):,} warnings"
        )
        print(f"{'':8} {'median ms':>10} {'x find':>8}")
        for name, ms in (("find", find), ("verify", check), ("scan", shown)):
            print(f"{name:8} {ms:10.1f} {ms / find:8.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
