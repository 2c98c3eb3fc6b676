"""Batch mode: a task sent through the Message Batches API at half price, waited on
with backoff, collected by this server or, after a crash, by the next one.

The real server over stdio and the real anthropic SDK against the local fake,
whose batches live in the test process and so outlive the server. The fake ends
a batch on its Kth retrieve (`batch_polls=K`) or when the test says
(`end_batches()`); the poller's first look is 1 s after submitting, so each
test takes a few seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from conftest import (
    WAIT,
    Session,
    artifact_files,
    artifact_of,
    integrity,
    progress_messages,
    server_env,
    start_session,
    stop_session,
)
from cowork.artifacts import read_provenance
from cowork.config import DEFAULT_MODEL
from cowork.engine import batches
from cowork.engine.model import BatchWait, Task, TaskRequest, TaskState
from cowork.engine.store import Store
from cowork.providers import pricing
from cowork.providers.base import Completion, GenerationRequest
from fakeapi import Expired, FakeAnthropic, Reply, Status

KEY = "sk-ant-test-batches-0123456789abcdef"
REPLY = "".join(f"Paragraph {i}: the engine runs jobs in order.\n\n" for i in range(6))
BATCHES = "/v1/messages/batches"
ALWAYS = {"batch": "always"}
# What the fake is told to answer, and what that costs at the batch price: Sonnet
# at $3 / $15 per million, cache writes with the 1 h TTL at 2× input, reads at
# 0.1×, all halved.
USAGE = {
    "input_tokens": 2000,
    "output_tokens": 500,
    "cache_read_tokens": 10_000,
    "cache_write_tokens": 4000,
}
BATCH_COST = 0.5 * (2000 * 3 + 4000 * 3 * 2 + 10_000 * 3 * 0.1 + 500 * 15) / 1e6


def env_for(api: FakeAnthropic) -> dict[str, str]:
    return server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)


async def summarize(session: Session, rel: str = "pkg/engine.py") -> str:
    answer = await session.command("cowork.summarizeModule", {"uri": (session.root / rel).as_uri()})
    return str(answer["taskId"])


async def submitted(session: Session, task_id: str) -> dict[str, Any]:
    """The task's first record that names its batch."""
    return await session.wait_until(
        lambda: next(
            (r for r in session.changes if r["taskId"] == task_id and r.get("batchId")), None
        ),
        f"task {task_id} to be submitted as a batch",
    )


def creates(api: FakeAnthropic) -> list[Any]:
    return [r for r in api.requests_to(BATCHES) if r.method == "POST"]


async def kill(session: Session) -> None:
    """SIGKILL the server and release the client without a shutdown handshake."""
    if session.process.returncode is None:
        session.process.kill()
    await asyncio.wait_for(session.process.wait(), WAIT)
    await asyncio.wait_for(stop_session(session), WAIT)


def assert_collected(done: dict[str, Any], batch_id: str) -> Path:
    """Done from the batch: the artifact holds the result, usage and cost at the batch price."""
    assert done["state"] == "done", done["error"]
    assert done["batchId"] == batch_id
    assert done["provider"] == "anthropic" and done["model"] == DEFAULT_MODEL
    assert done["usage"] == {
        "inputTokens": 2000,
        "outputTokens": 500,
        "cacheReadTokens": 10_000,
        "cacheWriteTokens": 4000,
        "costUsd": pytest.approx(BATCH_COST),
    }
    artifact = artifact_of(done)
    text = artifact.read_text()
    for i in range(6):
        assert text.count(f"Paragraph {i}:") == 1
    provenance = read_provenance(artifact)
    assert provenance["status"] == "draft" and provenance["taskId"] == done["taskId"]
    assert provenance["provider"] == "anthropic" and provenance["model"] == DEFAULT_MODEL
    assert provenance["usage"]["costUsd"] == pytest.approx(BATCH_COST)
    # Provenance says the answer went through a batch, which one, and how it ended.
    assert provenance["batch"] == batch_id
    assert provenance["answer"]["ended"] == "stop"
    return artifact


# -- 1. batch: always ---------------------------------------------------------------


