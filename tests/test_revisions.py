"""Steering a draft: feedback written into an artifact comes back as its next version.

The real server over stdio (and the CLI), the real anthropic SDK and the local
protocol server: what the model is sent for a revision, the versions' links,
the refusal of an artifact without feedback, and the offline provider.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from conftest import Session, artifact_of, cowork, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from cowork.revision import NO_FEEDBACK, read_feedback
from fakeapi import FakeAnthropic, Reply

KEY = "sk-ant-test-revise-0123456789abcdef"
DRAFT_1 = (
    "# Summary\n\n"
    "The engine runs jobs in the order they were queued.\n\n"
    "## Risks\n\n"
    "Retries are unbounded when a job keeps failing.\n"
)
DRAFT_2 = "# Summary\n\nThe engine runs jobs in order, retried at most 3 times.\n"
NOTE = "Not true: see max_retries in the config. Check it."
GENERAL = "Shorter please, and name the public entry points."


def with_feedback(artifact: str) -> str:
    """`artifact` with an inline note under the Risks paragraph and a Feedback section."""
    marked = artifact.replace(
        "Retries are unbounded when a job keeps failing.\n",
        f"Retries are unbounded when a job keeps failing.\n\n> cowork: {NOTE}\n",
    )
    assert marked != artifact
    return marked.rstrip() + f"\n\n## Feedback\n\n{GENERAL}\n"


# -- reading feedback (pure) -------------------------------------------------------------


def test_feedback_is_read_with_the_passages_it_annotates() -> None:
    text = (
        "# Summary\n\nFirst paragraph.\n\nSecond paragraph,\non two lines.\n"
        "> cowork: why two lines?\n> and this goes on\n\n"
        "## Feedback\n\n<!-- write here -->\nMore examples.\n\n## After\n\nKept.\n"
    )
    draft, feedback = read_feedback(text)
    assert [(n.passage, n.note) for n in feedback.notes] == [
        ("Second paragraph,\non two lines.", "why two lines?\nand this goes on")
    ]
    assert feedback.general == "More examples."
    assert "cowork:" not in draft and "More examples" not in draft and "## Feedback" not in draft
    assert "Second paragraph" in draft and "## After\n\nKept." in draft


def test_a_feedback_section_with_only_a_template_hint_is_no_feedback() -> None:
    _, feedback = read_feedback("# Summary\n\nText.\n\n## Feedback\n\n<!-- your notes -->\n")
    assert not feedback


# -- through the server ------------------------------------------------------------------


async def open_document(session: Session, path: Path, text: str) -> str:
    uri = path.as_uri()
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="markdown", version=1, text=text
            )
        )
    )
    return uri


async def lens_titles(session: Session, uri: str) -> list[str]:
    lenses = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    return [lens.command.title for lens in lenses or [] if lens.command]


async def summarize(session: Session, repo: Path) -> dict[str, Any]:
    answer = await session.command(
        "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
    )
    done = await session.wait_for(answer["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    return done


async def test_a_revision_sends_the_draft_and_feedback_and_links_the_versions(
    repo: Path,
) -> None:
    with FakeAnthropic() as api:
        api.script(Reply(text=DRAFT_1), Reply(text=DRAFT_2))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(repo, "visual_studio_code", env=env)
        try:
            first = await summarize(session, repo)
            v1 = artifact_of(first)
            uri = await open_document(session, v1, v1.read_text())
            titles = await lens_titles(session, uri)
            assert "✎ To revise: add a '## Feedback' section or '> cowork:' notes" in titles
            assert "✎ Revise with this feedback" not in titles
            # Feedback typed into the open artifact, not saved: what the user sees counts.
            edited = with_feedback(v1.read_text())
            session.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
                )
            )
            assert "✎ Revise with this feedback" in await lens_titles(session, uri)
            answer = await session.command("cowork.reviseArtifact", {"uri": uri})
            second = await session.wait_for(answer["taskId"], "done", "failed")
            listed = await session.command("cowork.listTasks")
            # The two versions side by side.
            v2_uri = await open_document(
                session, artifact_of(second), artifact_of(second).read_text()
            )
            assert "⇄ Compare with the previous version" in await lens_titles(session, v2_uri)
            compared = await session.command("cowork.diffVersions", {"uri": v2_uri})
        finally:
            await stop_session(session)
    assert second["state"] == "done", second["error"]

    # The next version, beside the first, linked both ways.
    v2 = artifact_of(second)
    assert v2 == v1.with_name(f"{v1.stem}-v2.md")
    assert DRAFT_2.strip() in v2.read_text()
    assert read_provenance(v2)["revises"] == v1.name
    assert read_provenance(v1)["revisedBy"] == v2.name
    assert second["parentId"] == first["taskId"] and second["title"].endswith("(v2)")
    diff = Path(compared["uri"].removeprefix("file://")).read_text()
    assert f"--- {v1.name}\n+++ {v2.name}\n" in diff
    assert "-The engine runs jobs in the order they were queued." in diff
    assert "+The engine runs jobs in order, retried at most 3 times." in diff
    assert "> cowork:" not in diff and "Provenance" not in diff
    assert {t["taskId"]: t["parentId"] for t in listed}[second["taskId"]] == first["taskId"]

    # What the model was sent: the first version's prompt byte for byte (in this small
    # workspace without the map: below the cacheable minimum), then the previous draft
    # without the feedback, and the feedback.
    one, two = (r.json for r in api.requests_to("/v1/messages"))
    assert one["system"] == two["system"]
    assert read_provenance(v2)["prefix"]["sent"] is False
    tail = two["messages"][0]["content"][-1]["text"]
    assert tail.startswith(one["messages"][0]["content"][-1]["text"])  # the brief, as before
    revision = tail[len(one["messages"][0]["content"][-1]["text"]) :]
    assert "## Revision" in revision and "version 2" in revision
    assert "The engine runs jobs in the order they were queued." in revision
    assert "On this passage:\n   > Retries are unbounded when a job keeps failing." in revision
    assert f"Feedback: {NOTE}" in revision
    assert GENERAL in revision
    assert "> cowork:" not in revision and "What this draft was built from" not in revision


async def test_an_artifact_without_feedback_is_refused_and_the_server_goes_on(
    repo: Path,
) -> None:
    session = await start_session(repo, "visual_studio_code")
    try:
        first = await summarize(session, repo)
        with pytest.raises(Exception) as refused:
            await session.command("cowork.reviseArtifact", {"uri": first["artifactUri"]})
        assert NO_FEEDBACK in str(refused.value)
        tasks = await session.command("cowork.listTasks")
        assert [t["taskId"] for t in tasks] == [first["taskId"]]  # nothing queued
    finally:
        await stop_session(session)


# -- the CLI, offline ---------------------------------------------------------------------


def test_the_cli_revises_offline_and_lists_the_feedback_it_cannot_act_on(repo: Path) -> None:
    made = cowork(repo, "run", "summarize", "pkg/engine.py", "-q")
    assert made.returncode == 0, made.stderr
    v1 = Path(made.stdout.strip())

    refused = cowork(repo, "revise", str(v1), "-q")
    assert refused.returncode == 2 and NO_FEEDBACK in refused.stderr

    text = v1.read_text()
    first_line = next(
        line for line in text.split("\n---\n", 1)[1].splitlines() if line.startswith("- ")
    )
    v1.write_text(text.replace(first_line, f"{first_line}\n\n> cowork: {NOTE}", 1))
    revised = cowork(repo, "revise", str(v1), "-q")
    assert revised.returncode == 0, revised.stderr
    v2 = Path(revised.stdout.strip())
    assert v2.name == f"{v1.stem}-v2.md"
    body = v2.read_text()
    assert "## Feedback on version 1" in body and NOTE in body
    assert "No model was used, so this feedback was not acted on" in body
    assert read_provenance(v1)["revisedBy"] == v2.name


def test_feedback_written_after_the_provenance_block_counts_and_provenance_is_no_draft() -> None:
    body = (
        "# Summary\n\nThe answer.\n\n---\n\n<details><summary>What this draft was built "
        "from</summary>\n\n- **Task** `abc`\n\n</details>\n\n## Feedback\n\nGo deeper.\n"
    )
    draft, feedback = read_feedback(body)
    assert feedback.general == "Go deeper."
    assert draft == "# Summary\n\nThe answer.\n"


async def test_a_revised_review_replaces_the_earlier_findings(tmp_path: Path) -> None:
    from repos import commit, git, init_repo

    root = init_repo(tmp_path / "shop")
    commit(
        root, "Prices", {"shop/__init__.py": "", "shop/prices.py": "def total(x):\n    return x\n"}
    )
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Debug", {"shop/prices.py": "def total(x):\n    breakpoint()\n    return x\n"})
    first = {
        "summary": "One.",
        "findings": [
            {
                "path": "shop/prices.py",
                "line": 2,
                "end_line": None,
                "severity": "warning",
                "message": "A breakpoint is left in",
                "detail": "",
                "suggestion": None,
            }
        ],
    }
    second = {
        "summary": "Two.",
        "findings": [
            {
                "path": "shop/prices.py",
                "line": 1,
                "end_line": None,
                "severity": "error",
                "message": "total() returns its argument unchanged",
                "detail": "",
                "suggestion": None,
            }
        ],
    }
    prices = (root / "shop/prices.py").as_uri()
    with FakeAnthropic() as api:
        api.script(Reply(json=first), Reply(json=second))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, "visual_studio_code", env=env)
        try:
            started = await session.command("cowork.reviewChanges", {"base": "main"})
            done = await session.wait_for(started["taskId"], "done", "failed")
            await session.wait_until(
                lambda: any(
                    "breakpoint" in d.message for d in session.client.diagnostics.get(prices, [])
                ),
                "the first review's finding",
            )
            review = artifact_of(done)
            review.write_text(review.read_text() + "\n## Feedback\n\nLook at what total returns.\n")
            again = await session.command("cowork.reviseArtifact", {"uri": done["artifactUri"]})
            revised = await session.wait_for(again["taskId"], "done", "failed")
            shown = await session.wait_until(
                lambda: [
                    d.message
                    for d in session.client.diagnostics.get(prices, [])
                    if "returns" in d.message
                ],
                "the revision's finding",
            )
            now = [d.message for d in session.client.diagnostics.get(prices, [])]
        finally:
            await stop_session(session)
    assert revised["state"] == "done" and revised["kind"] == "review"
    assert shown == ["total() returns its argument unchanged"]
    assert now == shown  # the earlier review's finding is replaced, not added to
