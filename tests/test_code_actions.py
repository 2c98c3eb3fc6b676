"""The hand-offs are where people look: under `refactor.cowork` (VS Code's lightbulb and
Ctrl+.) and under `source.cowork` ("Source Action…"), and a request's `only` picks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from conftest import Session, raw_code_actions

HANDOFFS = [
    "cowork: Summarize this module",
    "cowork: Review this branch's changes",
    "cowork: Draft docs for this change",
    "cowork: Add to an architecture brief",
    "cowork: New brief for this module",
]
CURSOR = types.Range(types.Position(2, 4), types.Position(2, 4))


def by_kind(actions: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Titles by the first part of their kind (`refactor`, `source`, `quickfix`)."""
    out: dict[str, list[str]] = {}
    for a in actions:
        out.setdefault(a["kind"].split(".")[0], []).append(a["title"])
    return out


async def test_only_picks_the_kinds_and_each_handoff_comes_once_per_kind(
    session: Session, repo: Path
) -> None:
    engine = repo / "pkg/engine.py"

    lightbulb = await raw_code_actions(session, engine, CURSOR, only=["refactor"])
    assert by_kind(lightbulb) == {"refactor": HANDOFFS}
    assert {a["kind"] for a in lightbulb} == {
        f"refactor.cowork.{k}" for k in ("summarize", "review", "docs", "architecture", "brief")
    }
    summarize = lightbulb[0]
    assert summarize["command"] == {
        "title": "Summarize this module",
        "command": "cowork.summarizeModule",
        "arguments": [{"uri": engine.as_uri()}],
    }

    source = await raw_code_actions(session, engine, CURSOR, only=["source"])
    assert by_kind(source) == {"source": HANDOFFS}
    assert [a["command"] for a in source] == [a["command"] for a in lightbulb]

    # A narrower or a wider kind, and several at once.
    assert [
        a["title"]
        for a in await raw_code_actions(session, engine, CURSOR, only=["refactor.cowork.review"])
    ] == ["cowork: Review this branch's changes"]
    assert await raw_code_actions(session, engine, CURSOR, only=["refactor.extract"]) == []
    both = await raw_code_actions(session, engine, CURSOR, only=["refactor", "source"])
    assert by_kind(both) == {"refactor": HANDOFFS, "source": HANDOFFS}

    # Quick fixes only: no hand-offs (there are no findings here).
    assert await raw_code_actions(session, engine, CURSOR, only=["quickfix"]) == []

    # No `only` (Neovim, Helix, Emacs list whatever comes): each hand-off once.
    everything = await raw_code_actions(session, engine, CURSOR)
    assert [a["title"] for a in everything] == HANDOFFS


async def test_the_server_announces_the_kinds_it_offers(session: Session) -> None:
    assert session.server_capabilities is not None
    options = session.server_capabilities.code_action_provider
    assert isinstance(options, types.CodeActionOptions)
    assert set(options.code_action_kinds or []) == {"quickfix", "refactor.cowork", "source.cowork"}
