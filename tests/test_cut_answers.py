"""A cut-off answer is never a finished artifact.

A stream that ends without the model saying it is done (no `message_stop` /
`stop_reason`, no `finish_reason`: the SDKs raise nothing) is retried like a
dropped connection; an answer cut by the output limit is continued from where it
stopped; what is still cut says so, and a cut review publishes no findings. The
real server over stdio, the real SDKs, the local protocol servers.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import (
    Session,
    artifact_of,
    server_env,
    start_session,
    stop_session,
    summarize_once,
)
from cowork.artifacts import read_provenance
from cowork.providers import pricing
from cowork.providers.usage import Usage
from fakeapi import CutStream, FakeAnthropic, FakeOpenAI, Recorded, Reply
from repos import commit, git, init_repo

ANTHROPIC_KEY = "sk-ant-test-cut-0123456789abcdef"
OPENAI_KEY = "sk-test-cut-0123456789abcdef"
LOCAL_MODEL = "llama3.1:8b"
PARAGRAPHS = "".join(f"Paragraph {i}: the engine runs jobs in order.\n\n" for i in range(12))


def anthropic_env(api: FakeAnthropic) -> dict[str, str]:
    return server_env(ANTHROPIC_API_KEY=ANTHROPIC_KEY, ANTHROPIC_BASE_URL=api.base_url)


def openai_env(api: FakeOpenAI) -> dict[str, str]:
    return server_env(
        OPENAI_API_KEY=OPENAI_KEY,
        OPENAI_BASE_URL=api.base_url,
        COWORK_PROVIDER="openai",
        COWORK_MODEL=LOCAL_MODEL,
    )


def body_of(path: Path) -> str:
    """The artifact's text without its front matter."""
    text = path.read_text()
    return text.split("\n---\n", 1)[1] if text.startswith("---\n") else text


def messages_of(request: Recorded) -> list[dict[str, Any]]:
    return list(request.json["messages"])


def text_of(message: dict[str, Any]) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(b["text"] for b in content)


# -- streams that end early -------------------------------------------------------------


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_a_stream_cut_cleanly_is_retried_and_only_the_whole_answer_is_kept(
    repo: Path, provider: str
) -> None:
    first = "FIRST ATTEMPT: this module turns file"  # what the cut stream carried
    fake = FakeAnthropic if provider == "anthropic" else FakeOpenAI
    with fake(text=first, chunk=40) as api:
        # Anthropic: start, block start, ping, 1 delta; OpenAI: role chunk, 1 delta.
        api.script(CutStream(after_events=4 if provider == "anthropic" else 2))
        api.script(Reply(text=PARAGRAPHS))
        env = anthropic_env(api) if isinstance(api, FakeAnthropic) else openai_env(api)
        done, _ = await summarize_once(repo, env)
    assert done["state"] == "done", done["error"]
    body = body_of(artifact_of(done))
    for i in range(12):
        assert body.count(f"Paragraph {i}:") == 1, i
    assert "FIRST ATTEMPT" not in body and "Incomplete" not in body
    provenance = read_provenance(artifact_of(done))
    assert provenance["answer"]["ended"] == "stop"
    assert provenance["answer"]["requests"] == 2
    # The cut attempt was billed too: its usage is in the sum.
    if provider == "anthropic":  # reported at the stream's start
        assert done["usage"]["inputTokens"] == 2 * 1200
    else:  # never reported: estimated from its length, and said so
        assert done["usage"]["inputTokens"] > 1200
        assert provenance["answer"]["notes"] == [
            "usage of 1 attempt estimated from its length: the stream ended before the "
            "server reported it"
        ]


async def test_a_stream_cut_on_every_attempt_fails_naming_the_cut_stream(repo: Path) -> None:
    with FakeOpenAI(text=PARAGRAPHS, chunk=40) as api:
        api.script(*[CutStream(after_events=3)] * 6)
        done, _ = await summarize_once(repo, openai_env(api))
    assert done["state"] == "failed"
    assert done["error"] == (
        "the stream ended before the answer was complete (no finish_reason) (after 6 attempts)"
    )
    assert len(api.requests_to("/v1/chat/completions")) == 6
    # What arrived is kept, marked incomplete, never passed off as a finished draft.
    kept = artifact_of(done)
    assert read_provenance(kept)["status"] == "incomplete"
    assert "the task failed" in kept.read_text()


