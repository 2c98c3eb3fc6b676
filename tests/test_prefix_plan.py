"""The cached prefix is sent only when it pays: the workspace map goes first, with a
cache breakpoint, when it is long enough to be cached, the task's own context leaves
room for it, and reuse of the same bytes is expected: for a task whose context the
map is (research), another task of its kind; for a task that does not need it (a
summary), tasks of its kind already waiting to read it, and only while the map adds
at most a tenth to each task's input (kinds/prefix_plan.py).

Through the real server and the real Anthropic SDK against the local fake API, which
records every request's bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Session, artifact_of, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic
from repos import commit

KEY = "sk-ant-test-0123456789abcdef"


def widen(repo: Path, modules: int = 120) -> Path:
    """`repo` with enough modules that its workspace map (every file and its first
    public names) is over the model's minimum cacheable length."""
    files = {
        f"pkg/area{i:03}.py": "".join(
            f"def handle_{i}_{j}(order):\n    return order + {j}\n\n" for j in range(6)
        )
        for i in range(modules)
    }
    commit(repo, "Add the areas", files)
    return repo


def bulk(repo: Path, *rels: str, defs: int = 1100) -> Path:
    """`repo` with big modules at `rels` (~16,000 tokens each): a summary's own
    context large enough that a small map adds little to it."""
    files = {
        rel: "".join(f"def big{n}_{j}(order):\n    return order * {j}\n\n" for j in range(defs))
        for n, rel in enumerate(rels)
    }
    commit(repo, "Big modules", files)
    return repo


async def ask(session: Session, question: str) -> str:
    answer = await session.command("cowork.research", {"question": question})
    task_id = answer["taskId"]
    assert isinstance(task_id, str)
    return task_id


async def hand_off(session: Session, *rels: str) -> list[str]:
    """Summaries of `rels`, handed off one right after the other (not waited for)."""
    ids = []
    for rel in rels:
        answer = await session.command(
            "cowork.summarizeModule", {"uri": (session.root / rel).as_uri()}
        )
        ids.append(answer["taskId"])
    return ids


