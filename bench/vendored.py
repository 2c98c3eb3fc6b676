"""An architecture brief on a repository of 100,000 files, 90,000 of them vendored
(tests/bigrepo.py: 60,000 under `vendor/`, 30,000 under a service's `node_modules/`,
9,997 library files, two small services): times the gathering cold (a new process's
first, with an empty parse cache) and warm (medians), against plain `git ls-files`
over the same repository, and the peak memory.

    .venv/bin/python bench/vendored.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

GIVEN = ["src/cart", "src/web"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # cold: nothing parsed yet
        from bigrepo import big_repo
        from cowork.config import Settings
        from cowork.engine.gatherer import run_gather
        from cowork.kinds.base import GatherRequest
        from cowork.kinds.overview import Architecture

        started = time.perf_counter()
        root = big_repo(Path(tmp) / "big")
        built = time.perf_counter() - started
        print(f"build (fast-import + checkout of 100,000 files): {built:.1f} s")
        params = Architecture().validate({"uris": [(root / s).as_uri() for s in GIVEN]}, root)
        request = GatherRequest(root=root, params=params, settings=Settings(), overlays={})

        def gather() -> float:
            t = time.perf_counter()
            g = run_gather("architecture", request)
            assert "`src/web` → `src/cart`" in g.offline_report
            return time.perf_counter() - t

        cold = gather()
        warm = statistics.median(gather() for _ in range(args.runs))
        git = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True)
            git.append(time.perf_counter() - t)
        baseline = statistics.median(git)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"architecture brief, cold: {cold:.1f} s")
        print(f"architecture brief, warm (median of {args.runs}): {warm * 1000:.0f} ms")
        print(
            f"plain git ls-files (median of {args.runs}): {baseline * 1000:.0f} ms "
            f"(warm brief: {warm / baseline:.1f}x)"
        )
        print(f"peak memory: {rss:.0f} MB")


if __name__ == "__main__":
    main()