async def test_an_anthropic_stream_without_message_stop_fails_after_the_retries(
    repo: Path,
) -> None:
    with FakeAnthropic(text=PARAGRAPHS, chunk=40) as api:
        api.script(*[CutStream(after_events=6)] * 6)
        done, _ = await summarize_once(repo, anthropic_env(api))
    assert done["state"] == "failed"
    assert done["error"] == (
        "the stream ended before the answer was complete (no message_stop) (after 6 attempts)"
    )


# -- answers cut by the output limit ----------------------------------------------------

PART_1 = "".join(f"Section {i}: what the engine does.\n\n" for i in range(6)) + "Section 6: wha"
PART_2 = "t the engine does next.\n\nSection 7: the end.\n"


async def test_an_anthropic_answer_cut_by_max_tokens_is_continued_into_one_answer(
    repo: Path,
) -> None:
    with FakeAnthropic(text=PARAGRAPHS) as api:
        api.script(
            Reply(
                text=PART_1,
                stop_reason="max_tokens",
                input_tokens=900,
                output_tokens=400,
                cache_write_tokens=2000,
            ),
            Reply(text=PART_2, input_tokens=950, output_tokens=30, cache_read_tokens=2000),
        )
        done, _ = await summarize_once(repo, anthropic_env(api))
    assert done["state"] == "done", done["error"]
    body = body_of(artifact_of(done))
    assert PART_1 + PART_2 in body  # one whole answer, joined where it was cut
    assert "Cut short" not in body

    first, second = api.requests_to("/v1/messages")
    m1, m2 = messages_of(first), messages_of(second)
    # The same prompt (system and cached prefix byte for byte), then the answer so
    # far as the assistant's turn, and a user turn asking to go on.
    assert first.json["system"] == second.json["system"]
    assert m2[0] == m1[0] and len(m1) == 1
    assert [m["role"] for m in m2] == ["user", "assistant", "user"]
    assert text_of(m2[1]) == PART_1
    assert "cut off by the output token limit" in text_of(m2[2])

    provenance = read_provenance(artifact_of(done))
    assert provenance["answer"] == {"ended": "continued ×1", "requests": 2}
    # Every billed request counts.
    usage = Usage(
        input_tokens=1850, output_tokens=430, cache_read_tokens=2000, cache_write_tokens=2000
    )
    assert done["usage"]["inputTokens"] == 1850 and done["usage"]["outputTokens"] == 430
    assert done["usage"]["cacheReadTokens"] == 2000 and done["usage"]["cacheWriteTokens"] == 2000
    expected = pricing.cost(done["model"], usage, cache_ttl="5m")
    assert expected > 0 and done["usage"]["costUsd"] == pytest.approx(expected, abs=1e-6)


async def test_an_openai_answer_cut_by_length_is_continued(repo: Path) -> None:
    with FakeOpenAI(text=PARAGRAPHS) as api:
        api.script(
            Reply(text=PART_1, stop_reason="max_tokens", input_tokens=800, output_tokens=300),
            Reply(text=PART_2, input_tokens=820, output_tokens=20),
        )
        done, _ = await summarize_once(repo, openai_env(api))
    assert done["state"] == "done", done["error"]
    assert PART_1 + PART_2 in body_of(artifact_of(done))
    first, second = api.requests_to("/v1/chat/completions")
    m1, m2 = messages_of(first), messages_of(second)
    assert m2[: len(m1)] == m1
    assert [m["role"] for m in m2[len(m1) :]] == ["assistant", "user"]
    assert m2[len(m1)]["content"] == PART_1
    assert done["usage"]["inputTokens"] == 1620 and done["usage"]["outputTokens"] == 320
    assert read_provenance(artifact_of(done))["answer"]["ended"] == "continued ×1"


