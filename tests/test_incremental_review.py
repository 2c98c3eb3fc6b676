"""Incremental review: `cowork.reviewChanges {"since": "last"}` and `cowork run review
--since-last` review only the commits after the last finished review of the branch;
the earlier findings on unchanged lines are carried forward, those on changed code
dropped as stale. The real server and CLI, real git repositories, and the local
protocol server (which records the request bytes) behind the real anthropic SDK."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import Session, artifact_of, cowork, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic, Reply
from repos import commit, git, init_repo

KEY = "sk-ant-test-incremental-0123456789abcdef"
V1 = '"""Prices."""\n\n\ndef total(items):\n    return sum(items)\n'
# Line 5 is a breakpoint, line 6 a debug print.
V2 = '"""Prices."""\n\n\ndef total(items):\n    breakpoint()\n    print(items)\n    return sum(items)\n'
# The second commit changes the print (line 6) and adds a module.
V3 = V2.replace("    print(items)\n", "    print('total of', items)\n")
TAX = '"""Tax."""\n\nRATE = 0.2\n\n\ndef tax(amount):\n    return amount * RATE\n'


def shop(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "shop")
    commit(root, "Prices", {"shop/__init__.py": "", "shop/prices.py": V1})
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Debug totals", {"shop/prices.py": V2})
    return root


def finding(path: str, line: int, message: str) -> dict[str, Any]:
    return {
        "path": path,
        "line": line,
        "end_line": None,
        "severity": "warning",
        "category": "debugging",
        "message": message,
        "detail": "",
        "suggestion": None,
        "confidence": "high",
    }


def review(*findings: dict[str, Any]) -> Reply:
    return Reply(json={"summary": "A first pass.", "findings": list(findings)})


def prompt_text(recorded: Any) -> str:
    """Every text block the request sent, system prompt aside, in order."""
    out = []
    for message in recorded.json["messages"]:
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out += [block.get("text", "") for block in content]
    return "\n".join(out)


def piece(prompt: str, title: str) -> str:
    """The text of the prompt's piece whose heading starts with `title`."""
    start = prompt.index(f"### {title}")
    end = prompt.find("\n### ", start + 1)
    return prompt[start : end if end != -1 else len(prompt)]


def diagnostics(session: Session, path: Path) -> list[types.Diagnostic]:
    return list(session.client.diagnostics.get(path.as_uri(), []))