async def test_always_sends_a_batch_and_collects_it_at_half_price(repo: Path) -> None:
    with FakeAnthropic(text=REPLY, batch_polls=2) as api:
        session = await start_session(repo, env=env_for(api), init_options=ALWAYS)
        try:
            task_id = await summarize(session)
            api.batch_results({task_id: Reply(text=REPLY, **USAGE)})
            record = await submitted(session, task_id)
            assert record["state"] == "running"
            done = await session.wait_for(task_id, "done", "failed", "cancelled")
        finally:
            await stop_session(session)

    (create,) = creates(api)
    (request,) = create.json["requests"]
    assert request["custom_id"] == task_id
    params = request["params"]
    assert "stream" not in params and params["model"] == DEFAULT_MODEL
    # A lone batch in a small workspace: no map, no cache breakpoint (prefix_plan).
    (block,) = params["messages"][0]["content"]
    assert "cache_control" not in json.dumps(params) and "Workspace map" not in block["text"]
    assert "class Engine" in block["text"] and "## Goal" in block["text"]
    assert api.requests_to("/v1/messages") == []  # nothing streamed

    batch_id = record["batchId"]
    assert api.batch_ids() == [batch_id]
    assert_collected(done, batch_id)
    assert session.states(task_id) == ["queued", "running", "done"]
    assert any(
        m.startswith("Waiting for the batch (submitted ") for m in progress_messages(session)
    )
    # The batch was looked at until it ended (the second look), then its results read.
    looks = [r for r in api.requests_to(f"{BATCHES}/{batch_id}") if r.method == "GET"]
    assert len(looks) >= 2 and api.requests_to(f"{BATCHES}/{batch_id}/results")


# -- 2. the server dies while waiting ---------------------------------------------------


async def test_a_restarted_server_collects_the_batch_without_resubmitting(repo: Path) -> None:
    module = repo / "pkg/engine.py"
    original = hashlib.sha256(module.read_bytes()).hexdigest()
    with FakeAnthropic(text=REPLY) as api:  # only end_batches() ends a batch
        first = await start_session(repo, env=env_for(api), init_options=ALWAYS)
        try:
            task_id = await summarize(first)
            api.batch_results({task_id: Reply(text=REPLY, **USAGE)})
            batch_id = (await submitted(first, task_id))["batchId"]
            await first.wait_until(
                lambda: any(
                    m.startswith("Waiting for the batch") for m in progress_messages(first)
                ),
                "a report of waiting",
            )
        finally:
            await kill(first)
        assert integrity(repo) == "ok"
        assert artifact_files(repo) == []
        counted = len(api.requests_to("/v1/messages/count_tokens"))

        # Meanwhile the module changes and the batch ends.
        module.write_text(module.read_text() + "\n\ndef later():\n    return 2\n")
        api.end_batches()

        # The settings changed too: waiting on a batch already sent does not depend on them.
        second = await start_session(repo, env=env_for(api), init_options={"batch": "never"})
        try:
            done = await second.wait_for(task_id, "done", "failed", "cancelled")
            listed = {t["taskId"]: t for t in await second.command("cowork.listTasks")}
        finally:
            await stop_session(second)

    assert len(creates(api)) == 1  # not submitted again
    assert api.requests_to("/v1/messages") == []
    assert len(api.requests_to("/v1/messages/count_tokens")) == counted  # not gathered again
    artifact = assert_collected(done, batch_id)
    # The provenance is the one kept at submission: the module as it was sent.
    files = {f["path"]: f["sha256"] for f in read_provenance(artifact)["context"]["files"]}
    assert files["pkg/engine.py"] == original
    assert second.states(task_id) == ["running", "done"]  # never interrupted nor re-queued
    assert not any("re-running" in m.message for m in second.client.messages)
    assert listed[task_id]["state"] == "done" and artifact_files(repo) == [artifact]
    assert integrity(repo) == "ok"


# -- 3. cancel while waiting ------------------------------------------------------------