async def test_an_answer_still_cut_after_the_rounds_says_so(repo: Path) -> None:
    with FakeAnthropic(text=PARAGRAPHS) as api:
        api.script(
            Reply(text="Part one, ", stop_reason="max_tokens"),
            Reply(text="part two, ", stop_reason="max_tokens"),
        )
        done, _ = await summarize_once(repo, anthropic_env(api), {"maxContinuations": 1})
    assert done["state"] == "done", done["error"]
    body = body_of(artifact_of(done))
    assert "Part one, part two," in body
    assert "**Cut short**: the answer reached the output token limit after 1 continuation" in body
    assert read_provenance(artifact_of(done))["answer"]["ended"] == "cut at the output limit"
    assert len(api.requests_to("/v1/messages")) == 2


# -- a structured review ----------------------------------------------------------------

PRICES_V1 = '"""Prices."""\n\n\ndef total(items: list[int]) -> int:\n    return sum(items)\n'
PRICES_V2 = (
    '"""Prices."""\n\n\n'
    "def total(items: list[int]) -> int:\n"
    "    breakpoint()\n"
    "    return sum(items)\n"
)
REVIEW = {
    "summary": "The change leaves a breakpoint in `total`.",
    "findings": [
        {
            "path": "shop/prices.py",
            "line": 5,
            "end_line": None,
            "severity": "error",
            "message": "A breakpoint is left in total()",
            "detail": "Every caller would stop in the debugger.",
            "suggestion": None,
        }
    ],
}


def shop(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "shop")
    commit(root, "Prices", {"shop/__init__.py": "", "shop/prices.py": PRICES_V1})
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Debug totals", {"shop/prices.py": PRICES_V2})
    return root


async def review_with(
    root: Path, api: FakeAnthropic, settings: dict[str, Any]
) -> tuple[Session, dict[str, Any]]:
    session = await start_session(
        root, "visual_studio_code", env=anthropic_env(api), init_options=settings
    )
    answer = await session.command("cowork.reviewChanges", {"base": "main"})
    return session, await session.wait_for(answer["taskId"], "done", "failed")


def published(root: Path, task_id: str) -> int:
    """How many findings the review left for the editor (diagnostics are made from
    these, now and after a restart)."""
    db = sqlite3.connect(root / ".cowork" / "state" / "tasks.db")
    try:
        return int(
            db.execute("SELECT count(*) FROM findings WHERE task_id = ?", (task_id,)).fetchone()[0]
        )
    finally:
        db.close()


async def test_a_review_cut_mid_json_is_continued_and_its_findings_published(
    tmp_path: Path,
) -> None:
    root = shop(tmp_path)
    document = json.dumps(REVIEW)
    cut = document.index('"message"')
    with FakeAnthropic() as api:
        api.script(Reply(text=document[:cut], stop_reason="max_tokens"), Reply(text=document[cut:]))
        session, done = await review_with(root, api, {})
        try:
            assert done["state"] == "done", done["error"]
            prices = (root / "shop/prices.py").as_uri()
            found = await session.wait_until(
                lambda: session.client.diagnostics.get(prices), "the finding as a diagnostic"
            )
        finally:
            await stop_session(session)
    assert [d.message for d in found] and "breakpoint" in found[0].message
    assert published(root, done["taskId"]) == 1
    first, second = api.requests_to("/v1/messages")
    assert "output_config" in first.json  # the schema for the answer
    assert "output_config" not in second.json  # the rest of the same document, as text
    assert "JSON answer above was cut off" in text_of(second.json["messages"][-1])
    body = body_of(artifact_of(done))
    assert "The change leaves a breakpoint in `total`." in body
    assert "A breakpoint is left in total()" in body


async def test_a_review_still_cut_publishes_no_findings_and_says_why(tmp_path: Path) -> None:
    root = shop(tmp_path)
    document = json.dumps(REVIEW)
    with FakeAnthropic() as api:
        api.script(
            Reply(text=document[:60], stop_reason="max_tokens"),
            Reply(text=document[60:120], stop_reason="max_tokens"),
        )
        session, done = await review_with(root, api, {"maxContinuations": 1})
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    assert published(root, done["taskId"]) == 0  # no half-parsed findings
    body = body_of(artifact_of(done))
    assert "**Cut short**" in body and "not shown as diagnostics" in body
    assert document[:120] in body  # the text is kept for the person to read
    assert read_provenance(artifact_of(done))["answer"]["ended"] == "cut at the output limit"
