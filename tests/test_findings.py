"""Review findings reach the editor as diagnostics at the lines they concern, with
quick fixes: open the finding in the review, dismiss it, apply its replacement."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, raw_code_actions, server_env, start_session, stop_session
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
    session: Session, path: Path, where: types.Range, diagnostics: list[types.Diagnostic]
) -> list[dict[str, Any]]:
    """The quick fixes offered at `where` when the editor sends `diagnostics`, as JSON."""
    return await raw_code_actions(session, path, where, diagnostics, only=["quickfix"])


def at(line: int, character: int = 0) -> types.Range:
    """An empty range: the cursor at `line` (0-based), `character`."""
    return types.Range(types.Position(line, character), types.Position(line, character))


def applied(text: str, edit: dict[str, Any]) -> str:
    """`text` with one LSP text edit (as JSON, whole lines) applied."""
    lines = text.splitlines(keepends=True)
    start, end = edit["range"]["start"], edit["range"]["end"]
    assert start["character"] == end["character"] == 0
    return "".join(lines[: start["line"]]) + edit["newText"] + "".join(lines[end["line"] :])


def anchored_line(href: str) -> str:
    """The line of the review that a diagnostic's `codeDescription` link points at."""
    uri, _, fragment = href.partition("#L")
    return Path(uri.removeprefix("file://")).read_text().splitlines()[int(fragment) - 1]


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
        # Line 5 only, to its end: not into line 6, where the cursor would select it too.
        assert d.range == types.Range(
            types.Position(4, 0), types.Position(4, len("    breakpoint()"))
        )
        assert (d.severity, d.source, d.code) == (
            types.DiagnosticSeverity.Warning,
            "cowork",
            "debug-statement",
        )
        assert d.message == "Remove the debugger breakpoint"
        if editor == "visual_studio_code":  # Neovim declares no codeDescription support
            assert d.code_description is not None
            assert d.code_description.href.startswith(done["artifactUri"] + "#L")
            line = anchored_line(d.code_description.href)
            assert "`shop/prices.py:5`" in line and "breakpoint" in line
        assert d.related_information is not None
        (related,) = d.related_information
        assert related.location.uri == done["artifactUri"]
        assert related.message.startswith("Remove the debugger breakpoint")

        fixes = await actions_at(session, prices, d.range, [d])
        assert [a["title"] for a in fixes] == [
            "Apply the suggested replacement: Remove the debugger breakpoint",
            'Open "Remove the debugger breakpoint" in the review',
            'Dismiss "Remove the debugger breakpoint"',
        ]
        # Applying the replacement removes the breakpoint's line, nothing else.
        (edit,) = fixes[0]["edit"]["changes"][prices.as_uri()]
        assert applied(PRICES_V2, edit) == PRICES_V2.replace("    breakpoint()\n", "")

        assert isinstance(d.data, dict)
        finding_id = d.data["findingId"]
        assert fixes[2]["command"]["arguments"] == [{"findingId": finding_id}]
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
        assert lines[6].code == "debug-print" and "print() call" in lines[6].message
        assert lines[4].code == "untested-change" and "no related test" in lines[4].message
        assert {d.severity for d in shown} == {types.DiagnosticSeverity.Information}
    finally:
        await stop_session(again)


