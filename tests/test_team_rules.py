"""Team rules (`.cowork/rules.md`) reach a review's prompt only for the changed files
they match, the offline review lists those that apply, an invalid section is skipped
with a note in provenance; rules files and brief templates that are not valid get
diagnostics when open. The real server and CLI, real git repositories, and the local
protocol server (which records what reaches the model) behind the real SDK."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from conftest import Session, artifact_of, cowork, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic, Reply
from test_incremental_review import KEY, piece, prompt_text, review, run_review, shop

RULES = """# Our review rules

Anything up here is an introduction.

## `shop/**` — warning

Every total is rounded to cents.

## `api/**`, `*.sql` — error

Handlers validate their input.

## `shop/[oops` — warning

Never applied: the glob is broken.
"""


async def test_rules_reach_the_prompt_only_for_the_files_they_match(tmp_path: Path) -> None:
    root = shop(tmp_path)
    (root / ".cowork").mkdir()
    (root / ".cowork/rules.md").write_text(RULES)
    with FakeAnthropic() as api:
        api.script(review(), Reply(text="# Docs\n\nA decision record."))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            done = await run_review(session)
            started = await session.command("cowork.draftDocs", {"base": "main"})
            docs = await session.wait_for(started["taskId"], "done", "failed")
            assert docs["state"] == "done", docs["error"]
        finally:
            await stop_session(session)
    # The docs draft is sent the same rules, asked how the change meets them.
    docs_prompt = prompt_text(api.requests_to("/v1/messages")[1])
    docs_rules = piece(docs_prompt, "Team rules that apply to this change")
    assert "Every total is rounded to cents." in docs_rules and "Say where the change" in docs_rules
    assert "Handlers validate their input." not in docs_prompt
    sent = prompt_text(api.requests_to("/v1/messages")[0])
    rules = piece(sent, "Team rules that apply to this change")
    assert "Rule `shop/**` (severity warning; .cowork/rules.md line 5):" in rules
    assert "Every total is rounded to cents." in rules
    assert "Applies to: shop/prices.py" in rules
    assert "Handlers validate their input." not in sent  # matches no changed file
    assert "Never applied" not in sent  # its section is invalid
    notes = read_provenance(artifact_of(done))["context"]["notes"]
    assert any(
        n.startswith(".cowork/rules.md line 13: section skipped: Not a usable path glob")
        for n in notes
    ), notes


def test_the_offline_review_lists_the_rules_that_apply(tmp_path: Path) -> None:
    root = shop(tmp_path)
    (root / ".cowork").mkdir()
    (root / ".cowork/rules.md").write_text(RULES)
    result = cowork(root, "run", "review", "--base", "main", "-q")
    assert result.returncode == 0, result.stderr
    text = Path(result.stdout.strip()).read_text()
    section = text.split("## Team rules", 1)[1].split("\n## ", 1)[0]
    assert "`shop/**` (warning): Every total is rounded to cents. — applies to " in section
    assert "`shop/prices.py`" in section and "Handlers validate" not in section


def diagnosed(session: Session, path: Path) -> list[tuple[int, str]]:
    return sorted(
        (d.range.start.line, str(d.code)) for d in session.client.diagnostics.get(path.as_uri(), [])
    )


def open_doc(session: Session, path: Path, text: str) -> None:
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "markdown", 1, text))
    )


async def test_invalid_rules_and_templates_get_diagnostics(repo: Path) -> None:
    rules = repo / ".cowork/rules.md"
    templates = repo / ".cowork/briefs/templates"
    templates.mkdir(parents=True)
    broken = "\n".join(
        [
            "# Rules",  # 0
            "## every handler — warning",  # 1: no glob
            "Validate.",
            "## `src/[api` — warning",  # 3: bad glob
            "Validate.",
            "## `src/**` — critical",  # 5: unknown severity
            "Validate.",
            "## `docs/**` — hint",  # 7: empty
            "",
            "## `src/**` — warning",  # 9: fine
            "Validate.",
        ]
    )
    session = await start_session(repo)
    try:
        open_doc(session, rules, broken)
        found = await session.wait_until(
            lambda: diagnosed(session, rules), "the rules file's diagnostics"
        )
        assert found == [
            (1, "rule-no-glob"),
            (3, "rule-bad-glob"),
            (5, "rule-severity"),
            (7, "rule-empty"),
        ]
        fixed = "## `src/**` — warning\nValidate.\n"
        session.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=2, uri=rules.as_uri()),
                [types.TextDocumentContentChangeWholeDocument(text=fixed)],
            )
        )
        await session.wait_until(
            lambda: rules.as_uri() in session.client.diagnostics and not diagnosed(session, rules),
            "no diagnostics once fixed",
        )
        cases = {
            "review.md": ("no front matter\n", "template-invalid"),
            "reveiw.md": ("---\nkind: review\n---\n## Goal\n\nG.\n", "template-unknown-kind"),
            "docs.md": ("---\nkind: review\n---\n## Goal\n\nG.\n", "template-kind-mismatch"),
            "summarize.md": ("---\nkind: summarize\n---\n## Goal\n\nExplain.\n", None),
        }
        for name, (text, _) in cases.items():
            open_doc(session, templates / name, text)
        for name, (_, code) in cases.items():
            path = templates / name
            await session.wait_until(
                lambda p=path: p.as_uri() in session.client.diagnostics,
                f"the diagnostics of {name}",
            )
            got = [str(d.code) for d in session.client.diagnostics[path.as_uri()]]
            assert got == ([code] if code else []), name
        message = session.client.diagnostics[(templates / "review.md").as_uri()][0].message
        assert "the default review brief is used instead" in message
    finally:
        await stop_session(session)
