"""Briefs are linted as they are edited, and a code lens shows what one would send:
tokens of the budget, the estimated input cost, and a dispatch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from conftest import Session, start_session, stop_session
from cowork.brieflint import lint

GOOD = """---
kind: summarize
uri: {uri}
---
# Summarize the engine

## Goal

Explain how pkg/engine.py queues and runs jobs, so that I can add retries to it next week.

## Context

- pkg/engine.py
- who imports it

## Output format

Three short sections: responsibility, API, risks. One page at most.

## Out of scope

Style remarks.
"""


def codes(session: Session, uri: str) -> list[str] | None:
    published = session.client.diagnostics.get(uri)
    if published is None:
        return None
    return sorted(str(d.code) for d in published if d.source == "cowork")


def open_brief(session: Session, uri: str, text: str) -> None:
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "markdown", 1, text))
    )


def write_good_brief(session: Session, repo: Path) -> str:
    """GOOD as .cowork/briefs/engine.md, saved and open in the editor; its uri."""
    (repo / ".cowork" / "briefs").mkdir(parents=True)
    path = repo / ".cowork" / "briefs" / "engine.md"
    text = GOOD.format(uri=(repo / "pkg/engine.py").as_uri())
    path.write_text(text)
    open_brief(session, path.as_uri(), text)
    return path.as_uri()


def edit_brief(session: Session, uri: str, text: str, version: int) -> None:
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_a_brief_is_linted_as_it_is_edited(session: Session, repo: Path) -> None:
    (repo / ".cowork" / "briefs").mkdir(parents=True)
    path = repo / ".cowork" / "briefs" / "engine.md"
    uri = path.as_uri()
    good = GOOD.format(uri=(repo / "pkg/engine.py").as_uri())
    bad = (
        good.replace(
            "Explain how pkg/engine.py queues and runs jobs, so that I can add retries to it next week.",
            "Look at the engine.",
        )
        .replace("Three short sections: responsibility, API, risks. One page at most.", "")
        .replace("- pkg/engine.py\n", "- pkg/engine.py\n- pkg/gone.py\n")
    )
    path.write_text(bad)
    open_brief(session, uri, bad)
    await session.wait_until(
        lambda: (
            codes(session, uri) == ["brief-missing-path", "brief-no-format", "brief-vague-goal"]
        ),
        "the vague goal, the missing format and the missing path reported",
    )
    by_code = {d.code: d for d in session.client.diagnostics[uri]}
    lines = bad.splitlines()
    assert lines[by_code["brief-vague-goal"].range.start.line] == "Look at the engine."
    assert lines[by_code["brief-missing-path"].range.start.line] == "- pkg/gone.py"
    assert "`pkg/gone.py` is not in the workspace" in by_code["brief-missing-path"].message

    edit_brief(session, uri, good, 2)  # fixed in the editor, not saved: linted as it is
    await session.wait_until(lambda: codes(session, uri) == [], "the diagnostics cleared")

    edit_brief(session, uri, "# no front matter\n", 3)
    await session.wait_until(lambda: codes(session, uri) == ["brief-invalid"], "a broken brief")
    (message,) = [d.message for d in session.client.diagnostics[uri]]
    assert "front matter" in message


def lens_titles(lenses: Any) -> list[str]:
    return [lens.command.title for lens in lenses or [] if lens.command]


async def lenses_once(session: Session, uri: str, wanted: str) -> list[types.CodeLens]:
    """The brief's code lenses, once the second one's title holds `wanted` (estimates are
    published as the brief's diagnostics when they are stored)."""
    while True:
        session.client.diagnostics.pop(uri, None)
        lenses = await session.client.text_document_code_lens_async(
            types.CodeLensParams(types.TextDocumentIdentifier(uri))
        )
        if wanted in lens_titles(lenses)[-1]:
            return list(lenses or [])
        await session.wait_until(
            lambda: session.client.diagnostics.get(uri) is not None, f"a lens with {wanted!r}"
        )


async def test_the_code_lens_shows_tokens_and_cost_and_dispatches(repo: Path, editor: str) -> None:
    # A provider with a price: the anthropic one, never called (nothing is dispatched).
    session = await start_session(
        repo,
        editor,
        configuration={"provider": "anthropic", "model": "claude-sonnet-4-5"},
    )
    try:
        uri = write_good_brief(session, repo)
        shown = lens_titles(await lenses_once(session, uri, "tokens"))
        assert shown[0] == "▶ Dispatch this brief"
        assert shown[1].startswith("~") and " of 60,000 tokens" in shown[1]
        assert "est. $" in shown[1] and "input (claude-sonnet-4-5)" in shown[1]
        tokens = int(shown[1][1:].split(" ")[0].replace(",", ""))
        assert 0 < tokens <= 60_000

        # The settings change: the open brief is estimated again.
        session.client.set_configuration({"provider": "offline"}, section="cowork")
        session.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={})
        )
        lenses = await lenses_once(session, uri, "offline: no model, no cost")

        dispatch = lenses[0].command
        assert dispatch is not None and dispatch.command == "cowork.dispatchBrief"
        answer = await session.command(dispatch.command, *(dispatch.arguments or []))
        done = await session.wait_for(answer["taskId"], "done", "failed")
        assert done["state"] == "done", done["error"]
        assert (
            "Explain how pkg/engine.py queues and runs jobs"
            in Path(done["artifactUri"].removeprefix("file://")).read_text()
        )
    finally:
        await stop_session(session)


