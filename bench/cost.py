"""What prompt caching and the batch API save: five different tasks on one workspace.

Generates a repository (the generator of bench/context.py, smaller), starts the
local Anthropic protocol server of the test suite (tests/fakeapi.py), and runs
five different tasks with `cowork run` against it, as a user would: two
summaries, a review of a branch, an architecture brief and a research question.
From each request that reached the server it measures:

- input tokens (cowork's local estimate, 3 ASCII characters per token, the same
  for every task; the fake's own count of 4 per token gives the same shares);
- the shared prefix: the system prompt and the stable block up to the cache
  breakpoint, and whether it is byte-identical to an earlier task's (a cache
  read then) or new (a cache write);
- the cost from cowork's price table for the model: without caching (every
  input token at the input price), with caching (5-minute TTL: writes 1.25x,
  reads 0.1x), and with the batch API (half price; the 1-hour TTL writes 2x).

Target: from the second task on, at least 60% of each task's input tokens are in
the shared prefix. It always exits 0: it is a measurement, not a test.

    .venv/bin/python bench/cost.py [--files 2000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from context import generate_repo  # noqa: E402  # bench/context.py
from cowork.config import DEFAULT_MODEL  # noqa: E402
from cowork.context.budget import LocalEstimator  # noqa: E402
from cowork.providers.pricing import price_for  # noqa: E402
from fakeapi import FakeAnthropic  # noqa: E402

TARGET_SHARE = 0.60
REPLY = "A first draft for a person to review.\n\n" * 40


@dataclass
class Measured:
    label: str
    input_tokens: int
    prefix_tokens: int
    output_tokens: int
    cached: bool  # the prefix was sent before, byte for byte: read from the cache

    @property
    def share(self) -> float:
        return self.prefix_tokens / self.input_tokens if self.input_tokens else 0.0


def _texts(body: dict[str, Any]) -> tuple[str, str]:
    """(the prefix up to and including the cache breakpoint, the rest) of a request."""
    blocks = [("system", b) for b in body.get("system", [])]
    for message in body["messages"]:
        content = message["content"]
        blocks += [
            ("user", b) for b in (content if isinstance(content, list) else [{"text": content}])
        ]
    prefix: list[str] = []
    rest: list[str] = []
    seen_breakpoint = False
    for _, block in blocks:
        (rest if seen_breakpoint else prefix).append(block.get("text", ""))
        if block.get("cache_control"):
            seen_breakpoint = True
    return "".join(prefix), "".join(rest)


def _run(root: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cowork", "run", *args, "--quiet"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"cowork run {' '.join(args)} failed: {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--files", type=int, default=2000, help="files to generate (2000)")
    p.add_argument("--keep", action="store_true", help="keep the generated repository")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="cowork-cost-"))
    try:
        repo = generate_repo(tmp / "acme", args.files, 200, 30)
        root = repo.root
        print(f"repository: {sum(repo.counts.values()):,} files, 200 commits, a branch touching 30")
        areas = sorted({t.split("/")[2] for t in repo.touched if t.startswith("python/acme/")})
        others = [t for t in repo.touched if t.startswith("python/") and t.endswith(".py")]
        tasks = [
            ("summarize core/money.py", ["summarize", repo.target]),
            ("summarize another module", ["summarize", others[0]]),
            ("review the branch", ["review", "--base", "main"]),
            (
                "architecture of two areas",
                ["architecture", "python/acme/core", f"python/acme/{areas[0]}"],
            ),
            (
                "research a question",
                [
                    "research",
                    "--question",
                    "Should rates be cached?",
                    "--option",
                    "LRU",
                    "--option",
                    "none",
                    repo.target,
                ],
            ),
        ]
        with FakeAnthropic(text=REPLY) as api:
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "COWORK_"))
            }
            env |= {"ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": api.base_url}
            estimator = LocalEstimator()
            prefixes: set[str] = set()
            measured: list[Measured] = []
            for label, task in tasks:
                before = len(api.requests_to("/v1/messages"))
                _run(root, env, *task)
                sent = api.requests_to("/v1/messages")[before:]
                assert len(sent) == 1, f"{label}: {len(sent)} requests"
                prefix, rest = _texts(sent[0].json)
                measured.append(
                    Measured(
                        label,
                        estimator.count(prefix) + estimator.count(rest),
                        estimator.count(prefix),
                        len(REPLY) // 4,
                        cached=prefix in prefixes,
                    )
                )
                prefixes.add(prefix)
        _report(measured)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _report(measured: list[Measured]) -> None:
    price = price_for(DEFAULT_MODEL)
    assert price is not None
    pin, pout = price.input / 1e6, price.output / 1e6
    print(f"model {DEFAULT_MODEL}: ${price.input:g} / ${price.output:g} per million in / out\n")
    head = f"{'task':<28}{'input':>8}{'prefix':>8}{'share':>7}  {'cache':<6}"
    print(head + f"{'no cache':>10}{'cached':>10}{'batch':>10}")
    totals = [0.0, 0.0, 0.0]
    ok = True
    for n, m in enumerate(measured):
        rest = m.input_tokens - m.prefix_tokens
        out = m.output_tokens * pout
        plain = m.input_tokens * pin + out
        cached = (m.prefix_tokens * pin * (0.1 if m.cached else 1.25)) + rest * pin + out
        batch = ((m.prefix_tokens * pin * (0.1 if m.cached else 2.0)) + rest * pin + out) * 0.5
        for i, v in enumerate((plain, cached, batch)):
            totals[i] += v
        print(
            f"{m.label:<28}{m.input_tokens:>8,}{m.prefix_tokens:>8,}{m.share:>7.0%}  "
            f"{'read' if m.cached else 'write':<6}${plain:>9.4f}${cached:>9.4f}${batch:>9.4f}"
        )
        if n > 0 and m.share < TARGET_SHARE:
            ok = False
    print(f"{'total':<57}${totals[0]:>9.4f}${totals[1]:>9.4f}${totals[2]:>9.4f}")
    print(
        f"\ncaching saves {1 - totals[1] / totals[0]:.0%}, batch with caching "
        f"{1 - totals[2] / totals[0]:.0%}, against no caching"
    )
    shares = ", ".join(f"{m.share:.0%}" for m in measured[1:])
    verdict = "PASS" if ok else "FAIL"
    print(f"target: >= {TARGET_SHARE:.0%} of input in the shared prefix from task 2 on: ", end="")
    print(f"{verdict} ({shares})")
    print(json.dumps({"shares": [round(m.share, 3) for m in measured]}))


if __name__ == "__main__":
    raise SystemExit(main())
