"""The hard context budget: never exceeded, shrink before drop, every cut recorded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cowork.context.budget import LocalEstimator, Piece, pack

estimator = LocalEstimator()

pieces = st.lists(
    st.builds(
        Piece,
        title=st.just(""),
        text=st.text(max_size=2000),
        priority=st.integers(0, 5),
        outline=st.one_of(st.none(), st.text(max_size=200)),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(pieces, st.integers(0, 2000), st.integers(0, 300))
def test_budget_is_never_exceeded_and_nothing_vanishes(
    ps: list[Piece], budget: int, reserved: int
) -> None:
    ps = [Piece(f"piece {i}", p.text, p.priority, outline=p.outline) for i, p in enumerate(ps)]
    packed = pack(ps, budget, estimator, reserved=reserved)
    assert sum(estimator.count(p.text) for p in packed.pieces) + reserved == packed.tokens
    if reserved <= budget:
        assert packed.tokens <= budget
    kept = {p.title.removesuffix(" (outline only)") for p in packed.pieces}
    dropped = {c.title for c in packed.cuts if c.action == "dropped"}
    # every piece is either kept (whole or as outline) or listed as dropped
    assert {p.title for p in ps} <= kept | dropped
    assert len(packed.pieces) + len(dropped) == len(ps)


def test_priority_decides_and_order_is_kept() -> None:
    ps = [
        Piece("overview", "o" * 30, priority=3, stable=True),
        Piece("target", "t" * 300, priority=0),
        Piece("callers", "c" * 300, priority=1, outline="def caller(): ..."),
        Piece("history", "h" * 300, priority=2),
    ]
    packed = pack(ps, 120, estimator)
    assert [p.title for p in packed.pieces] == ["overview", "target", "callers (outline only)"]
    assert [(c.title, c.action) for c in packed.cuts] == [
        ("callers", "shrunk to its outline"),
        ("history", "dropped"),
    ]
    assert packed.cuts[1].reason(120) == "dropped: over the 120-token context budget (100 tokens)"


def test_estimate_errs_high_on_non_ascii() -> None:
    assert estimator.count("abc") == 1
    assert estimator.count("日本語") >= 3
