"""How long moving a file's findings with an edit takes (findings follow their lines).

On every `didChange` of a file with published findings, the server finds each
finding's anchored text again in the new text (`lsp.anchors.follow`, in a worker
thread) and publishes the document's diagnostics. This times that work for
generated Python files of several sizes with `--findings` findings spread over
them, after an edit that inserts a line at the top (every finding moves), beside
the same run's floor: splitting the text into lines, which any re-anchoring pays.

    .venv/bin/python bench/anchors.py [--findings 50] [--runs 21]

Target: at most 6x the floor at every size (linear in the file's size, with one
fold of each line however many findings the file has); absolute figures depend on
the machine's load, the ratio much less.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from cowork.engine.model import StoredFinding
from cowork.kinds import anchors
from cowork.kinds.findings import Finding
from cowork.lsp.anchors import follow


def source(lines: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < lines:
        n = len(out)
        out += [
            f"def handler_{n}(request, limit={rng.randint(1, 99)}):",
            f"    total = sum(item.price for item in request.items[:limit])  # {n}",
            f"    if total > {rng.randint(100, 999)}:",
            f"        print('big order', total, {n})",
            "    return total",
            "",
        ]
    return out[:lines]


def findings_for(lines: list[str], count: int) -> list[StoredFinding]:
    step = max(1, len(lines) // count // 6) * 6  # on the print lines, which are unique
    out = []
    for n, line in enumerate(range(4, len(lines), step)[:count]):
        f = Finding("app/orders.py", line, "warning", "Remove the print", category="debug-print")
        out.append(StoredFinding(f"t-{n}", "t", None, f, anchor=anchors.anchor_of(f, lines)))
    return out


def median_ms(work: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=50)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    print(f"{'lines':>8} {'follow ms':>10} {'split ms':>9} {'ratio':>6}  moved")
    verdict = "PASS"
    for size in (1_000, 10_000, 100_000):
        lines = source(size)
        stored = findings_for(lines, args.findings)
        edited = "\n".join(["# a new first line", *lines])
        near = {s.finding_id: s.finding.line for s in stored}

        def work(
            text: str = edited, shown: list[StoredFinding] = stored, near: dict[str, int] = near
        ) -> list[StoredFinding]:
            return follow(shown, {"app/orders.py": anchors.split_lines(text)}, near)

        moved = work()
        assert all(m.finding.line == s.finding.line + 1 for m, s in zip(moved, stored, strict=True))
        took = median_ms(work, args.runs)
        floor = median_ms(lambda text=edited: anchors.split_lines(text), args.runs)
        print(f"{size:>8,} {took:>10.2f} {floor:>9.2f} {took / floor:>6.1f}  {len(moved)}")
        if took / floor > 6:
            verdict = "FAIL"
    print(f"{verdict}: target at most 6x the floor (splitting the text) at every size")


if __name__ == "__main__":
    main()