async def run(
    repo: Path, api: FakeAnthropic, batches: list[list[str]], options: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Each inner list handed off together, after the previous one has ended; the
    tasks' final records in the order handed off."""
    env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
    session = await start_session(repo, env=env, init_options=options)
    records = []
    try:
        for rels in batches:
            for task_id in await hand_off(session, *rels):
                done = await session.wait_for(task_id, "done", "failed")
                assert done["state"] == "done", done["error"]
                records.append(done)
    finally:
        await stop_session(session)
    return records


def blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    content = body["messages"][0]["content"]
    assert isinstance(content, list)
    return content


def prefix(body: dict[str, Any]) -> str:
    """The bytes up to the cache breakpoint: the system prompt and the map block."""
    first = blocks(body)[0]
    assert first["cache_control"] == {"type": "ephemeral"}
    assert first["text"].startswith("### Workspace map")
    return json.dumps([body["system"], first], sort_keys=True)


def sent_alone(body: dict[str, Any]) -> bool:
    """No map and no cache breakpoint anywhere in the request."""
    text = json.dumps(body)
    return "cache_control" not in text and "Workspace map" not in text


def planned(record: dict[str, Any]) -> dict[str, Any]:
    plan = read_provenance(artifact_of(record))["prefix"]
    assert isinstance(plan, dict)
    return plan


async def test_a_map_below_the_minimum_is_never_a_prefix(repo: Path) -> None:
    """The sample project's map is a few hundred tokens: even two tasks handed off
    together (reuse expected) send their own context alone."""
    with FakeAnthropic(text="A draft.") as api:
        records = await run(
            repo, api, [["pkg/engine.py", "pkg/util.py"]], {"maxConcurrentTasks": 1}
        )
    for request in api.requests_to("/v1/messages"):
        assert sent_alone(request.json)
        assert "class Engine" in request.body.decode() or "pkg/util.py" in request.body.decode()
    for record in records:
        plan = planned(record)
        assert plan["sent"] is False and plan["tokens"] > 0
        assert plan["reason"].startswith("below the minimum cacheable prefix of claude-")
        assert plan["expectedSavingUsd"] == 0
        assert record["usage"]["cacheWriteTokens"] == 0


async def test_summaries_one_after_the_other_never_write_a_map_they_do_not_need(
    repo: Path,
) -> None:
    """Three summaries a few seconds apart: a summary does not need the map, so writing
    it is a bill (1.25x the map) that only readers already waiting could justify, and
    none is: each goes alone, whatever was sent just before."""
    widen(repo)
    with FakeAnthropic(text="A draft.") as api:
        records = await run(repo, api, [["pkg/engine.py"], ["pkg/util.py"], ["pkg/area007.py"]])
    for request in api.requests_to("/v1/messages"):
        assert sent_alone(request.json)
    for record in records:
        plan = planned(record)
        assert plan["sent"] is False and plan["expectedSavingUsd"] == 0
        assert plan["reason"].startswith(
            "a lone task: no other summarize task of this workspace is waiting to read the map"
        )
    assert "- **Workspace map** (~" in artifact_of(records[0]).read_text()


async def test_research_one_after_the_other_writes_then_reads_one_prefix(repo: Path) -> None:
    """Research sends the map anyway (its outline of the workspace). The first question
    has no reason to expect another: the map goes uncached. The second, within the
    cache lifetime of the first, writes it (0.25x more for an expected 0.9x saving);
    the third reads the very same bytes."""
    widen(repo)
    with FakeAnthropic(text="A draft.") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(repo, env=env)
        records = []
        try:
            for question in ("Split the areas?", "One handler?", "Cache the orders?"):
                done = await session.wait_for(await ask(session, question), "done", "failed")
                assert done["state"] == "done", done["error"]
                records.append(done)
        finally:
            await stop_session(session)
    one, two, three = (r.json for r in api.requests_to("/v1/messages"))
    first, second, third = records

    assert "cache_control" not in json.dumps(one)
    assert "pkg/area119.py: handle_119_0" in blocks(one)[0]["text"]
    lone = planned(first)
    assert lone["sent"] is False and lone["inContext"] is True
    assert lone["reason"].startswith("a lone task: no other research task of this workspace")

    assert prefix(two) == prefix(three)  # byte for byte: the third reads what the second wrote
    assert "pkg/area119.py: handle_119_0" in prefix(two)
    assert "Cache the orders?" in blocks(three)[1]["text"]  # after the breakpoint: its own
    write, read = planned(second), planned(third)
    assert write["sent"] is True and write["cache"] == "write"
    assert write["reason"].startswith("written for reuse: another research task of this")
    assert read["sent"] is True and read["cache"] == "read"
    assert read["reason"].startswith("read from the cache: the same prefix was sent")
    assert write["tokens"] == read["tokens"] > 1024
    assert "tokens): sent first, read; read from the cache: the same prefix" in (
        artifact_of(third).read_text()
    )
    # Writing costs 0.25x more for one expected read that saves 0.9x; reading saves 0.9x.
    assert 0 < write["expectedSavingUsd"] < read["expectedSavingUsd"]


async def test_big_summaries_handed_off_together_share_a_small_map_a_small_one_does_not(
    repo: Path,
) -> None:
    """Three summaries of big modules gathering side by side, in a workspace whose map
    is small next to them: the first planned writes the map for the two waiting (the
    write and two reads add a few percent to each), the others read the same bytes. A
    small module's summary a moment later finds the map cached but does not read it:
    even at a tenth of the price it would add more than a tenth to its input."""
    widen(repo, 80)
    bulk(repo, "pkg/big_a.py", "pkg/big_b.py", "pkg/big_c.py")
    commit(repo, "A tiny module", {"pkg/tiny.py": "def tiny(order):\n    return order\n"})
    with FakeAnthropic(text="A draft.") as api:
        records = await run(
            repo,
            api,
            [["pkg/big_a.py", "pkg/big_b.py", "pkg/big_c.py"], ["pkg/tiny.py"]],
            {"maxConcurrentTasks": 3},
        )
    *bodies, small = (r.json for r in api.requests_to("/v1/messages"))
    assert len({prefix(b) for b in bodies}) == 1
    assert "pkg/area079.py: handle_79_0" in prefix(bodies[0])
    plans = [planned(r) for r in records]
    assert sorted(p["cache"] for p in plans[:3]) == ["read", "read", "write"]
    (write,) = (p for p in plans[:3] if p["cache"] == "write")
    assert write["reason"].startswith(
        "written for reuse: 2 other summarize task(s) of this workspace waiting to read it; "
        "the map adds "
    )
    # Against the summaries without the map, it is a cost, not a saving.
    assert all(p["expectedSavingUsd"] < 0 for p in plans[:3])
    assert sent_alone(small), plans[3]
    assert plans[3]["sent"] is False
    assert plans[3]["reason"].startswith("too large for this task: the map was cached")


async def test_a_waiting_task_of_another_kind_does_not_make_a_summary_write(repo: Path) -> None:
    """A big summary with a research question waiting behind it: the question's prompt
    starts with its own system prompt, so it could never read a prefix the summary
    wrote; the summary goes alone."""
    widen(repo, 40)
    bulk(repo, "pkg/big_a.py")
    with FakeAnthropic(text="A draft.") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(repo, env=env, init_options={"maxConcurrentTasks": 1})
        try:
            (summary_id,) = await hand_off(session, "pkg/big_a.py")
            research_id = await ask(session, "Split the areas?")
            summary = await session.wait_for(summary_id, "done", "failed")
            research = await session.wait_for(research_id, "done", "failed")
        finally:
            await stop_session(session)
    assert summary["state"] == research["state"] == "done"
    for request in api.requests_to("/v1/messages"):
        assert "cache_control" not in request.body.decode()
    assert planned(summary)["reason"].startswith(
        "a lone task: no other summarize task of this workspace is waiting to read the map"
    )
    assert planned(research)["reason"].startswith("a lone task: no other research task")


async def test_the_map_never_displaces_the_tasks_own_context(repo: Path) -> None:
    """A module that takes most of a small budget: the map (sized for the budget, not
    for the task) does not fit in what is left, so it is not sent even though another
    task is waiting, and the module goes whole."""
    widen(repo)
    body = "".join(f"def big_{i}(order):\n    return order * {i}\n\n" for i in range(300))
    commit(repo, "A big module", {"pkg/big.py": body})
    with FakeAnthropic(text="A draft.") as api:
        first, _ = await run(
            repo,
            api,
            [["pkg/big.py", "pkg/engine.py"]],
            {"maxConcurrentTasks": 1, "contextBudgetTokens": 8000},
        )
    request = api.requests_to("/v1/messages")[0]
    assert sent_alone(request.json)
    assert "def big_299(order)" in request.body.decode()  # the module, whole
    plan = planned(first)
    assert plan["sent"] is False
    assert plan["reason"].startswith("no room: the task's own context leaves")
    assert read_provenance(artifact_of(first))["context"]["cut"] == []


async def test_research_keeps_the_map_as_its_own_context_when_it_is_not_the_prefix(
    repo: Path,
) -> None:
    """A lone research task: the map is its outline of the workspace, so it is sent,
    but as ordinary context after no breakpoint (nothing would read a cached copy)."""
    widen(repo)
    with FakeAnthropic(text="A draft.") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(repo, env=env)
        try:
            answer = await session.command(
                "cowork.research", {"question": "Should areas share one handler?"}
            )
            done = await session.wait_for(answer["taskId"], "done", "failed")
        finally:
            await stop_session(session)
    assert done["state"] == "done", done["error"]
    (request,) = api.requests_to("/v1/messages")
    assert "cache_control" not in request.body.decode()
    assert "pkg/area119.py: handle_119_0" in blocks(request.json)[0]["text"]
    plan = planned(done)
    assert plan["sent"] is False and plan["inContext"] is True
    assert plan["reason"].startswith("a lone task")


# -- the cost model's arithmetic (a pure function: the prices are the point) ----------


def test_a_batch_writes_only_for_two_expected_reads_and_reads_for_an_hour() -> None:
    """A 1-hour write costs 2x: one expected read (0.9x saved) does not pay for the
    extra 1x, two do; a prefix sent 30 minutes ago is still read by a batch."""
    from cowork.kinds.prefix_plan import Outlook, decide

    def batch(**kw: Any) -> Outlook:
        return Outlook(provider="anthropic", model="claude-sonnet-4-5", batch=True, **kw)

    one = decide(20_000, 15_000, None, batch(others=1, input_price=3.0))
    assert not one.sent and one.reason.startswith("would not pay: the cache write (2x)")
    two = decide(20_000, 15_000, None, batch(others=2, input_price=3.0))
    # Two reads save 2 x 0.9 = 1.8, the write costs 1 more: 0.8 x 20,000 tokens at
    # $3 per million, halved by the batch API.
    assert two.sent and two.cache == "write"
    assert abs(two.expected_saving_usd - 0.8 * 20_000 * 3.0 / 1e6 * 0.5) < 1e-9
    later = decide(20_000, 15_000, None, batch(cached_s=1800.0, input_price=3.0))
    assert later.sent and later.cache == "read"
    streamed = decide(
        20_000,
        15_000,
        None,
        Outlook(provider="anthropic", model="claude-sonnet-4-5", cached_s=1800.0),
    )
    assert not streamed.sent and streamed.reason.startswith("a lone task")
    haiku = Outlook(provider="anthropic", model="claude-haiku-4-5", others=3)
    assert decide(5_000, 3_000, None, haiku).reason.startswith(
        "below the minimum cacheable prefix of claude-haiku-4-5 (~3,000 < 4,096 tokens)"
    )


def test_a_map_the_task_does_not_need_may_add_a_tenth_to_its_input() -> None:
    """A summary does not need the map: sent, it is a cost against the summary without
    it. Written for two waiting readers, the write (1.25x) and two reads (0.1x each)
    are shared by three tasks: 0.483x the map each, allowed up to a tenth of a task's
    own input; read, 0.1x the map, under the same tenth."""
    from cowork.kinds.prefix_plan import Outlook, decide

    def outlook(**kw: Any) -> Outlook:
        return Outlook(
            provider="anthropic", model="claude-sonnet-4-5", input_price=3.0, kind="summarize", **kw
        )

    room = 100_000
    fits = decide(10_000, 8_000, room, outlook(others=2), own=49_000)
    assert fits.sent and fits.cache == "write"
    assert abs(fits.expected_saving_usd + 1.25 * 10_000 * 3.0 / 1e6) < 1e-9
    assert "the map adds 10% to each task's input" in fits.reason
    over = decide(10_000, 8_000, room, outlook(others=2), own=48_000)
    assert not over.sent and over.reason.startswith("would not pay: writing the map and 2 read")
    one_reader = decide(10_000, 8_000, room, outlook(others=1), own=49_000)
    assert not one_reader.sent  # 0.675x the map each: over a tenth of 49,000
    read = decide(10_000, 8_000, room, outlook(cached_s=60.0), own=10_000)
    assert read.sent and read.cache == "read"
    assert read.reason.endswith("the map adds 10% to this task's input")
    small = decide(10_000, 8_000, room, outlook(cached_s=60.0, others=5), own=9_000)
    assert not small.sent and small.reason.startswith("too large for this task")
    lone = decide(10_000, 8_000, room, outlook(seen_s=30.0), own=1_000_000)
    assert not lone.sent and lone.reason.startswith("a lone task: no other summarize task")
    # A batch writes at 2x: (2 + 0.2) / 3 of the map each.
    batch = decide(10_000, 8_000, room, outlook(others=2, batch=True), own=74_000)
    assert batch.sent and batch.cache == "write"
    assert not decide(10_000, 8_000, room, outlook(others=2, batch=True), own=72_000).sent
