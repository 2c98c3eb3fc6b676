"""Review findings reach the editor as diagnostics at the lines they concern, with
quick fixes: open the finding in the review, dismiss it, apply its replacement."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, server_env, start_session, stop_session
from fakeapi import FakeAnthropic, Reply
from repos import commit, git, init_repo

KEY = "sk-ant-test-findings-0123456789"

PRICES_V1 = '"""Prices."""\n\n\ndef total(items: list[int]) -> int:\n    return sum(items)\n'
PRICES_V2 = (
    '"""Prices."""\n\n\n'
    "def total(items: list[int]) -> int:\n"
    "    breakpoint()\n"
    "    print(items)\n"
    "    return sum(items)\n"
)


def shop(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "shop")
    commit(root, "Prices", {"shop/__init__.py": "", "shop/prices.py": PRICES_V1})
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Debug totals", {"shop/prices.py": PRICES_V2})
    return root


def diagnostics_of(session: Session, path: Path) -> list[types.Diagnostic]:
    return list(session.client.diagnostics.get(path.as_uri(), []))


async def review(session: Session) -> dict[str, Any]:
    answer = await session.command("cowork.reviewChanges", {"base": "main"})
    done = await session.wait_for(answer["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    return done


async def actions_at(
    session: Session, path: Path, d: types.Diagnostic
) -> list[types.CodeAction | types.Command]:
    """The code actions offered for `d` (the test client parses one that carries a
    command as a Command: titles and edits are what is compared)."""
    result = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=d.range,
            context=types.CodeActionContext(diagnostics=[d], only=[types.CodeActionKind.QuickFix]),
        )
    )
    return list(result or [])


async def test_offline_review_findings_become_diagnostics_and_can_be_dismissed(
    tmp_path: Path, editor: str
) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    # Warnings and errors only: the print() call (information) is not shown.
    session = await start_session(root, editor, init_options={"minFindingSeverity": "warning"})
    try:
        done = await review(session)
        (d,) = await session.wait_until(
            lambda: diagnostics_of(session, prices), "diagnostics on shop/prices.py"
        )
        assert (d.range.start.line, d.severity, d.source) == (
            4,
            types.DiagnosticSeverity.Warning,
            "cowork",
        )
        assert "breakpoint" in d.message
        assert d.code_description is not None and d.code_description.href == done["artifactUri"]

        titles = [a.title for a in await actions_at(session, prices, d)]
        assert titles == ["cowork: Open this finding in the review", "cowork: Dismiss this finding"]

        finding_id = str(d.code)
        opened = await session.command("cowork.openFinding", {"findingId": finding_id})
        assert opened["uri"] == done["artifactUri"]
        artifact = Path(done["artifactUri"].removeprefix("file://"))
        line = artifact.read_text().splitlines()[opened["line"]]
        assert "`shop/prices.py:5`" in line and "breakpoint" in line

        dismissed = await session.command("cowork.dismissFinding", {"findingId": finding_id})
        assert dismissed == {"findingId": finding_id, "dismissed": True}
        await session.wait_until(
            lambda: (
                prices.as_uri() in session.client.diagnostics
                and not diagnostics_of(session, prices)
            ),
            "the dismissed finding to disappear",
        )
    finally:
        await stop_session(session)

    # Restarted, with every severity: the print() call shows, the dismissed one does not.
    again = await start_session(root, editor)
    try:
        shown = await again.wait_until(
            lambda: diagnostics_of(again, prices), "diagnostics after a restart"
        )
        lines = {d.range.start.line + 1: d for d in shown}
        assert 5 not in lines  # dismissed
        assert "print() call" in lines[6].message  # information: shown now
        assert "no related test" in lines[4].message  # `total` changed, untested
        assert {d.severity for d in shown} == {types.DiagnosticSeverity.Information}
    finally:
        await stop_session(again)


async def test_a_models_structured_findings_with_a_suggested_replacement(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    answer = {
        "summary": "The change adds debugging to `total`.",
        "findings": [
            {
                "path": "shop/prices.py",
                "line": 5,
                "end_line": 6,
                "severity": "error",
                "message": "Debugging left in total()",
                "detail": "A breakpoint stops every caller.",
                "suggestion": "    # (debugging removed)",
            }
        ],
    }
    with FakeAnthropic() as api:
        api.script(Reply(json=answer))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, "visual_studio_code", env=env)
        try:
            done = await review(session)
            found = await session.wait_until(
                lambda: diagnostics_of(session, prices), "the model's finding as a diagnostic"
            )
            (d,) = found
            assert d.severity == types.DiagnosticSeverity.Error
            assert (d.range.start.line, d.range.end.line) == (4, 6)  # lines 5-6, whole
            fixes = await actions_at(session, prices, d)
        finally:
            await stop_session(session)
    sent = api.requests_to("/v1/messages")[0].json
    schema = sent["output_config"]["format"]
    assert schema["type"] == "json_schema" and "findings" in schema["schema"]["properties"]

    text = Path(done["artifactUri"].removeprefix("file://")).read_text()
    assert "The change adds debugging to `total`." in text
    assert "- **error** `shop/prices.py:5-6`: Debugging left in total()" in text
    assert '"findings"' not in text  # rendered, not the raw JSON

    apply = fixes[0]
    assert isinstance(apply, types.CodeAction)
    assert apply.title == "cowork: Apply the suggested replacement" and apply.is_preferred
    assert apply.edit is not None and apply.edit.changes is not None
    (edit,) = apply.edit.changes[prices.as_uri()]
    assert edit.new_text == "    # (debugging removed)\n"
    assert (edit.range.start.line, edit.range.end.line) == (4, 6)


def test_cli_review_exports_sarif_and_json_for_ci(tmp_path: Path) -> None:
    """`cowork run review --format sarif` writes SARIF 2.1.0 that code scanning reads:
    each finding a result at its file and line, with the review linked."""
    root = shop(tmp_path)

    def run(*args: str) -> Path:
        done = subprocess.run(
            [sys.executable, "-m", "cowork", "run", "review", "--base", "main", "--quiet", *args],
            cwd=root,
            env=server_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return Path(done.stdout.strip())

    sarif_path = run("--format", "sarif", "--output", str(tmp_path / "out/review.sarif"))
    assert sarif_path == tmp_path / "out/review.sarif"
    log = json.loads(sarif_path.read_text())
    assert log["version"] == "2.1.0"
    (run_,) = log["runs"]
    assert run_["tool"]["driver"]["name"] == "cowork"
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.resolve().as_uri() + "/"
    results = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        ): r
        for r in run_["results"]
    }
    breakpoint_ = results[("shop/prices.py", 5)]
    assert breakpoint_["level"] == "warning" and "breakpoint" in breakpoint_["message"]["text"]
    assert results[("shop/prices.py", 6)]["level"] == "note"  # the print() call
    review = Path(run_["properties"]["review"].removeprefix("file://"))
    assert review.is_file() and review.suffix == ".md"

    json_path = run("--format", "json")  # beside the review, by default
    assert json_path.suffix == ".json" and json_path.parent == review.parent
    data = json.loads(json_path.read_text())
    assert {(f["path"], f["line"], f["severity"]) for f in data["findings"]} >= {
        ("shop/prices.py", 5, "warning"),
        ("shop/prices.py", 6, "information"),
    }
