"""The cached prefix is sent only when it pays: the workspace map goes first, with a
cache breakpoint, when it is long enough to be cached, another task is expected to
read it, and the task's own context leaves room for it (kinds/prefix_plan.py).

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


async def test_a_lone_task_goes_alone_then_a_burst_writes_and_reads_one_prefix(
    repo: Path,
) -> None:
    """One task after the other: the first has no reason to expect another and pays
    no cache write; the second, sent within the cache lifetime of the first, writes
    the map for the next; the third reads the very same bytes."""
    widen(repo)
    with FakeAnthropic(text="A draft.") as api:
        first, second, third = await run(
            repo, api, [["pkg/engine.py"], ["pkg/util.py"], ["pkg/area007.py"]]
        )
    one, two, three = (r.json for r in api.requests_to("/v1/messages"))

    assert sent_alone(one)
    lone = planned(first)
    assert lone["sent"] is False and lone["expectedSavingUsd"] == 0
    assert lone["reason"].startswith("a lone task: no other task of this workspace is waiting")

    assert prefix(two) == prefix(three)  # byte for byte: the third reads what the second wrote
    assert "pkg/area119.py: handle_119_0" in prefix(two)
    # What follows the breakpoint is each task's own.
    assert blocks(two)[1] != blocks(three)[1] and "pkg/util.py" in blocks(two)[1]["text"]
    write, read = planned(second), planned(third)
    assert write["sent"] is True and write["cache"] == "write"
    assert write["reason"].startswith("written for reuse: another task of this workspace was sent")
    assert read["sent"] is True and read["cache"] == "read"
    assert read["reason"].startswith("read from the cache: the same prefix was sent")
    assert write["tokens"] == read["tokens"] > 1024
    # A person reads it in the provenance block too.
    assert "- **Workspace map** (~" in artifact_of(first).read_text()
    assert "tokens): sent first, read; read from the cache: the same prefix" in (
        artifact_of(third).read_text()
    )
    # Writing costs 0.25x more for one expected read that saves 0.9x; reading saves 0.9x.
    assert 0 < write["expectedSavingUsd"] < read["expectedSavingUsd"]


async def test_tasks_handed_off_together_and_run_side_by_side_write_the_prefix_once(
    repo: Path,
) -> None:
    """Three tasks gathering at the same time (three slots): the first planned writes
    the prefix, since the others are waiting; the others read the same bytes."""
    widen(repo)
    with FakeAnthropic(text="A draft.") as api:
        records = await run(
            repo,
            api,
            [["pkg/engine.py", "pkg/util.py", "pkg/area003.py"]],
            {"maxConcurrentTasks": 3},
        )
    bodies = [r.json for r in api.requests_to("/v1/messages")]
    assert len({prefix(b) for b in bodies}) == 1
    assert sorted(planned(r)["cache"] for r in records) == ["read", "read", "write"]


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