@pytest.mark.parametrize("how", ["command", "progress"])
async def test_cancelling_a_waiting_task_cancels_its_batch(repo: Path, how: str) -> None:
    with FakeAnthropic(text=REPLY) as api:
        session = await start_session(repo, env=env_for(api), init_options=ALWAYS)
        try:
            task_id = await summarize(session)
            batch_id = (await submitted(session, task_id))["batchId"]
            if how == "command":
                answer = await session.command("cowork.cancelTask", {"taskId": task_id})
                assert answer["state"] == "cancelled"
            else:
                token = f"cowork-task-{task_id}"
                await session.wait_until(
                    lambda: token in session.client.progress_reports, "the task's progress"
                )
                session.client.protocol.notify(
                    types.WINDOW_WORK_DONE_PROGRESS_CANCEL,
                    types.WorkDoneProgressCancelParams(token=token),
                )
            end = await session.wait_for(task_id, "cancelled", "done", "failed")
            await api.until_requests(1, f"{BATCHES}/{batch_id}/cancel")
        finally:
            await stop_session(session)

    assert end["state"] == "cancelled" and end["error"] is None
    assert end["batchId"] == batch_id and end["artifactUri"] is None
    assert len(api.requests_to(f"{BATCHES}/{batch_id}/cancel")) == 1
    assert api.batch(batch_id)["processing_status"] in ("canceling", "ended")
    assert api.batch(batch_id)["cancel_initiated_at"] is not None
    assert artifact_files(repo) == []
    assert session.states(task_id) == ["queued", "running", "cancelled"]


# -- 4. batch: ask ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "batched"), [("Batch (half price)", True), ("Run now", False), (None, False)]
)
async def test_ask_offers_the_batch_and_follows_the_answer(
    repo: Path, answer: str | None, batched: bool
) -> None:
    asked: list[types.ShowMessageRequestParams] = []
    with FakeAnthropic(text=REPLY, batch_polls=1) as api:
        session = await start_session(repo, env=env_for(api), init_options={"batch": "ask"})

        @session.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def on_question(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
            asked.append(params)
            return types.MessageActionItem(title=answer) if answer else None

        try:
            task_id = await summarize(session)
            done = await session.wait_for(task_id, "done", "failed", "cancelled")
        finally:
            await stop_session(session)

    assert done["state"] == "done", done["error"]
    (question,) = asked
    assert question.message == (
        "Send “Summary of pkg/engine.py” as a batch: half price, usually done within the hour?"
    )
    assert [a.title for a in question.actions or []] == ["Batch (half price)", "Run now"]
    if batched:
        assert len(creates(api)) == 1 and api.requests_to("/v1/messages") == []
        assert done["batchId"] == api.batch_ids()[0]
    else:
        assert creates(api) == [] and done["batchId"] is None
        (streamed,) = api.requests_to("/v1/messages")
        assert streamed.json["stream"] is True
        assert "cache_control" not in streamed.body.decode()  # a lone task: no prefix
    assert "Paragraph 5:" in artifact_of(done).read_text()


async def test_ask_without_an_answer_runs_now(repo: Path) -> None:
    """A client with no handler for the question (an error answer) gets the task run now."""
    with FakeAnthropic(text=REPLY) as api:
        session = await start_session(repo, env=env_for(api), init_options={"batch": "ask"})
        try:
            done = await session.wait_for(await summarize(session), "done", "failed")
        finally:
            await stop_session(session)
    assert done["state"] == "done", done["error"]
    assert creates(api) == [] and len(api.requests_to("/v1/messages")) == 1


# -- 5. a batch request that did not succeed --------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (
            Status(500, message="the model fell over"),
            "the batch request failed: api_error: the model fell over",
        ),
        (Expired(), "expired before it ran this request"),
    ],
)
async def test_a_request_that_errored_or_expired_fails_the_task_with_the_reason(
    repo: Path, outcome: Status | Expired, reason: str
) -> None:
    with FakeAnthropic(text=REPLY, batch_polls=1) as api:
        session = await start_session(repo, env=env_for(api), init_options=ALWAYS)
        try:
            task_id = await summarize(session)
            api.batch_results({task_id: outcome})
            done = await session.wait_for(task_id, "done", "failed", "cancelled")
        finally:
            await stop_session(session)
    assert done["state"] == "failed"
    assert reason in done["error"] and done["batchId"] in done["error"]
    assert done["artifactUri"] is None and artifact_files(repo) == []
    assert any(reason in m.message for m in session.client.messages)  # told, not only logged


# -- the command line -------------------------------------------------------------------


