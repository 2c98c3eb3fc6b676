"""The CLI reads the background server's lines without the `json` module
(cowork.daemon.wire): whatever the server writes with `json.dumps`, it reads back
exactly, and what it sends, `json` reads as sent."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from cowork.daemon import wire

# Any text a run may print, lone surrogates included (file names that are not UTF-8).
texts = st.text(st.characters(codec=None, blacklist_categories=()), max_size=200)


@given(key=st.sampled_from(["out", "err"]), text=texts)
def test_printed_lines_read_back_exactly(key: str, text: str) -> None:
    line = json.dumps({key: text}).encode()
    assert wire.decode(line) == {key: text}


@given(code=st.integers(min_value=-(2**31), max_value=2**31))
def test_exit_codes_read_back(code: int) -> None:
    assert wire.decode(json.dumps({"exit": code}).encode()) == {"exit": code}


def test_anything_else_is_read_by_json() -> None:
    assert wire.decode(b'{"out": "a", "more": 1}') == {"out": "a", "more": 1}
    assert wire.decode(b'{"stopping": true}') == {"stopping": True}


@given(argv=st.lists(texts, max_size=8), cwd=texts)
def test_a_request_is_json_of_what_was_asked(argv: list[str], cwd: str) -> None:
    line = wire.request(argv, cwd)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"argv": argv, "cwd": cwd}
