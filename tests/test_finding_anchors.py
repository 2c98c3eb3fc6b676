"""Findings follow their lines: an edit above a finding moves its diagnostic with the
text it was raised on (unsaved edits too), an edit of its line removes it, and a
restarted server finds each one again in the file as saved. The real server, the
real anthropic SDK and the local protocol server scripted with a structured review."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types

from conftest import Session, server_env, start_session, stop_session
from fakeapi import FakeAnthropic
from test_incremental_review import KEY, V2, finding, review, run_review, shop


def lines_of(session: Session, path: Path) -> dict[str, int]:
    """Each cowork diagnostic's message -> its 0-based first line."""
    return {
        d.message: d.range.start.line
        for d in session.client.diagnostics.get(path.as_uri(), [])
        if d.source == "cowork"
    }


def edit(session: Session, path: Path, text: str, version: int) -> None:
    session.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=path.as_uri()),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_findings_move_with_their_text_and_go_with_it(tmp_path: Path) -> None:
    root = shop(tmp_path)
    prices = root / "shop/prices.py"
    breakpoint_, print_ = "Remove the breakpoint", "Remove the print"
    above = V2.replace('"""Prices."""\n', '"""Prices.\n\nTotals, with tax.\n"""\n')  # +3 lines
    with FakeAnthropic() as api:
        api.script(
            review(
                finding("shop/prices.py", 5, breakpoint_),
                finding("shop/prices.py", 6, print_),
            )
        )
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            await run_review(session)
            await session.wait_until(
                lambda: lines_of(session, prices) == {breakpoint_: 4, print_: 5}, "the findings"
            )
            session.client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(prices.as_uri(), "python", 1, V2)
                )
            )
            # Unsaved lines above both findings: they move down with their text.
            edit(session, prices, above, 2)
            await session.wait_until(
                lambda: lines_of(session, prices) == {breakpoint_: 7, print_: 8},
                "the findings moved down by three lines",
            )
            # The print's line edited: its finding goes; the breakpoint's stays put.
            edited = above.replace("    print(items)\n", "    log.debug(items)\n")
            edit(session, prices, edited, 3)
            await session.wait_until(
                lambda: lines_of(session, prices) == {breakpoint_: 7},
                "the print finding gone with its text",
            )
            # Saved and closed: the saved file is what a restarted server anchors to.
            prices.write_text(edited)
            session.client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(prices.as_uri()))
            )
            await session.wait_until(
                lambda: lines_of(session, prices) == {breakpoint_: 7}, "the saved file's lines"
            )
        finally:
            await stop_session(session)
        session = await start_session(root, env=env)
        try:
            await session.wait_until(
                lambda: lines_of(session, prices) == {breakpoint_: 7},
                "the restarted server's findings, re-anchored in the saved file",
            )
        finally:
            await stop_session(session)


def test_a_file_rewritten_to_the_same_size_and_time_is_read_again(tmp_path: Path) -> None:
    """Anchors are taken from the file as it is now, even when an edit kept its size
    and its modification time (files read lately are remembered by both and more)."""
    from cowork.kinds.anchors import texts_of

    path = tmp_path / "a.py"
    path.write_text("x = 1\ny = 2\n")
    assert texts_of(tmp_path, ["a.py"], {})["a.py"] == ["x = 1", "y = 2", ""]
    before = path.stat()
    path.write_text("x = 3\ny = 4\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert texts_of(tmp_path, ["a.py"], {})["a.py"] == ["x = 3", "y = 4", ""]
    assert texts_of(tmp_path, ["a.py"], {"a.py": "z = 5"})["a.py"] == ["z = 5"]
    path.unlink()
    assert texts_of(tmp_path, ["a.py"], {})["a.py"] is None