def test_cli_batch_waits_in_the_foreground(repo: Path) -> None:
    with FakeAnthropic(text=REPLY, batch_polls=1) as api:
        result = subprocess.run(
            [sys.executable, "-m", "cowork", "run", "summarize", "-q", "--batch", "pkg/engine.py"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env_for(api),
            timeout=WAIT,
        )
    assert result.returncode == 0, result.stderr
    (batch_id,) = api.batch_ids()
    assert f"cowork: sent as batch {batch_id} (half price); waiting for it here" in result.stderr
    assert len(creates(api)) == 1 and api.requests_to("/v1/messages") == []
    artifact = Path(result.stdout.strip())
    assert "Paragraph 5:" in artifact.read_text()
    assert read_provenance(artifact)["provider"] == "anthropic"


# -- units: the store's migration, pricing, polling, the choice --------------------------

OLD_SCHEMA = """
CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, state TEXT NOT NULL,
    request TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
    artifact_uri TEXT, error TEXT, usage TEXT NOT NULL DEFAULT '{}', provider TEXT, model TEXT,
    batch_id TEXT, resumed INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER
);
CREATE TABLE task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, state TEXT NOT NULL,
    at TEXT NOT NULL, detail TEXT
);
"""


def test_a_database_from_before_batches_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "tasks.db"
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    request = TaskRequest(kind="summarize", workspace=str(tmp_path), params={"uri": "file:///x"})
    old.execute(
        "INSERT INTO tasks (task_id, kind, title, state, request, created_at) VALUES (?,?,?,?,?,?)",
        ("old1", "summarize", "Old", "done", json.dumps(request.to_json()), "2026-01-01T00:00:00Z"),
    )
    old.commit()
    old.close()

    store = Store(path)
    try:
        (task,) = store.tasks()
        assert task.task_id == "old1" and task.batch is None
        waiting = Task(
            task_id="new1",
            request=request,
            title="New",
            state=TaskState.RUNNING,
            created_at="2026-01-02T00:00:00Z",
            batch_id="msgbatch_1",
            batch=BatchWait("2026-01-02T00:00:01Z", {"taskId": "new1", "context": {"files": []}}),
        )
        store.save(waiting)
    finally:
        store.close()
    again = Store(path)  # a second open finds the column there
    try:
        loaded = {t.task_id: t for t in again.tasks()}
    finally:
        again.close()
    assert loaded["new1"].batch == waiting.batch and loaded["new1"].batch_id == "msgbatch_1"
    assert loaded["old1"].title == "Old"


def test_one_hour_cache_writes_cost_twice_the_input() -> None:
    from cowork.providers.usage import Usage

    usage = Usage(input_tokens=0, output_tokens=0, cache_write_tokens=1_000_000)
    assert pricing.cost("claude-sonnet-5-5", usage) == pytest.approx(3.75)
    assert pricing.cost("claude-sonnet-5-5", usage, cache_ttl="1h") == pytest.approx(6.0)
    assert pricing.cost("claude-sonnet-5-5", usage, cache_ttl="1h", batch=True) == pytest.approx(
        3.0
    )


def test_polling_backs_off_to_a_cap() -> None:
    delays = batches.poll_delays()
    assert [next(delays) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    at_once = batches.poll_delays(0.0)
    assert [next(at_once) for _ in range(3)] == [0, 1, 2]
    assert batches.ago("2026-01-01T00:00:00Z", _at("2026-01-01T00:03:10Z")) == "3 min ago"
    assert batches.ago("2026-01-01T00:00:00Z", _at("2026-01-01T02:05:00Z")) == "2 h 5 min ago"
    assert batches.ago("2026-01-01T00:00:00Z", _at("2026-01-01T00:00:07Z")) == "7 s ago"


def _at(iso: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


class _StreamOnly:
    """A provider without a batch API (as openai)."""

    name = "openai"

    async def generate(self, request: GenerationRequest, sink: Any) -> Completion:
        raise AssertionError("not called")

    async def count_tokens(self, request: GenerationRequest) -> int | None:
        return None


async def test_batch_is_ignored_for_a_provider_without_a_batch_api() -> None:
    task = Task(
        "t1", TaskRequest("summarize", "/w"), "T", TaskState.RUNNING, "2026-01-01T00:00:00Z"
    )
    told: list[str] = []

    async def yes(task: Task) -> bool:
        return True

    for mode in ("always", "ask"):
        assert not await batches.use_batch(task, mode, _StreamOnly(), yes, told.append)
    assert told and "for the anthropic provider" in told[0]