async def test_quick_fixes_name_their_finding_and_follow_the_cursor(
    tmp_path: Path, editor: str
) -> None:
    """Three findings on consecutive lines (4: `total` untested, 5: breakpoint, 6: print).
    The cursor at column 1 of a line gets that line's finding only, even when the
    editor sends every diagnostic of the file; a selection gets each finding it
    touches, the one at the cursor first."""
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    session = await start_session(root, editor)
    try:
        await review(session)
        shown = await session.wait_until(
            lambda: len(diagnostics_of(session, prices)) == 3 and diagnostics_of(session, prices),
            "three findings on shop/prices.py",
        )
        by_line = {d.range.start.line: d for d in shown}
        assert all(d.range.end.line == d.range.start.line for d in shown)
        assert by_line[3].range.end.character == len("def total(items: list[int]) -> int:")

        print_fixes = await actions_at(session, prices, at(5), shown)
        assert [a["title"] for a in print_fixes] == [
            "Apply the suggested replacement: Remove the print() call or use logging (debug output?)",
            'Open "Remove the print() call or use logging (debug output?)" in the review',
            'Dismiss "Remove the print() call or use logging (debug output?)"',
        ]
        assert print_fixes[2]["command"]["arguments"] == [
            {"findingId": by_line[5].data["findingId"]}  # type: ignore[index]
        ]
        # The fixes answer their own diagnostic, for the editor to show which is which.
        assert print_fixes[2]["diagnostics"][0]["code"] == "debug-print"

        # The lightbulb's refactor request gets the hand-offs, not the fixes; a request
        # without `only` gets the fixes first, then each hand-off once.
        refactors = await raw_code_actions(session, prices, at(5), shown, only=["refactor"])
        assert refactors and all(a["kind"].startswith("refactor.cowork.") for a in refactors)
        everything = await raw_code_actions(session, prices, at(5), shown)
        assert [a["kind"] for a in everything[:3]] == ["quickfix"] * 3
        assert len(everything) == 3 + len(refactors)

        # A selection over lines 5-6, the cursor (its start) on the breakpoint.
        selection = types.Range(types.Position(4, 0), types.Position(5, 3))
        both = await actions_at(session, prices, selection, [by_line[5], by_line[4]])
        dismissals = [a["title"] for a in both if a["title"].startswith("Dismiss")]
        assert dismissals == [
            'Dismiss "Remove the debugger breakpoint"',
            'Dismiss "Remove the print() call or use logging (debug output?)"',
        ]
    finally:
        await stop_session(session)


async def test_a_models_structured_findings_with_a_suggested_replacement(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    long_message = (
        "Remove the debugging from total() before merging: the breakpoint stops every caller "
        "and the print floods the log"
    )
    answer = {
        "summary": "The change adds debugging to `total`.",
        "findings": [
            {
                "path": "shop/prices.py",
                "line": 5,
                "end_line": 6,
                "severity": "error",
                "category": "correctness",
                "message": long_message,
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
            assert d.code == "correctness"
            # Lines 5-6, to the end of line 6.
            assert d.range == types.Range(
                types.Position(4, 0), types.Position(5, len("    print(items)"))
            )
            # A short message, what to do first; the whole text in the related information.
            assert len(d.message) <= 100 and d.message.endswith("…")
            assert d.message.startswith("Remove the debugging from total()")
            assert d.related_information is not None
            assert d.related_information[0].message == (
                f"{long_message}\n\nA breakpoint stops every caller."
            )
            fixes = await actions_at(session, prices, at(4, 4), [d])
        finally:
            await stop_session(session)
    sent = api.requests_to("/v1/messages")[0].json
    schema = sent["output_config"]["format"]
    assert schema["type"] == "json_schema" and "findings" in schema["schema"]["properties"]

    text = Path(done["artifactUri"].removeprefix("file://")).read_text()
    assert "The change adds debugging to `total`." in text
    assert f"- **error** `shop/prices.py:5-6`: {long_message} — *correctness*" in text
    assert '"findings"' not in text  # rendered, not the raw JSON

    apply = fixes[0]
    # The titles name the finding by its message, cut short.
    named = apply["title"].removeprefix("Apply the suggested replacement: ")
    assert long_message.startswith(named.removesuffix("…")) and len(named) <= 61
    assert [a["title"] for a in fixes[1:]] == [
        f'Open "{named}" in the review',
        f'Dismiss "{named}"',
    ]
    assert apply["isPreferred"]
    (edit,) = apply["edit"]["changes"][prices.as_uri()]
    assert edit["newText"] == "    # (debugging removed)\n"
    assert (edit["range"]["start"]["line"], edit["range"]["end"]["line"]) == (4, 6)


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
    assert breakpoint_["properties"] == {"category": "debug-statement"}
    (fix,) = breakpoint_["fixes"]  # removing the line: nothing inserted in its place
    (replacement,) = fix["artifactChanges"][0]["replacements"]
    assert replacement == {
        "deletedRegion": {"startLine": 5, "endLine": 5},
        "insertedContent": {"text": ""},
    }
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
