"""Citations checked: every `path:line` an artifact cites is checked against what it
was built from. Valid ones are document links that open the file at the line;
the others are marked `⚠ not found` in the artifact and shown as warnings on it
when it is open; a review finding that cannot be located is not published."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, artifact_of, server_env, start_session, stop_session
from cowork.artifacts import read_provenance
from cowork.citations import find
from fakeapi import FakeAnthropic, Reply
from repos import commit, git, init_repo

KEY = "sk-ant-test-citations-0123456789"

PRICES = (
    '"""Prices."""\n\n\n'
    "def total(items: list[int]) -> int:\n"
    "    breakpoint()\n"
    "    print(items)\n"
    "    return sum(items)\n"
)  # 7 lines


def shop(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "shop")
    commit(root, "Prices", {"shop/__init__.py": "", "shop/prices.py": '"""Prices."""\n'})
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Totals", {"shop/prices.py": PRICES})
    # A link inside the workspace to a file outside it: never followed.
    outside = tmp_path / "outside.py"
    outside.write_text("secret = 1\n" * 100)
    (root / "shop/leak.py").symlink_to(outside)
    return root


def env_for(api: FakeAnthropic) -> dict[str, str]:
    return server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)


async def finished(session: Session, command: str, arg: dict[str, Any]) -> dict[str, Any]:
    answer = await session.command(command, arg)
    done = await session.wait_for(answer["taskId"], "done", "failed")
    assert done["state"] == "done", done["error"]
    return done


def open_in_editor(session: Session, uri: str, text: str) -> None:
    session.client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "markdown", 1, text))
    )


def cited_warnings(session: Session, uri: str) -> list[types.Diagnostic]:
    return [
        d
        for d in session.client.diagnostics.get(uri, [])
        if d.source == "cowork" and d.code == "citation-not-found"
    ]


async def links_of(session: Session, uri: str) -> list[types.DocumentLink]:
    return list(
        await session.client.text_document_document_link_async(
            types.DocumentLinkParams(types.TextDocumentIdentifier(uri))
        )
        or []
    )


def covered(text: str, where: types.Range) -> str:
    """The text of a one-line range (ASCII lines: UTF-16 units are characters)."""
    assert where.start.line == where.end.line
    return text.splitlines()[where.start.line][where.start.character : where.end.character]


SUMMARY = (
    "The module's one entry point is `total` (`shop/prices.py:4`); its body is "
    "[lines 5-7](shop/prices.py#L5-L7). It leaves a breakpoint at shop/prices.py:5.\n\n"
    "Also said: `shop/prices.py:999`, `shop/missing.py:3`, `../outside.py:1`, "
    "/etc/passwd:1 and `shop/leak.py:50`.\n\n"
    "```python\n# quoted code is not a citation: shop/nowhere.py:1\n```\n\n"
    "Served on localhost:8080 at 12:30.\n"
)


async def test_a_models_citations_are_checked_linked_and_marked(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    with FakeAnthropic() as api:
        api.script(Reply(text=SUMMARY))
        session = await start_session(root, "visual_studio_code", env=env_for(api))
        try:
            done = await finished(session, "cowork.summarizeModule", {"uri": prices.as_uri()})
            artifact = artifact_of(done)
            text = artifact.read_text()

            # Marked in the artifact itself, each with why.
            assert (
                "`shop/prices.py:999` ⚠ not found (line 999 is past the end of "
                "shop/prices.py, which has 7 lines)"
            ) in text
            assert "`shop/missing.py:3` ⚠ not found (no such file)" in text
            assert "`../outside.py:1` ⚠ not found (outside the workspace)" in text
            assert "/etc/passwd:1 ⚠ not found (outside the workspace)" in text
            assert "`shop/leak.py:50` ⚠ not found (a link out of the workspace)" in text
            # The valid ones, quoted code, a host and a time are left as they were.
            assert "(`shop/prices.py:4`);" in text
            assert "[lines 5-7](shop/prices.py#L5-L7). It" in text
            assert "breakpoint at shop/prices.py:5.\n" in text
            assert "shop/nowhere.py:1\n```" in text
            assert "localhost:8080 at 12:30.\n" in text
            assert text.count("⚠ not found (") == 5
            assert read_provenance(artifact)["citations"] == {"checked": 8, "invalid": 5}
            assert "- **Citations**: 8 `path:line` checked, 5 not found (marked ⚠)" in text

            # Open: the invalid ones are warnings on the artifact, at the citation.
            uri = done["artifactUri"]
            open_in_editor(session, uri, text)
            shown = await session.wait_until(
                lambda: len(cited_warnings(session, uri)) == 5 and cited_warnings(session, uri),
                "five citation warnings on the artifact",
            )
            assert {d.severity for d in shown} == {types.DiagnosticSeverity.Warning}
            messages = sorted(d.message for d in shown)
            assert messages[-1] == (
                "Citation not found: shop/prices.py:999 (line 999 is past the end of "
                "shop/prices.py, which has 7 lines)"
            )
            spans = {covered(text, d.range) for d in shown}
            assert "`shop/missing.py:3` ⚠ not found (no such file)" in spans

            # The valid ones are links that open the file at the line.
            links = await links_of(session, uri)
            targets = {covered(text, link.range): link.target for link in links}
            file = prices.resolve().as_uri()
            assert targets == {
                "`shop/prices.py:4`": f"{file}#L4",
                "[lines 5-7](shop/prices.py#L5-L7)": f"{file}#L5-L7",
                "shop/prices.py:5": f"{file}#L5",
            }
            # Other documents get none.
            open_in_editor(session, prices.as_uri(), PRICES)
            assert await links_of(session, prices.as_uri()) == []

            # An edit that removes a marked citation clears its warning.
            edited = text.replace(" `shop/missing.py:3` ⚠ not found (no such file),", "")
            session.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=2, uri=uri),
                    [types.TextDocumentContentChangeWholeDocument(edited)],
                )
            )
            await session.wait_until(
                lambda: len(cited_warnings(session, uri)) == 4, "four warnings after the edit"
            )
        finally:
            await stop_session(session)


async def test_unsaved_editor_text_is_what_citations_are_checked_against(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    longer = PRICES + "".join(f"\n# note {n}" for n in range(20)) + "\n"  # 28 lines, unsaved
    with FakeAnthropic() as api:
        api.script(Reply(text="See `shop/prices.py:25` and `shop/prices.py:40`.\n"))
        session = await start_session(root, "visual_studio_code", env=env_for(api))
        try:
            open_in_editor(session, prices.as_uri(), longer)
            done = await finished(session, "cowork.summarizeModule", {"uri": prices.as_uri()})
        finally:
            await stop_session(session)
    text = artifact_of(done).read_text()
    assert "See `shop/prices.py:25` and `shop/prices.py:40` ⚠ not found (line 40 " in text
    assert "which has 28 lines" in text


def _finding(path: str, line: int, message: str) -> dict[str, Any]:
    return {
        "path": path,
        "line": line,
        "end_line": None,
        "severity": "warning",
        "category": "correctness",
        "message": message,
        "detail": "More about it.",
        "suggestion": None,
    }


REVIEW = {
    "summary": "Debugging was left in `shop/prices.py:5`.",
    "findings": [
        _finding("shop/prices.py", 5, "Remove the breakpoint"),
        _finding("shop/prices.py", 70, "A line the file does not have"),
        _finding("shop/gone.py", 2, "A file that does not exist"),
        _finding("../outside.py", 1, "A file outside the workspace"),
    ],
}


async def test_a_review_finding_that_cannot_be_located_is_not_published(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    with FakeAnthropic() as api:
        api.script(Reply(json=REVIEW))
        session = await start_session(root, "visual_studio_code", env=env_for(api))
        try:
            done = await finished(session, "cowork.reviewChanges", {"base": "main"})
            (d,) = await session.wait_until(
                lambda: list(session.client.diagnostics.get(prices.as_uri(), [])),
                "the located finding as a diagnostic",
            )
            assert d.message == "Remove the breakpoint" and d.range.start.line == 4
            published = set(session.client.diagnostics)
            assert published <= {prices.as_uri()}, published
            records = await session.command("cowork.listTasks")
        finally:
            await stop_session(session)
    assert records[0]["taskId"] == done["taskId"]
    text = artifact_of(done).read_text()
    findings, _, unlocated = text.partition("## Could not be located")
    assert "- **warning** `shop/prices.py:5`: Remove the breakpoint" in findings
    for message in ("does not have", "does not exist", "outside the workspace"):
        assert message not in findings
    assert (
        "- **warning** `shop/prices.py:70` ⚠ not found (line 70 is past the end of "
        "shop/prices.py, which has 7 lines): A line the file does not have"
    ) in unlocated
    assert "`shop/gone.py:2` ⚠ not found (no such file): A file that does not exist" in unlocated
    assert "`../outside.py:1` ⚠ not found (outside the workspace)" in unlocated
    assert "\n  More about it." in unlocated  # the finding's detail moved with it
    assert read_provenance(artifact_of(done))["citations"] == {"checked": 5, "invalid": 3}


async def test_an_answer_citing_thousands_of_locations_is_bounded(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    valid = [f"`shop/prices.py:{1 + n % 7}`" for n in range(1500)]
    missing = [f"`gen/m{n}.py:1`" for n in range(600)]
    with FakeAnthropic() as api:
        api.script(Reply(text=" ".join(valid + missing) + "\n", chunk=4000))
        session = await start_session(root, "visual_studio_code", env=env_for(api))
        try:
            done = await finished(session, "cowork.summarizeModule", {"uri": prices.as_uri()})
            text = artifact_of(done).read_text()
            # Each distinct file is read once and at most 500 of them: the last 101
            # missing files are neither checked nor marked, and the record says so.
            assert read_provenance(artifact_of(done))["citations"] == {
                "checked": 1500 + 499,
                "invalid": 499,
                "unchecked": 101,
            }
            assert text.count("⚠ not found (no such file)") == 499
            assert "`gen/m498.py:1` ⚠" in text and "`gen/m499.py:1` ⚠" not in text
            assert "101 more not checked (too many)" in text

            uri = done["artifactUri"]
            open_in_editor(session, uri, text)
            shown = await session.wait_until(
                lambda: cited_warnings(session, uri), "the citation warnings"
            )
            assert len(shown) == 201  # 200, then one that says how many more
            assert shown[-1].severity == types.DiagnosticSeverity.Information
            assert shown[-1].message.startswith("299 more citations not found are not shown")
            assert len(await links_of(session, uri)) == 1000
        finally:
            await stop_session(session)


def test_the_offline_provider_cites_only_what_exists(tmp_path: Path) -> None:
    """A self-check: every kind's offline artifact, on a repository with services,
    a change and tests, cites no location that does not exist."""
    root = shop(tmp_path)
    (root / "shop/leak.py").unlink()
    commit(
        root,
        "Orders",
        {
            "orders/__init__.py": "",
            "orders/api.py": "from shop.prices import total\n\n\ndef checkout(items):\n"
            "    print(items)\n    return total(items)\n",
            "tests/test_prices.py": "from shop.prices import total\n\n\ndef test_total():\n"
            "    assert total([1, 2]) == 3\n",
        },
    )
    runs = [
        ["summarize", "shop/prices.py"],
        ["architecture", "shop", "orders"],
        ["review", "--base", "main"],
        ["docs", "--base", "main"],
        ["research", "--question", "Cache totals?", "--option", "lru", "shop/prices.py"],
        ["change", "--goal", "Log instead of printing", "orders/api.py"],
    ]
    checked = {}
    for args in runs:
        done = subprocess.run(
            [sys.executable, "-m", "cowork", "run", *args, "--quiet"],
            cwd=root,
            env=server_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        artifact = Path(done.stdout.strip())
        citations = read_provenance(artifact)["citations"]
        assert citations["invalid"] == 0, (args[0], citations)
        assert "⚠ not found" not in artifact.read_text()
        checked[args[0]] = citations["checked"]
    assert checked["summarize"] > 0 and checked["review"] > 0 and checked["architecture"] > 0


def test_the_forms_a_citation_is_written_in() -> None:
    text = (
        "`a/b.py:3` a/b.py:3-9 a/b.py:4:2 a/b.py#L7 a/b.py#L7-L9 [x](./a/b.py:2) "
        "[a/b.py:5](https://example.com/) http://host/a/b.py:3 `print('a/b.py:1')` "
        "Makefile:2 example.com:443 v1.2:3"
    )
    found = [(c.path, c.line, c.end, c.weak) for c in find(text)]
    assert found == [
        ("a/b.py", 3, None, False),
        ("a/b.py", 3, 9, False),
        ("a/b.py", 4, None, False),
        ("a/b.py", 7, None, False),
        ("a/b.py", 7, 9, False),
        ("./a/b.py", 2, None, False),
        ("a/b.py", 5, None, False),
        ("Makefile", 2, None, True),
        ("example.com", 443, None, True),
        ("v1.2", 3, None, True),
    ]


def test_marks_are_checked_afresh(tmp_path: Path) -> None:
    """A revision copies its previous version's marks: each is checked again, so one
    whose file exists by now loses it, and one still missing keeps a single mark."""
    from cowork.engine.citecheck import verify

    root = shop(tmp_path)
    (root / "shop/new.py").write_text("x = 1\ny = 2\n")  # uncommitted: the working tree
    body = (
        "Was missing: `shop/new.py:2` ⚠ not found (no such file). "
        "Still missing: `shop/old.py:1` ⚠ not found (no such file).\n"
    )
    head = git(root, "rev-parse", "HEAD")
    checked = verify(root, head, {}, body, [])
    assert checked.body == (
        "Was missing: `shop/new.py:2`. Still missing: `shop/old.py:1` ⚠ not found (no such file).\n"
    )
    assert (checked.checked, checked.invalid) == (2, 1)


async def test_a_batched_reviews_citations_are_checked_too(tmp_path: Path) -> None:
    """Collected from the Message Batches API: the same check, against the HEAD the
    task recorded when it was submitted."""
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    with FakeAnthropic(batch_polls=2) as api:
        session = await start_session(
            root, "visual_studio_code", env=env_for(api), init_options={"batch": "always"}
        )
        try:
            answer = await session.command("cowork.reviewChanges", {"base": "main"})
            api.batch_results({answer["taskId"]: Reply(json=REVIEW)})
            done = await session.wait_for(answer["taskId"], "done", "failed")
            assert done["state"] == "done", done["error"]
            assert done["batchId"]  # it went through a batch
            (d,) = await session.wait_until(
                lambda: list(session.client.diagnostics.get(prices.as_uri(), [])),
                "the located finding as a diagnostic",
            )
            assert d.message == "Remove the breakpoint"
            assert set(session.client.diagnostics) <= {prices.as_uri()}
        finally:
            await stop_session(session)
    text = artifact_of(done).read_text()
    assert "## Could not be located" in text
    assert "`shop/gone.py:2` ⚠ not found (no such file): A file that does not exist" in text
    assert read_provenance(artifact_of(done))["citations"] == {"checked": 5, "invalid": 3}


def test_a_mark_on_a_private_file_does_not_tell_its_size(tmp_path: Path) -> None:
    """A citation past the end of a key file is marked, without how many lines it has: the
    marks reach a revision's prompt, and nothing of such a file is sent."""
    from cowork.engine.citecheck import verify

    root = shop(tmp_path)
    (root / "deploy").mkdir()
    (root / "deploy/server.pem").write_text("-----BEGIN CERTIFICATE-----\nMII\n")
    (root / "shop/open.py").write_text("x = 1\n")
    body = "See `deploy/server.pem:9` and `shop/open.py:9`.\n"
    checked = verify(root, git(root, "rev-parse", "HEAD"), {}, body, [])
    assert "`deploy/server.pem:9` ⚠ not found (line 9 is past the end of deploy/server.pem)" in (
        checked.body
    )
    assert "(line 9 is past the end of shop/open.py, which has 1 line)" in checked.body
    assert (checked.checked, checked.invalid) == (2, 2)


