"""What a change larger than the budget sends: source first, facts always, generated
files as one line, every cut listed — on a repository that looks like a real one
(mixedrepo.py), in-process as a worker gathers, and through the real server to a
fake Messages API (the bytes that leave the machine)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from cowork.context.budget import LocalEstimator, Piece, pack
from cowork.kinds.base import Gathered
from fakeapi import FakeAnthropic
from mixedrepo import CHANGE, GENERATED_NAMES, mixed_repo
from repos import write
from test_review_context import gather, piece, sent

BUDGET = 6000


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mixed_repo(tmp_path_factory.mktemp("mixed") / "shop")


@pytest.fixture(scope="module")
def review(shop: Path) -> Gathered:
    return gather("review", shop, {"base": "main"}, context_budget_tokens=BUDGET)


def titles(g: Gathered) -> list[str]:
    return [p.title for p in g.parts]


def index_of(g: Gathered, title: str) -> int:
    return next(i for i, t in enumerate(titles(g)) if t.startswith(title))


def test_generated_vendored_and_lock_files_are_one_line_and_never_outlined(
    review: Gathered,
) -> None:
    everything = sent(review)
    for name in GENERATED_NAMES:
        assert name not in everything, name
    excluded = dict(review.excluded)
    assert excluded["shop/gen/cart_pb2.py"] == "generated (name: *_pb2.py)"
    assert excluded["checkout/cartpb/cart.pb.go"] == "generated (name: *.pb.go)"
    assert excluded["poetry.lock"] == excluded["package-lock.json"] == "lock file"
    assert excluded["checkout/vendor/github.com/pkg/errors/errors.go"] == "vendored (vendor/)"
    assert (
        excluded["web/src/gen/cart_client.ts"] == "generated (.gitattributes: linguist-generated)"
    )
    lines = piece(review, "Generated, vendored and lock files changed").text.splitlines()
    assert "generated: 160 lines changed in checkout/cartpb/cart.pb.go (name: *.pb.go)" in lines
    assert "generated: 600 lines changed in poetry.lock (lock file)" in lines
    assert len(lines) == 8  # one line per file, never a hunk
    assert not [p for p in review.parts if p.source in excluded]
    # the workspace map lists no generated file either
    assert review.shared is not None and "cart_pb2" not in review.shared.text
    # the malformed .gitattributes line is a note; its other rules still hold
    assert review.notes == [".gitattributes line 3: unterminated quoted pattern; line ignored"]


def test_source_diffs_come_before_docs_ci_and_are_kept_whole(review: Gathered) -> None:
    assert review.tokens <= review.budget == BUDGET
    for source in ("shop/cart.py", "checkout/main.go", "tests/test_cart.py"):
        kept = piece(review, f"Diff of {source}")
        assert kept.title == f"Diff of {source}" and kept.text.startswith("diff --git")
    assert "+    if quantity < 1:" in piece(review, "Diff of shop/cart.py").text
    source_at = index_of(review, "Diff of shop/cart.py")
    for later in ("Diff of docs/guide.md", "Diff of CHANGELOG.md"):
        if any(t.startswith(later) for t in titles(review)):
            assert index_of(review, later) > source_at
    # the docs were larger than the budget: shrunk, and said so
    cuts = dict(review.cuts)
    assert cuts["Diff of docs/guide.md (docs/guide.md)"].startswith("shrunk")
    # the callers and tests of the source are in, before any more of the docs
    assert piece(review, "Callers of changed definitions in shop/orders.py")
    assert piece(review, "tests/test_cart.py (related tests")


def test_every_cut_is_listed(review: Gathered) -> None:
    whole = {(p.title, p.source) for p in review.parts}
    cut = {what for what, _ in review.cuts}
    for candidate in review.candidates:
        if (candidate.title, candidate.source) in whole:
            continue
        shown = (
            candidate.title
            if candidate.source is None
            else f"{candidate.title} ({candidate.source})"
        )
        assert shown in cut, shown


def test_facts_are_filled_and_true(review: Gathered) -> None:
    facts = piece(review, "Public API before/after, callers and related tests").text
    assert "removed function `legacy_total(cart: Cart) -> int`" in facts
    assert (
        "changed function `total(cart: Cart, prices: dict[str, int]) -> int` → "
        "`total(cart: Cart, prices: dict[str, int], discount: int=0) -> int`"
    ) in facts
    assert "shop/orders.py:8 uses `total` (changed in shop/cart.py)" in facts
    assert "tests/test_cart.py — changed in this change; uses `add_item`" in facts
    assert "test_add_item_refuses_nothing" not in facts  # a test is nobody's API
    assert "ISSUE_TEMPLATE" not in facts
    report = review.offline_report
    assert "- `shop/orders.py:8` uses `total` (changed in `shop/cart.py`)" in report
    assert "No public definition was added" not in report
    # the changed test exercises add_item: no "no related test" for the cart
    assert "`add_item` changed and no related test file was found" not in report
    assert "shop/cart.py:" not in report.split("## Observations")[1].split("no related test")[0]
    # the facts piece is taken before any diff
    assert index_of(review, "Public API before/after") < index_of(review, "Diff of shop/cart.py")


def test_facts_survive_a_budget_that_drops_every_diff(shop: Path) -> None:
    g = gather("review", shop, {"base": "main"}, context_budget_tokens=1500)
    assert g.tokens <= 1500
    facts = piece(g, "Public API before/after").text
    assert "shop/orders.py:8 uses `total`" in facts
    assert "Changed files" in " ".join(titles(g))


def test_docs_get_the_facts_without_callers(shop: Path) -> None:
    g = gather("docs", shop, {"base": "main"}, context_budget_tokens=BUDGET)
    facts = piece(g, "Public API before/after and related tests").text
    assert "removed function `legacy_total" in facts and "Callers" not in facts
    for name in GENERATED_NAMES:
        assert name not in sent(g)


@pytest.mark.parametrize("budget", [2500, 4000, 9000, 20000])
def test_no_budget_drops_source_for_docs(shop: Path, budget: int) -> None:
    g = gather("review", shop, {"base": "main"}, context_budget_tokens=budget)
    kept = titles(g)
    docs_kept = any(t.startswith(("Diff of docs/", "Diff of CHANGELOG")) for t in kept)
    source_whole = all(f"Diff of {s}" in kept for s in ("shop/cart.py", "checkout/main.go"))
    assert source_whole or not docs_kept, kept


# -- bad input ------------------------------------------------------------------------------


def test_a_huge_generated_file_and_many_vendored_files(tmp_path: Path) -> None:
    root = mixed_repo(tmp_path / "shop")
    # 50 MB, generated by its header alone: judged by its first lines, never parsed
    header = "// Code generated by schema-gen. DO NOT EDIT.\n\npackage schema\n\n"
    with open(root / "checkout/schema.go", "w", encoding="utf-8") as out:
        out.write(header)
        block = 'func GetField() string { return "x" }\n' * 1000
        while out.tell() < 50_000_000:
            out.write(block)
    write(
        root,
        {
            f"third_party/lib{i // 100}/f{i}.c": f"int f{i}(void) {{ return {i}; }}\n"
            for i in range(3000)
        },
    )
    outside = tmp_path / "elsewhere" / "vendor"
    write(outside, {"dep/dep.go": "package dep\n"})
    os.symlink(outside, root / "web" / "vendor")
    g = gather("review", root, {"base": "main", "uncommitted": True}, context_budget_tokens=BUDGET)
    excluded = dict(g.excluded)
    assert excluded["checkout/schema.go"] == "generated (header: Code generated … DO NOT EDIT)"
    assert excluded["third_party/"] == "vendored (third_party/): 3,000 files"
    assert not [p for p in excluded if p.startswith("third_party/lib")]
    assert "GetField" not in sent(g)
    assert any("web/vendor/ is a symbolic link to a folder" in n for n in g.notes)
    generated = piece(g, "Generated, vendored and lock files changed").text
    assert "3,000 files in third_party/ (vendored (third_party/))" in generated


# -- the property ------------------------------------------------------------------------------


@st.composite
def ranked_pieces(draw: st.DrawFn) -> list[Piece]:
    n = draw(st.integers(1, 12))
    out: list[Piece] = []
    for i in range(n):
        size = draw(st.integers(1, 3000))
        shrink = draw(st.lists(st.integers(1, 3000), max_size=3))
        forms = tuple(
            (f"step {k}", "y" * s) for k, s in enumerate(sorted(shrink, reverse=True)) if s < size
        )
        outline = draw(st.one_of(st.none(), st.integers(1, 200)))
        out.append(
            Piece(
                f"diff {i}",
                "x" * size,
                draw(st.sampled_from([0, 2, 5])),
                source=f"f{i}",
                outline=None if outline is None else "o" * outline,
                smaller=forms,
                group="diffs",
            )
        )
    others = draw(st.integers(0, 3))
    for j in range(others):
        out.append(Piece(f"other {j}", "z" * draw(st.integers(1, 2000)), draw(st.integers(0, 6))))
    return out


@settings(max_examples=300, deadline=None)
@given(ranked_pieces(), st.integers(50, 4000))
def test_a_higher_ranked_piece_is_never_dropped_for_a_lower_ranked_one(
    pieces: list[Piece], budget: int
) -> None:
    packed = pack(pieces, budget, LocalEstimator())
    assert packed.tokens <= budget
    kept = {p.source for p in packed.pieces if p.group == "diffs"}
    ranked = sorted(
        (i for i, p in enumerate(pieces) if p.group == "diffs"),
        key=lambda i: (pieces[i].priority, i),
    )
    dropped_yet = False
    for i in ranked:
        if pieces[i].source in kept:
            assert not dropped_yet, "a lower-ranked piece was kept after a higher one was dropped"
        else:
            dropped_yet = True


# -- through the real server, to the bytes sent -------------------------------------------------


async def test_the_bytes_sent_hold_source_and_facts_not_generated_code(shop: Path) -> None:
    with FakeAnthropic(text="## Observations\n\nNone.\n") as api:
        env = server_env(
            ANTHROPIC_API_KEY="sk-ant-test-0123456789abcdef", ANTHROPIC_BASE_URL=api.base_url
        )
        session = await start_session(
            shop, env=env, init_options={"provider": "anthropic", "contextBudgetTokens": BUDGET}
        )
        try:
            task = await session.command("cowork.reviewChanges", {"base": "main"})
            record = await session.wait_for(task["taskId"], "done", "failed")
        finally:
            await stop_session(session)
    assert record["state"] == "done", record["error"]
    bodies = b"".join(r.body for r in api.requests if r.path == "/v1/messages")
    for name in GENERATED_NAMES:
        assert name.encode() not in bodies
    assert b"generated: 600 lines changed in poetry.lock (lock file)" in bodies
    assert b"+    if quantity < 1:" in bodies  # the source diff itself
    assert b"shop/orders.py:8 uses `total`" in bodies
    assert bodies.index(b"Diff of shop/cart.py") < bodies.index(b"Diff of docs/guide.md")
    assert CHANGE["poetry.lock"][:200].encode() not in bodies
    provenance = read_provenance(Path(record["artifactUri"].removeprefix("file://")))
    context = provenance["context"]
    reasons = {e["path"]: e["reason"] for e in context["excluded"]}
    assert reasons["checkout/cartpb/cart.pb.go"] == "generated (name: *.pb.go)"
    assert any(c["what"].startswith("Diff of docs/guide.md") for c in context["cut"])
    assert context["notes"] == [".gitattributes line 3: unterminated quoted pattern; line ignored"]


# -- other kinds, and the setting ------------------------------------------------------------


def test_no_kind_outlines_generated_code(shop: Path) -> None:
    from cowork import kinds
    from cowork.config import Settings
    from cowork.engine.gatherer import run_gather
    from cowork.kinds.base import GatherRequest

    runs = [
        ("summarize", {"uri": (shop / "shop/rpc.py").as_uri()}),
        ("architecture", {"uris": [shop.as_uri()]}),
        ("architecture", {"uris": [(shop / "checkout").as_uri(), (shop / "shop").as_uri()]}),
    ]
    for kind, params in runs:
        spec = kinds.get(kind)
        g = run_gather(
            kind, GatherRequest(root=shop, params=spec.validate(params, shop), settings=Settings())
        )
        text = sent(g) + g.offline_report
        for name in ("GetProductId", "CartServiceClient", "_CARTITEM", "NewCartServiceClient"):
            assert name not in text, (kind, name)
        assert "checkout/cartpb/cart.pb.go" not in sent(g)
    report = run_gather(
        "summarize",
        GatherRequest(
            root=shop,
            params=kinds.get("summarize").validate(runs[0][1], shop),
            settings=Settings(),
        ),
    ).offline_report
    assert "`shop/gen/cart_pb2_grpc.py` (generated (name: *_pb2_grpc.py))" in report


def test_the_generated_setting_adds_globs(shop: Path) -> None:
    g = gather(
        "review",
        shop,
        {"base": "main"},
        context_budget_tokens=BUDGET,
        generated=("docs/**",),
    )
    assert dict(g.excluded)["docs/guide.md"] == ("generated (matches the cowork.generated setting)")
    assert "Diff of docs/guide.md" not in " ".join(titles(g))
    assert (
        "generated: 140 lines changed in docs/guide.md (matches the cowork.generated setting)"
        in (piece(g, "Generated, vendored and lock files changed").text)
    )


def test_a_large_committed_generated_file_is_one_line_and_never_diffed(tmp_path: Path) -> None:
    from repos import commit

    root = mixed_repo(tmp_path / "shop")
    header = "// Code generated by schema-gen. DO NOT EDIT.\n\npackage schema\n\n"
    body = 'func GetHugeField() string { return "x" }\n' * 250_000  # about 10 MB
    commit(root, "Regenerate the schema", {"checkout/schema_gen.go": header + body})
    g = gather("review", root, {"base": "main"}, context_budget_tokens=BUDGET)
    assert dict(g.excluded)["checkout/schema_gen.go"] == (
        "generated (header: Code generated … DO NOT EDIT)"
    )
    line = next(
        x
        for x in piece(g, "Generated, vendored and lock files changed").text.splitlines()
        if "schema_gen.go" in x
    )
    assert line.startswith("generated: checkout/schema_gen.go changed (added;")
    assert "GetHugeField" not in sent(g) + g.offline_report
