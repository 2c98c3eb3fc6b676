"""Team brief templates: `.cowork/briefs/templates/<kind>.md` is what a quick action and
`cowork.newBrief` start from; a broken one leaves the defaults. The real server and the
local protocol server (which sees the brief that reaches the model)."""

from __future__ import annotations

from pathlib import Path

from conftest import server_env, start_session, stop_session
from fakeapi import FakeAnthropic

KEY = "sk-ant-test-templates-0123456789abcdef"
TEMPLATE = """---
kind: summarize
---
# Team summary

## Goal

For {title}: explain to our on-call engineers what pages and what breaks.

## Context

- (the module)

## Output format

Three bullets, then a table of failure modes.

## Out of scope

Style.
"""


async def test_a_template_shapes_the_brief_of_quick_actions_and_new_briefs(repo: Path) -> None:
    folder = repo / ".cowork" / "briefs" / "templates"
    folder.mkdir(parents=True)
    (folder / "summarize.md").write_text(TEMPLATE)
    (folder / "review.md").write_text("no front matter at all\n")  # broken: defaults stand
    with FakeAnthropic(text="A summary.") as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(repo, env=env)
        try:
            started = await session.command(
                "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
            )
            done = await session.wait_for(started["taskId"], "done", "failed")
            opened = await session.command(
                "cowork.newBrief", {"kind": "summarize", "uris": [(repo / "pkg/util.py").as_uri()]}
            )
        finally:
            await stop_session(session)
    assert done["state"] == "done", done["error"]
    sent = api.requests_to("/v1/messages")[0].json["messages"][0]["content"][-1]["text"]
    assert "For Summarize pkg/engine.py: explain to our on-call engineers" in sent
    assert "Three bullets, then a table of failure modes." in sent
    brief = Path(opened["uri"].removeprefix("file://")).read_text()
    assert "For Summarize pkg/util.py: explain to our on-call engineers" in brief
    assert "## Out of scope\n\nStyle." in brief
