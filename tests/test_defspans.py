"""The line → definition lookup of review (bisection over definition spans) answers
what a scan of every definition answers, on real-looking modules."""

from __future__ import annotations

import random

from cowork.context.defspans import DefinitionSpans
from cowork.context.index import FileFacts, parse
from cowork.context.outline import Definition


def brute_holders(facts: FileFacts, line: int) -> list[tuple[Definition, Definition | None]]:
    out: list[tuple[Definition, Definition | None]] = []
    for d in facts.definitions:
        out.append((d, None))
        out.extend((c, d) for c in d.children)
    return [(d, o) for d, o in out if d.line <= line <= d.end_line]


def module(seed: int) -> str:
    rng = random.Random(seed)
    parts = ['"""A generated module."""', "import os", ""]
    for n in range(rng.randint(5, 40)):
        if rng.random() < 0.4:
            parts += ["", "", "@dataclass", f"class Thing{n}(Base):", f'    """Thing {n}."""', ""]
            for m in range(rng.randint(0, 12)):
                parts += [f"    def method_{m}(self, x: int) -> int:"]
                parts += ["        y = x"] * rng.randint(1, 6)
                if rng.random() < 0.3:
                    parts += ["        def inner():", "            return y"]
                parts += ["        return y", ""]
        elif rng.random() < 0.5:
            parts += ["", "", f"async def job_{n}(a, b=1):"] + ["    await a"] * rng.randint(1, 9)
        else:
            parts += ["", f"CONSTANT_{n} = {n}", "", f"def f_{n}():", "    return os.sep"]
    return "\n".join(parts) + "\n"


def test_bisection_finds_what_a_scan_finds() -> None:
    for seed in range(30):
        text = module(seed)
        facts = parse("pkg/m.py", text, "", len(text))
        spans = DefinitionSpans(facts)
        for line in range(0, text.count("\n") + 3):
            holders = brute_holders(facts, line)
            assert spans.holders(line) == holders, (seed, line)
            best = None
            for pair in holders:
                if best is None or pair[0].line >= best[0].line:
                    best = pair
            assert spans.innermost(line) == best


def test_overlapping_siblings_are_still_found() -> None:
    # Outlines of other languages may overlap (a declaration spanning its neighbour).
    a = Definition("function", "a", "a()", None, 1, 30)
    b = Definition("function", "b", "b()", None, 5, 8)
    c = Definition("function", "c", "c()", None, 10, 12)
    facts = FileFacts("x.go", "go", "", 0, 30, (a, b, c))
    spans = DefinitionSpans(facts)
    assert [d.name for d, _ in spans.holders(11)] == ["a", "c"]
    assert [d.name for d, _ in spans.holders(20)] == ["a"]
    assert spans.innermost(6) == (b, None)