def test_a_file_checked_before_is_checked_as_it_is_now(tmp_path: Path) -> None:
    """The second check of the same citations (a warm server remembers files it saw)
    follows the file: lines added since make a citation good, a file turned into a
    link out of the workspace makes it bad, and a file removed is no such file."""
    from cowork.engine.citecheck import verify

    root = shop(tmp_path)
    outside = tmp_path / "outside.py"
    outside.write_text("a\n" * 50)
    (root / "shop/grow.py").write_text("x = 1\n")
    (root / "shop/leave.py").write_text("y = 1\n" * 20)
    (root / "shop/gone.py").write_text("z = 1\n" * 20)
    body = "See `shop/grow.py:9`, `shop/leave.py:9` and `shop/gone.py:9`.\n"
    head = git(root, "rev-parse", "HEAD")
    first = verify(root, head, {}, body, [])
    assert (first.checked, first.invalid) == (3, 1)
    assert "`shop/grow.py:9` ⚠ not found" in first.body

    (root / "shop/grow.py").write_text("x = 1\n" * 12)
    (root / "shop/leave.py").unlink()
    (root / "shop/leave.py").symlink_to(outside)
    (root / "shop/gone.py").unlink()
    again = verify(root, head, {}, body, [])
    assert "`shop/grow.py:9`," in again.body
    assert "`shop/leave.py:9` ⚠ not found (a link out of the workspace)" in again.body
    assert "`shop/gone.py:9` ⚠ not found (no such file)" in again.body
    assert (again.checked, again.invalid) == (3, 2)
