"""Settings reach the server from every source, and a bad value never takes effect.

Sources, lowest first: defaults, the environment (`COWORK_PROVIDER`,
`COWORK_MODEL`), initializationOptions, `workspace/configuration` (pulled again
on `workspace/didChangeConfiguration`). Each test proves a setting through what
a user sees: how many tasks run at once, which provider a task record names,
whether the artifact opens, the settings the server writes to its log.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from conftest import WAIT, Session, server_env, start_session, stop_session, without_show_document
from cowork.uris import to_path

# Belt and braces: no key is set, and should a provider still try to connect,
# it finds a closed local port rather than the internet.
NO_NETWORK = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "OPENAI_BASE_URL": "http://127.0.0.1:9"}

# A task that runs until it is cancelled: the offline provider "writes" for a minute.
SLOW = {"offlineDelayMs": 60_000}
MODULES = ["pkg/util.py", "pkg/engine.py", "pkg/cli.py", "pkg/__init__.py"]


# -- helpers -------------------------------------------------------------------------


async def hand_off(session: Session, count: int) -> list[str]:
    """Summarise `count` modules; their task ids, in order."""
    ids = []
    for rel in MODULES[:count]:
        answer = await session.command(
            "cowork.summarizeModule", {"uri": (session.root / rel).as_uri()}
        )
        ids.append(answer["taskId"])
    return ids


async def listed_states(session: Session, ids: list[str]) -> list[str]:
    """The states `cowork.listTasks` reports for `ids`, in the same order."""
    records = {r["taskId"]: r for r in await session.command("cowork.listTasks")}
    return [records[i]["state"] for i in ids]


def running(session: Session, ids: list[str]) -> set[str]:
    """The tasks among `ids` whose latest recorded change is `running`."""
    return {i for i in ids if session.states(i)[-1:] == ["running"]}


async def assert_limit(session: Session, ids: list[str], limit: int) -> None:
    """Exactly `limit` of the slow tasks `ids` run; the others wait in the queue."""
    await session.wait_until(
        lambda: len(running(session, ids)) >= limit, f"{limit} tasks running at once"
    )
    states = await listed_states(session, ids)
    assert sorted(states) == sorted(["running"] * limit + ["queued"] * (len(ids) - limit)), states


async def cancel_all(session: Session, ids: list[str]) -> None:
    """Cancel queued tasks first, so none of them starts when a running one stops."""
    states = dict(zip(ids, await listed_states(session, ids), strict=True))
    for task_id in sorted(ids, key=lambda i: states[i] != "queued"):
        await session.command("cowork.cancelTask", {"taskId": task_id})
    for task_id in ids:
        await session.wait_for(task_id, "cancelled")


def change_configuration(session: Session, pushed: Any = None) -> None:
    """Tell the server its configuration changed (as VS Code does: no settings pushed)."""
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=pushed)
    )


async def summarize(session: Session, rel: str = "pkg/util.py") -> dict[str, Any]:
    """Hand off one summary; its final record."""
    answer = await session.command("cowork.summarizeModule", {"uri": (session.root / rel).as_uri()})
    return await session.wait_for(answer["taskId"], "done", "failed", "cancelled")


def warnings(session: Session) -> list[str]:
    return [m.message for m in session.client.messages if m.type == types.MessageType.Warning]


def settings_log(session: Session) -> str:
    """The last "settings in effect" entry the server wrote to the client's log.

    The server writes it before it hands the settings to the engine, so it has
    arrived once a task handed off after the change has a record.
    """
    entries = [
        m.message
        for m in session.client.log_messages
        if m.message.startswith("cowork settings in effect:")
    ]
    assert entries, [m.message for m in session.client.log_messages]
    return entries[-1]


# -- initializationOptions and workspace/configuration -------------------------------------


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "under-cowork-key"])
async def test_initialization_options(repo: Path, editor: str, nested: bool) -> None:
    options = {"maxConcurrentTasks": 1, **SLOW}
    session = await start_session(
        repo, editor, init_options={"cowork": options} if nested else options
    )
    try:
        ids = await hand_off(session, 2)
        await assert_limit(session, ids, 1)
        await cancel_all(session, ids)
        assert "maxConcurrentTasks: 1 (initializationOptions)" in settings_log(session)
    finally:
        await stop_session(session)


async def test_workspace_configuration_overrides_initialization_options(
    repo: Path, editor: str
) -> None:
    session = await start_session(
        repo,
        editor,
        init_options={"maxConcurrentTasks": 3, **SLOW},
        configuration={"maxConcurrentTasks": 1},
    )
    try:
        ids = await hand_off(session, 3)
        await assert_limit(session, ids, 1)
        await cancel_all(session, ids)
        log = settings_log(session)
        assert "maxConcurrentTasks: 1 (workspace/configuration)" in log
        assert "offlineDelayMs: 60000 (initializationOptions)" in log  # a key it did not set
    finally:
        await stop_session(session)


async def test_did_change_configuration_pulls_again(repo: Path, editor: str) -> None:
    """A raised limit starts a queued task; the pulled value wins over a stale push."""
    session = await start_session(repo, editor, configuration={"maxConcurrentTasks": 1, **SLOW})
    try:
        first, second = await hand_off(session, 2)
        await assert_limit(session, [first, second], 1)

        session.client.set_configuration(2, section="cowork.maxConcurrentTasks")
        change_configuration(session, {"cowork": {"maxConcurrentTasks": 1}})
        await session.wait_for(second, "running")
        assert session.states(first)[-1] == "running"  # it did not have to finish first
        await cancel_all(session, [first, second])
        assert "maxConcurrentTasks: 2 (workspace/configuration)" in settings_log(session)
    finally:
        await stop_session(session)


async def test_did_change_configuration_push_without_pull(repo: Path, editor: str) -> None:
    """A client that cannot answer workspace/configuration pushes its settings instead."""
    caps = client_capabilities(editor)
    assert caps.workspace is not None
    caps.workspace.configuration = False
    session = await start_session(
        repo, editor, capabilities=caps, init_options={"maxConcurrentTasks": 1, **SLOW}
    )
    try:
        first, second = await hand_off(session, 2)
        await assert_limit(session, [first, second], 1)
        change_configuration(session, {"cowork": {"maxConcurrentTasks": 2}})
        await session.wait_for(second, "running")
        await cancel_all(session, [first, second])
        assert "maxConcurrentTasks: 2 (workspace/didChangeConfiguration)" in settings_log(session)
    finally:
        await stop_session(session)


async def test_a_change_applies_to_the_next_command(repo: Path, editor: str) -> None:
    """A command sent right after the change notification already runs with the change."""
    session = await start_session(
        repo, editor, env=server_env(**NO_NETWORK), configuration={"provider": "offline"}
    )
    try:
        assert (await summarize(session))["provider"] == "offline"
        session.client.set_configuration("anthropic", section="cowork.provider")
        change_configuration(session)
        answer = await session.command(
            "cowork.summarizeModule", {"uri": (repo / "pkg/engine.py").as_uri()}
        )
        started = await session.wait_for(answer["taskId"], "running")
        assert started["provider"] == "anthropic"
        await session.wait_for(answer["taskId"], "done", "failed")
    finally:
        await stop_session(session)


async def test_a_command_sent_during_the_first_pull_waits_for_it(repo: Path, editor: str) -> None:
    """An editor may hand a task off before it has answered workspace/configuration."""
    session = await start_session(repo, editor, env=server_env(**NO_NETWORK))
    # Nothing has been awaited since `initialized` went out, so the server's
    # request can only meet this handler: it answers once the command is sent.
    client = session.client
    sent = asyncio.Event()
    client.protocol.fm.features.pop(types.WORKSPACE_CONFIGURATION)

    @client.feature(types.WORKSPACE_CONFIGURATION)
    async def answer_late(params: types.ConfigurationParams) -> list[Any]:
        await sent.wait()
        return [{"provider": "anthropic"}]

    try:
        pending = client.workspace_execute_command(
            types.ExecuteCommandParams(
                command="cowork.summarizeModule",
                arguments=[{"uri": (repo / "pkg/util.py").as_uri()}],
            )
        )
        sent.set()
        answer = await asyncio.wait_for(asyncio.wrap_future(pending), WAIT)
        started = await session.wait_for(answer["taskId"], "running")
        assert started["provider"] == "anthropic"  # the defaults would have said offline
        await session.wait_for(answer["taskId"], "done", "failed")
    finally:
        await stop_session(session)


# -- the environment ----------------------------------------------------------------------


async def test_environment_sets_provider_and_model(repo: Path, editor: str) -> None:
    env = server_env(COWORK_PROVIDER="anthropic", COWORK_MODEL="claude-test-model", **NO_NETWORK)
    session = await start_session(repo, editor, env=env)
    try:
        answer = await session.command(
            "cowork.summarizeModule", {"uri": (repo / "pkg/util.py").as_uri()}
        )
        started = await session.wait_for(answer["taskId"], "running")
        assert started["provider"] == "anthropic"  # not `auto`, which would mean offline here
        finished = await session.wait_for(answer["taskId"], "done", "failed")
        assert finished["state"] == "failed", "there is no API key: the task cannot succeed"
        log = settings_log(session)
        assert "provider: anthropic (COWORK_PROVIDER)" in log
        assert "model: claude-test-model (COWORK_MODEL)" in log
    finally:
        await stop_session(session)


async def test_settings_override_the_environment(repo: Path, editor: str) -> None:
    env = server_env(COWORK_PROVIDER="anthropic", COWORK_MODEL="claude-test-model", **NO_NETWORK)
    session = await start_session(
        repo,
        editor,
        env=env,
        init_options={"provider": "offline"},
        configuration={"model": "claude-other-model"},
    )
    try:
        done = await summarize(session)
        assert done["state"] == "done", done["error"]
        assert done["provider"] == "offline"
        log = settings_log(session)
        assert "provider: offline (initializationOptions)" in log
        assert "model: claude-other-model (workspace/configuration)" in log
    finally:
        await stop_session(session)


# -- invalid values: a warning naming the key, and the earlier value stays ------------------


async def test_invalid_provider_keeps_the_default(repo: Path, editor: str) -> None:
    session = await start_session(repo, editor, init_options={"provider": "gpt"})
    try:
        done = await summarize(session)
        assert done["state"] == "done", done["error"]
        assert done["provider"] == "offline"  # `auto` without a key
        [warning] = warnings(session)
        assert warning.startswith("cowork.provider from initializationOptions: 'gpt' is not valid")
        assert "expected one of auto, anthropic, openai, offline" in warning
        assert "keeping 'auto' (the default)" in warning
    finally:
        await stop_session(session)


async def test_invalid_concurrency_keeps_the_default(repo: Path, editor: str) -> None:
    session = await start_session(repo, editor, init_options={"maxConcurrentTasks": "lots", **SLOW})
    try:
        ids = await hand_off(session, 4)
        await assert_limit(session, ids, 3)  # the default
        await cancel_all(session, ids)
        [warning] = warnings(session)
        assert "cowork.maxConcurrentTasks" in warning and "'lots'" in warning
        assert "expected a whole number from 1 to 64" in warning
        assert "keeping 3" in warning
    finally:
        await stop_session(session)


async def test_invalid_pulled_value_keeps_the_earlier_layer(repo: Path, editor: str) -> None:
    session = await start_session(
        repo,
        editor,
        init_options={"maxConcurrentTasks": 1, **SLOW},
        configuration={"maxConcurrentTasks": 0, "provider": ["openai"]},
    )
    try:
        ids = await hand_off(session, 2)
        await assert_limit(session, ids, 1)  # from initializationOptions
        assert (await session.wait_for(ids[0], "running"))["provider"] == "offline"
        await cancel_all(session, ids)
        found = warnings(session)
        assert any(
            w.startswith("cowork.maxConcurrentTasks from workspace/configuration: 0")
            and "keeping 1 (initializationOptions)" in w
            for w in found
        ), found
        assert any(
            w.startswith("cowork.provider from workspace/configuration: ['openai']") for w in found
        ), found
    finally:
        await stop_session(session)


async def test_invalid_environment_value_keeps_the_default(repo: Path, editor: str) -> None:
    session = await start_session(repo, editor, env=server_env(COWORK_PROVIDER="gpt"))
    try:
        done = await summarize(session)
        assert done["state"] == "done", done["error"]
        assert done["provider"] == "offline"
        [warning] = warnings(session)
        assert warning.startswith("cowork.provider from COWORK_PROVIDER: 'gpt' is not valid")
    finally:
        await stop_session(session)


async def test_settings_that_are_not_an_object(repo: Path, editor: str) -> None:
    session = await start_session(repo, editor, configuration="offline")
    try:
        done = await summarize(session)
        assert done["state"] == "done", done["error"]
        [warning] = warnings(session)
        assert warning == (
            "cowork settings from workspace/configuration must be an object, got str; ignoring them"
        )
    finally:
        await stop_session(session)


async def test_unknown_keys_are_listed_not_fatal(repo: Path, editor: str) -> None:
    session = await start_session(repo, editor, init_options={"maxConcurentTasks": 1})
    try:
        done = await summarize(session)
        assert done["state"] == "done", done["error"]
        assert "unknown keys, ignored: maxConcurentTasks" in settings_log(session)
        assert "maxConcurrentTasks: 3 (default)" in settings_log(session)
        assert not warnings(session)
    finally:
        await stop_session(session)


# -- openArtifactOnCompletion ------------------------------------------------------------


@pytest.mark.parametrize("show_document", [True, False], ids=["showDocument", "showMessage"])
async def test_open_artifact_on_completion(repo: Path, editor: str, show_document: bool) -> None:
    """Off: the artifact is neither opened nor announced. Turned on: the next one is."""
    caps = None if show_document else without_show_document(editor)
    session = await start_session(
        repo, editor, capabilities=caps, configuration={"openArtifactOnCompletion": False}
    )
    try:
        quiet = await summarize(session, "pkg/util.py")
        assert quiet["state"] == "done", quiet["error"]

        session.client.set_configuration(True, section="cowork.openArtifactOnCompletion")
        change_configuration(session)
        opened = await summarize(session, "pkg/engine.py")
        assert opened["state"] == "done", opened["error"]

        def told() -> list[str]:
            return [d.uri for d in session.client.shown_documents] + [
                m.message for m in session.client.messages if " is ready: " in m.message
            ]

        await session.wait_until(told, "the second artifact to be opened or announced")
        # The first would have come first: only the second arrived.
        expected = (
            opened["artifactUri"]
            if show_document
            else (f"cowork: {opened['title']} is ready: {to_path(opened['artifactUri'])}")
        )
        assert told() == [expected]
    finally:
        await stop_session(session)


async def test_a_folders_own_settings_apply_to_its_tasks(tmp_path: Path, editor: str) -> None:
    """Multi-root: settings are pulled per folder with its `scopeUri`; folder `api` sets its
    own budget and exclusions, folder `web` has the window's."""
    from cowork.artifacts import read_provenance
    from repos import sample_repo

    api, web = sample_repo(tmp_path / "api"), sample_repo(tmp_path / "web")
    session = await start_session(
        api,
        editor,
        folders=[api, web],
        configuration={"contextBudgetTokens": 30000},
        folder_configuration={api: {"contextBudgetTokens": 20000, "exclude": ["pkg/cli.py"]}},
    )
    try:
        provenance = {}
        for root in (api, web):
            answer = await session.command(
                "cowork.summarizeModule", {"uri": (root / "pkg/engine.py").as_uri()}
            )
            done = await session.wait_for(answer["taskId"], "done", "failed")
            assert done["state"] == "done", done["error"]
            provenance[root] = read_provenance(to_path(done["artifactUri"]))
        log = settings_log(session)
    finally:
        await stop_session(session)
    assert provenance[api]["context"]["budget"] == 20000
    assert provenance[web]["context"]["budget"] == 30000
    # `api` excludes pkg/cli.py (which imports the module) by its own setting; `web` not.
    excluded = {r: {e["path"] for e in provenance[r]["context"]["excluded"]} for r in (api, web)}
    assert "pkg/cli.py" in excluded[api] and "pkg/cli.py" not in excluded[web]
    assert "contextBudgetTokens: 30000 (workspace/configuration)" in log
    assert "api (" in log and "sets its own: contextBudgetTokens, exclude" in log