@pytest.mark.parametrize("case", ["parts cut", "target too large"])
async def test_a_brief_over_budget_says_so(repo: Path, case: str) -> None:
    many = "".join(f"\n\ndef step_{i}(x: int) -> int:\n    return x + {i}\n" for i in range(600))
    if case == "parts cut":  # its tests are far larger than the budget: they are cut
        tests = repo / "tests/test_engine.py"
        tests.write_text(tests.read_text() + many.replace("def step_", "def test_step_"))
    else:  # the module itself does not fit, not even as an outline
        engine = repo / "pkg/engine.py"
        engine.write_text(engine.read_text() + many)
    session = await start_session(repo, configuration={"contextBudgetTokens": 2500})
    try:
        uri = write_good_brief(session, repo)
        expected = "brief-over-budget" if case == "parts cut" else "brief-would-fail"
        await session.wait_until(
            lambda: expected in (codes(session, uri) or []), f"the {expected} warning"
        )
        (message,) = [d.message for d in session.client.diagnostics[uri] if d.code == expected]
        assert "2,500-token" in message, message
        if case == "parts cut":
            assert message.startswith("Context over budget:") and "tests/test_engine.py" in message
        else:
            assert message.startswith("This brief would fail: pkg/engine.py does not fit")
    finally:
        await stop_session(session)


def test_the_briefs_cowork_writes_lint_clean(repo: Path) -> None:
    """The default briefs of newBrief are what the lint asks for (a research brief's
    question is a placeholder until someone writes it)."""
    from cowork import kinds

    for kind, params in (
        ("summarize", {"uri": (repo / "pkg/engine.py").as_uri()}),
        ("review", {}),
        ("docs", {}),
        ("architecture", {"uris": [(repo / "pkg").as_uri()]}),
    ):
        spec = kinds.get(kind)
        brief = spec.default_brief(spec.validate(params, repo), repo)
        found = [i for i in lint(brief.to_markdown(), repo) if i.severity != "information"]
        assert found == [], (kind, found)


def test_exploratory_debugging_or_an_open_decision_suggests_a_synchronous_session(
    repo: Path,
) -> None:
    from cowork.brieflint import lint

    def brief(kind: str, goal: str) -> str:
        target = (repo / "pkg/engine.py").as_uri()
        extra = "question: Which queue?\n" if kind == "research" else f"uri: {target}\n"
        return (
            f"---\nkind: {kind}\n{extra}---\n# B\n\n## Goal\n\n{goal}\n\n## Context\n\n- pkg/engine.py\n\n"
            "## Output format\n\nA list.\n\n## Out of scope\n\nStyle.\n"
        )

    def codes(kind: str, goal: str) -> list[str]:
        return [i.code for i in lint(brief(kind, goal), repo)]

    debugging = "Figure out why the engine drops the second job when two arrive at once."
    deciding = "Decide whether we should move the job queue from SQLite to Redis this quarter."
    plain = "List the public functions of the engine with one line each, for the onboarding doc."
    assert "brief-synchronous" in codes("summarize", debugging)
    assert "brief-synchronous" in codes("summarize", deciding)
    assert "brief-synchronous" not in codes("summarize", plain)
    assert "brief-synchronous" not in codes("research", deciding)  # weighing is research's job
