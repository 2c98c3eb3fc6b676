"""Reviews without noise: a dismissed finding stays dismissed in later reviews (even
when its lines moved), the model is told which ones were dismissed, and findings
below minFindingConfidence are not shown. The real server, the real anthropic SDK
and the local protocol server scripted with structured reviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, server_env, start_session, stop_session
from fakeapi import FakeAnthropic, Reply
from repos import commit, git, init_repo

KEY = "sk-ant-test-noise-0123456789abcdef"
V1 = '"""Prices."""\n\n\ndef total(items):\n    return sum(items)\n'
V2 = '"""Prices."""\n\n\ndef total(items):\n    breakpoint()\n    print(items)\n    return sum(items)\n'


def finding(line: int, message: str, confidence: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "path": "shop/prices.py",
        "line": line,
        "end_line": None,
        "severity": "warning",
        "category": "maintainability",
        "message": message,
        "detail": "",
        "suggestion": None,
        **({"confidence": confidence} if confidence else {}),
        **more,
    }


def review(*findings: dict[str, Any]) -> Reply:
    return Reply(json={"summary": "Debugging left in.", "findings": list(findings)})


def shop(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "shop")
    commit(root, "Prices", {"shop/__init__.py": "", "shop/prices.py": V1})
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Debug totals", {"shop/prices.py": V2})
    return root


def diagnostics(session: Session, path: Path) -> list[types.Diagnostic]:
    return list(session.client.diagnostics.get(path.as_uri(), []))


async def run_review(session: Session) -> dict[str, Any]:
    started = await session.command("cowork.reviewChanges", {"base": "main"})
    done = await session.wait_for(started["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    return done


async def test_a_dismissed_finding_stays_dismissed_where_its_lines_moved(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    with FakeAnthropic() as api:
        api.script(
            review(finding(5, "Remove the breakpoint"), finding(6, "Remove the print")),
        )
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            await run_review(session)
            shown = await session.wait_until(
                lambda: len(diagnostics(session, prices)) == 2 and diagnostics(session, prices),
                "both findings",
            )
            breakpoint_ = next(d for d in shown if "breakpoint" in d.message)
            assert isinstance(breakpoint_.data, dict)
            await session.command(
                "cowork.dismissFinding", {"findingId": breakpoint_.data["findingId"]}
            )
            # New work above the findings moves their lines down by three.
            commit(
                root,
                "Docs",
                {"shop/prices.py": V2.replace('"""Prices."""', '"""Prices.\n\nTotals.\n"""')},
            )
            api.script(review(finding(8, "Remove the breakpoint"), finding(9, "Remove the print")))
            await run_review(session)
            again = await session.wait_until(
                lambda: [d for d in diagnostics(session, prices) if d.range.start.line == 8],
                "the print finding of the second review",
            )
            now = diagnostics(session, prices)
        finally:
            await stop_session(session)
    assert [d.message for d in again] == ["Remove the print"]
    assert [d.message for d in now] == ["Remove the print"]  # the breakpoint stays dismissed
    second = api.requests_to("/v1/messages")[-1].json["messages"][0]["content"][-1]["text"]
    assert "already considered and dismissed: do not raise them again" in second
    assert "`shop/prices.py` (maintainability): Remove the breakpoint" in second


async def test_findings_below_the_confidence_floor_are_not_shown(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    for floor, expected in (
        ("medium", ["sure", "fairly sure"]),
        ("low", ["sure", "fairly sure", "a hunch"]),
    ):
        with FakeAnthropic() as api:
            api.script(
                review(
                    finding(4, "sure", "high"),
                    finding(5, "fairly sure", "medium"),
                    finding(6, "a hunch", "low"),
                    finding(7, "odd word", "certainly"),  # unknown: kept, as medium
                )
            )
            env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
            session = await start_session(
                root, env=env, init_options={"minFindingConfidence": floor}
            )
            try:
                done = await run_review(session)
                shown = await session.wait_until(
                    lambda s=session: diagnostics(s, prices), "the findings as diagnostics"
                )
            finally:
                await stop_session(session)
        assert sorted(d.message for d in shown) == sorted([*expected, "odd word"]), floor
        body = Path(done["artifactUri"].removeprefix("file://")).read_text()
        assert "- **warning** (low confidence) `shop/prices.py:6`: a hunch" in body