async def run_review(session: Session, **params: Any) -> dict[str, Any]:
    started = await session.command("cowork.reviewChanges", {"base": "main", **params})
    done = await session.wait_for(started["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    return done


async def test_only_the_new_commits_are_the_subject_and_findings_carry_forward(
    tmp_path: Path,
) -> None:
    root = shop(tmp_path)
    prices, tax = root / "shop/prices.py", root / "shop/tax.py"
    with FakeAnthropic() as api:
        api.script(
            review(
                finding("shop/prices.py", 5, "Remove the breakpoint"),
                finding("shop/prices.py", 6, "Remove the print"),
            )
        )
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            with pytest.raises(JsonRpcException) as refused:
                await session.command("cowork.reviewChanges", {"since": "yesterday"})
            assert "'since' must be \"last\"" in str(refused.value)
            first = await run_review(session)
            await session.wait_until(lambda: len(diagnostics(session, prices)) == 2, "2 findings")
            head1 = git(root, "rev-parse", "HEAD").strip()
            commit(root, "Label the total; add tax", {"shop/prices.py": V3, "shop/tax.py": TAX})
            api.script(review(finding("shop/tax.py", 3, "Name the rate's source")))
            second = await run_review(session, since="last")
            shown = await session.wait_until(
                lambda: (
                    diagnostics(session, tax)
                    and [d.message for d in diagnostics(session, prices)]
                    == ["Remove the breakpoint"]
                    and diagnostics(session, prices)
                ),
                "the carried-forward finding and the new one",
            )
        finally:
            await stop_session(session)
    assert first["artifactUri"] != second["artifactUri"]
    assert shown[0].range.start.line == 4  # the breakpoint, still on line 5
    sent = prompt_text(api.requests_to("/v1/messages")[-1])
    subject = piece(sent, "The subject of this review")
    # The new commits are the subject: the tax module and the changed print, not the
    # first commit's lines (only as unchanged context around the new change).
    assert "Label the total; add tax" in subject and "Debug totals" not in subject
    assert "+RATE = 0.2" in subject and "+    print('total of', items)" in subject
    assert "+    breakpoint()" not in subject and "-    print(items)" in subject
    assert f"from {head1[:10]}" in subject
    # ... first of the change's pieces, while the whole change stays as context.
    assert sent.index("### The subject of this review") < sent.index("### Commits")
    assert "+    breakpoint()" in piece(sent, "Diff of shop/prices.py")
    assert "This is an incremental review" in sent
    body = artifact_of(second).read_text()
    assert "**Incremental review**" in body
    carried = body.split("## Carried forward from the last review", 1)[1]
    assert "`shop/prices.py:5`: Remove the breakpoint (carried forward" in carried
    stale = body.split("## Dropped as stale", 1)[1]
    assert "`shop/prices.py:6`: Remove the print" in stale
    assert "Remove the print" not in carried.split("## Dropped as stale")[0]
    incremental = read_provenance(artifact_of(second))["incremental"]
    assert incremental["since"] == head1 and not incremental["full"]
    assert (incremental["carriedForward"], incremental["droppedStale"]) == (1, 1)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = cowork(root, "run", "review", "--base", "main", "--since-last", *args)
    text = Path(result.stdout.strip()).read_text() if result.returncode == 0 else ""
    return result.returncode, text, result.stderr


def test_cli_since_last_full_then_incremental_then_rebased(tmp_path: Path) -> None:
    root = shop(tmp_path)
    code, first, err = cli(root, "-q")
    assert code == 0, err
    assert "**Full review**: no earlier finished review of branch `feature`." in first
    # A database from before heads were recorded: the artifact's provenance has it.
    db = sqlite3.connect(root / ".cowork/state/tasks.db")
    with db:
        db.execute("DELETE FROM review_heads")
    db.close()
    commit(root, "Add tax", {"shop/tax.py": TAX.replace("RATE = 0.2", "RATE = 0.2  # TODO")})
    code, second, err = cli(root, "-q", "--format", "json")
    assert code == 0, err
    # Only the TODO the new commit added is a new finding; the breakpoint of the first
    # commit is carried forward from the first review (its line did not change).
    data = json.loads(second)
    found = [(f["path"], f["line"], f["category"]) for f in data["findings"]]
    assert ("shop/tax.py", 3, "todo") in found
    assert found.count(("shop/prices.py", 5, "debug-statement")) == 1
    markdown = Path(data["review"]).read_text()
    assert "**Incremental review**" in markdown and "## Since the last review" in markdown
    carried = markdown.split("## Carried forward from the last review", 1)[1]
    assert "`shop/prices.py:5`: Remove the debugger breakpoint (carried forward" in carried
    observed = markdown.split("## Observations", 1)[1].split("\n## ", 1)[0]
    assert "shop/tax.py:3" in observed and "shop/prices.py:5" not in observed
    # Nothing new since: a clear error, exit 1.
    code, _, err = cli(root, "-q")
    assert code == 1
    assert "nothing new to review" in err and "feature" in err
    # The branch rewritten: the last review's head is no longer an ancestor.
    git(root, "reset", "-q", "--hard", "HEAD~2")
    commit(root, "Debug totals, again", {"shop/prices.py": V3})
    code, third, err = cli(root, "-q")
    assert code == 0, err
    assert "**Full review**" in third and "no longer an ancestor of HEAD" in third


async def test_a_batched_incremental_review_carries_findings_forward(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    with FakeAnthropic(batch_polls=1) as api:
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env, init_options={"batch": "always"})
        try:
            started = await session.command("cowork.reviewChanges", {"base": "main"})
            api.batch_results(
                {
                    started["taskId"]: review(
                        finding("shop/prices.py", 5, "Remove the breakpoint"),
                        finding("shop/prices.py", 6, "Remove the print"),
                    )
                }
            )
            done = await session.wait_for(started["taskId"], "done", "failed")
            assert done["state"] == "done", done["error"]
            commit(root, "Label the total", {"shop/prices.py": V3})
            again = await session.command("cowork.reviewChanges", {"base": "main", "since": "last"})
            api.batch_results({again["taskId"]: review()})
            second = await session.wait_for(again["taskId"], "done", "failed")
            assert second["state"] == "done", second["error"]
            shown = await session.wait_until(
                lambda: (
                    [d.message for d in diagnostics(session, prices)] == ["Remove the breakpoint"]
                ),
                "the carried-forward finding alone",
            )
        finally:
            await stop_session(session)
    assert shown
    body = artifact_of(second).read_text()
    assert "`shop/prices.py:5`: Remove the breakpoint (carried forward" in body
    incremental = read_provenance(artifact_of(second))["incremental"]
    assert (incremental["carriedForward"], incremental["droppedStale"]) == (1, 1)
    (create,) = [r for r in api.requests_to("/v1/messages/batches") if r.method == "POST"][1:]
    sent = create.json["requests"][0]["params"]["messages"][0]["content"]
    assert "The subject of this review" in "\n".join(b.get("text", "") for b in sent)
