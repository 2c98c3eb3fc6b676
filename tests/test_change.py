"""Handing off a code change: the model's edits come back as a tested patch in a
worktree of their own; the user's tree is touched only when they apply it.

The real server over stdio, real git repositories, the real anthropic SDK and
the local protocol server scripted with edit blocks; the workspace's own test
command (unittest) run in the worktree.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from conftest import (
    Session,
    artifact_of,
    raw_code_actions,
    server_env,
    start_session,
    stop_session,
)
from cowork.artifacts import read_provenance
from fakeapi import FakeAnthropic, Reply
from repos import commit, git, init_repo

KEY = "sk-ant-test-change-0123456789abcdef"
OPS = '"""Arithmetic."""\n\n\ndef add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n'
TESTS = (
    "import unittest\n\nfrom calc.ops import add, sub\n\n\n"
    "class OpsTest(unittest.TestCase):\n"
    "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n"
    "    def test_sub(self):\n        self.assertEqual(sub(5, 3), 2)\n"
)
FIX = {
    "path": "calc/ops.py",
    "search": "def sub(a, b):\n    return a + b",
    "replace": "def sub(a, b):\n    return a - b",
}
TEST_COMMAND = f"{sys.executable} -m unittest -q tests.test_ops"


def answer(*edits: dict[str, str], notes: tuple[str, ...] = ("Check sub's callers.",)) -> Reply:
    return Reply(
        json={
            "rationale": "`sub` added instead of subtracting.",
            "edits": list(edits),
            "reviewerNotes": list(notes),
        }
    )


def project(tmp_path: Path) -> Path:
    root = init_repo(tmp_path / "calc")
    commit(
        root,
        "Calculator",
        {
            "calc/__init__.py": "",
            "calc/ops.py": OPS,
            "tests/__init__.py": "",
            "tests/test_ops.py": TESTS,
        },
    )
    return root


def snapshot(root: Path) -> dict[str, str]:
    """Every file of the user's tree (outside .git and .cowork) with its hash."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if (
            path.is_file()
            and not rel.startswith((".git/", ".cowork/"))
            and "__pycache__" not in rel
        ):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


async def propose(
    root: Path, api: FakeAnthropic, settings: dict[str, Any] | None = None, goal: str = "Fix sub"
) -> tuple[Session, dict[str, Any]]:
    env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
    session = await start_session(root, "visual_studio_code", env=env, init_options=settings or {})
    received: list[types.ApplyWorkspaceEditParams] = []

    @session.client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        received.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    session.received_edits = received  # type: ignore[attr-defined]
    started = await session.command(
        "cowork.proposeChange", {"goal": goal, "uris": [(root / "calc/ops.py").as_uri()]}
    )
    done = await session.wait_for(started["taskId"], "done", "failed", "cancelled")
    return session, done


def hanging_tests(tmp_path: Path) -> tuple[Path, str]:
    """A FIFO and a test command that writes its pid into it, then hangs: reading the
    FIFO waits, without sleeping, until the tests have started."""
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    return fifo, f"sh -c 'echo $$ > {fifo}; exec sleep 600'"


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(p: types.Position) -> int:
        return offsets[min(p.line, len(lines))] + p.character

    for e in sorted(edits, key=lambda e: at(e.range.start), reverse=True):
        text = text[: at(e.range.start)] + e.new_text + text[at(e.range.end) :]
    return text


async def test_good_edits_become_a_tested_patch_applied_only_on_request(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = snapshot(root)
    with FakeAnthropic() as api:
        api.script(answer(FIX))
        session, done = await propose(root, api, {"testCommand": TEST_COMMAND})
        try:
            assert done["state"] == "done", done["error"]
            assert snapshot(root) == before  # the user's tree: not a byte changed
            provenance = read_provenance(artifact_of(done))
            change = provenance["change"]
            tree = root / change["worktree"]
            assert (tree / "calc/ops.py").read_text() == OPS.replace(
                "def sub(a, b):\n    return a + b", "def sub(a, b):\n    return a - b"
            )
            assert change["tests"] == "passed" and change["branch"].startswith("cowork/fix-sub-")
            diff = git(tree, "diff", change["base"])
            assert "-    return a + b\n+    return a - b" in diff
            body = artifact_of(done).read_text()
            assert "```diff\ndiff --git a/calc/ops.py b/calc/ops.py" in body
            assert "**Passed**" in body and "Check sub's callers." in body

            # The request asked for the public shape.
            sent = api.requests_to("/v1/messages")[0].json
            props = sent["output_config"]["format"]["schema"]["properties"]
            assert set(props) == {"rationale", "edits", "reviewerNotes"}

            # Apply: one WorkspaceEdit the editor can undo, then the worktree goes.
            expected = (tree / "calc/ops.py").read_text()
            applied = await session.command("cowork.applyChange", {"taskId": done["taskId"]})
            assert applied == {"taskId": done["taskId"], "applied": True, "files": ["calc/ops.py"]}
            (params,) = session.received_edits  # type: ignore[attr-defined]
            (doc_edit,) = params.edit.document_changes or []
            assert isinstance(doc_edit, types.TextDocumentEdit)
            assert doc_edit.text_document.uri == (root / "calc/ops.py").as_uri()
            assert apply_text_edits(OPS, list(doc_edit.edits)) == expected
            assert not tree.exists()
            assert "cowork/" not in git(root, "branch", "--list")
        finally:
            await stop_session(session)


async def test_edits_that_do_not_match_get_one_repair_round_then_are_reported(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    twice = {"path": "calc/ops.py", "search": "    return a + b", "replace": "    return a - b"}
    missing = {"path": "calc/ops.py", "search": "def mul(a, b):", "replace": "def times(a, b):"}
    with FakeAnthropic() as api:
        api.script(answer(twice), answer(FIX, missing))
        session, done = await propose(root, api)
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    _, second = api.requests_to("/v1/messages")
    followup = second.json["messages"]
    assert [m["role"] for m in followup] == ["user", "assistant", "user"]
    assert json.loads(followup[1]["content"][0]["text"])["edits"] == [twice]
    reasons = followup[2]["content"][0]["text"]
    assert "edit 1 (`calc/ops.py`): the search text occurs 2 times in the file" in reasons
    body = artifact_of(done).read_text()
    assert "## Could not be applied" in body
    assert "edit 2 (`calc/ops.py`): the search text does not occur in the file" in body
    assert "-    return a + b\n+    return a - b" in body  # the good edit made it
    assert read_provenance(artifact_of(done))["change"]["edits"] == {"applied": 1, "refused": 1}


async def test_failing_tests_get_one_repair_round_with_their_output(tmp_path: Path) -> None:
    root = project(tmp_path)
    wrong = {**FIX, "replace": "def sub(a, b):\n    return b - a"}
    with FakeAnthropic() as api:
        api.script(answer(wrong), answer(FIX))
        session, done = await propose(root, api, {"testCommand": TEST_COMMAND})
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    second = api.requests_to("/v1/messages")[1].json["messages"]
    told = second[-1]["content"][0]["text"]
    assert "the workspace's tests failed (exit code 1)" in told and "test_sub" in told
    change = read_provenance(artifact_of(done))["change"]
    assert change["tests"] == "passed" and change["repairRounds"] == 1
    log = artifact_of(done).with_suffix(".log")
    assert log.is_file() and TEST_COMMAND in log.read_text()


async def test_a_hanging_test_command_is_killed_at_the_timeout(tmp_path: Path) -> None:
    root = project(tmp_path)
    pidfile = tmp_path / "test.pid"
    command = f"sh -c 'echo $$ > {pidfile}; exec sleep 600'"
    with FakeAnthropic() as api:
        api.script(answer(FIX), answer(FIX))
        session, done = await propose(root, api, {"testCommand": command, "testTimeoutSeconds": 2})
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    assert read_provenance(artifact_of(done))["change"]["tests"] == "timed out"
    assert "killed after 2 s (testTimeoutSeconds)" in artifact_of(done).read_text()
    assert not running(int(pidfile.read_text()))


async def test_cancel_while_the_tests_run_kills_them_and_leaves_no_worktree(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    fifo, command = hanging_tests(tmp_path)
    with FakeAnthropic() as api:
        api.script(answer(FIX))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env, init_options={"testCommand": command})
        try:
            started = await session.command(
                "cowork.proposeChange",
                {"goal": "Fix sub", "uris": [(root / "calc/ops.py").as_uri()]},
            )
            # Blocks until the test command has started and written its pid.
            pid = int(await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 60))
            await session.command("cowork.cancelTask", {"taskId": started["taskId"]})
            done = await session.wait_for(started["taskId"], "cancelled", "done", "failed")
        finally:
            await stop_session(session)
    assert done["state"] == "cancelled"
    assert not running(pid)
    assert not (root / ".cowork/worktrees" / started["taskId"]).exists()
    assert "cowork/" not in git(root, "branch", "--list")


async def test_discard_removes_the_worktree_and_the_branch(tmp_path: Path) -> None:
    root = project(tmp_path)
    with FakeAnthropic() as api:
        api.script(answer(FIX))
        session, done = await propose(root, api)
        try:
            tree = root / read_provenance(artifact_of(done))["change"]["worktree"]
            assert tree.is_dir() and "cowork/" in git(root, "branch", "--list")
            uri = done["artifactUri"]
            session.client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(uri, "markdown", 1, artifact_of(done).read_text())
                )
            )
            lenses = await session.client.text_document_code_lens_async(
                types.CodeLensParams(types.TextDocumentIdentifier(uri))
            )
            titles = [lens.command.title for lens in lenses or [] if lens.command]
            assert "✓ Apply to working tree" in titles and "✗ Discard" in titles
            result = await session.command("cowork.discardChange", {"taskId": done["taskId"]})
            assert result == {"taskId": done["taskId"], "discarded": True}
            with pytest.raises(Exception, match="no longer pending"):
                await session.command("cowork.applyChange", {"taskId": done["taskId"]})
        finally:
            await stop_session(session)
    assert not tree.exists()
    assert "cowork/" not in git(root, "branch", "--list")
    assert len(git(root, "worktree", "list").splitlines()) == 1  # the main one only


async def test_edits_outside_the_rules_are_refused(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".gitignore").write_text("build/\n")
    commit(root, "ignore build")
    bad = [
        {"path": "../outside.py", "search": "", "replace": "x = 1\n"},
        {"path": ".git/config", "search": "[core]", "replace": "[core]\n\tbare = true"},
        {"path": ".env", "search": "", "replace": "TOKEN=1\n"},
        {"path": "build/out.py", "search": "", "replace": "x = 1\n"},
        {"path": "/etc/passwd", "search": "", "replace": "x\n"},
    ]
    with FakeAnthropic() as api:
        api.script(answer(FIX, *bad), answer(FIX, *bad))
        session, done = await propose(root, api)
        await stop_session(session)
    body = artifact_of(done).read_text()
    for why in (
        "edit 2 (`../outside.py`): the path leaves the workspace",
        "edit 3 (`.git/config`): edits to .git/ are never made",
        "edit 4 (`.env`): the file is never touched (environment file (may hold secrets))",
        "edit 5 (`build/out.py`): the file is ignored by git",
        "edit 6 (`/etc/passwd`): the path must be relative to the workspace",
    ):
        assert why in body
    assert not (tmp_path / "outside.py").exists()


async def test_apply_is_refused_when_the_users_file_changed_where_the_edit_applies(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    with FakeAnthropic() as api:
        api.script(answer(FIX))
        session, done = await propose(root, api)
        try:
            edited = OPS.replace(
                "def sub(a, b):\n    return a + b", "def sub(x, y):\n    return x + y"
            )
            (root / "calc/ops.py").write_text(edited)
            with pytest.raises(
                Exception, match=r"calc/ops\.py` changed since the change was proposed"
            ):
                await session.command("cowork.applyChange", {"taskId": done["taskId"]})
            assert (root / "calc/ops.py").read_text() == edited
            assert session.received_edits == []  # type: ignore[attr-defined]
        finally:
            await stop_session(session)


def test_the_offline_provider_says_it_cannot_write_code(tmp_path: Path) -> None:
    import subprocess

    root = project(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "cowork", "run", "change", "--goal", "Fix sub", "calc/ops.py", "-q"],
        cwd=root,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    body = Path(result.stdout.strip()).read_text()
    assert "The offline provider cannot write code." in body
    assert "What a model would have received" in body
    assert not (root / ".cowork/worktrees").exists()


async def test_a_server_killed_mid_task_leaves_no_orphan_and_the_change_is_rerun(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    fifo, hanging = hanging_tests(tmp_path)
    with FakeAnthropic() as api:
        api.script(answer(FIX), answer(FIX))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        first = await start_session(root, env=env, init_options={"testCommand": hanging})
        started = await first.command(
            "cowork.proposeChange", {"goal": "Fix sub", "uris": [(root / "calc/ops.py").as_uri()]}
        )
        task_id = started["taskId"]
        pid = int(await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 60))
        first.process.kill()  # SIGKILL: no clean-up of its own
        await first.process.wait()
        await stop_session(first)
        assert running(pid)  # the test run outlived its server

        second = await start_session(root, env=env, init_options={"testCommand": TEST_COMMAND})
        try:
            done = await second.wait_for(task_id, "done", "failed")
        finally:
            await stop_session(second)
    assert second.states(task_id)[:2] == ["interrupted", "queued"]
    assert done["state"] == "done", done["error"]
    assert not running(pid)
    change = read_provenance(artifact_of(done))["change"]
    assert change["tests"] == "passed"
    trees = [line for line in git(root, "worktree", "list").splitlines() if ".cowork" in line]
    assert len(trees) == 1 and task_id in trees[0]


async def test_a_missing_test_command_is_not_run_and_secrets_in_test_output_are_redacted(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    leaky = (
        "sh -c 'echo using key AKIAIOSFODNN7EXAMPLE; "
        "echo token=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB; exit 1'"
    )
    with FakeAnthropic() as api:
        api.script(answer(FIX), answer(FIX))
        session, done = await propose(root, api, {"testCommand": leaky})
        await stop_session(session)
    told = api.requests_to("/v1/messages")[1].body.decode()
    assert "the workspace's tests failed (exit code 1)" in told
    assert "AKIAIOSFODNN7EXAMPLE" not in told and "ghp_0123456789" not in told
    assert "[REDACTED" in told
    body = artifact_of(done).read_text()
    assert "```text\nusing key [REDACTED: AWS access key id]" in body  # the output's tail

    root2 = project(tmp_path / "second")
    with FakeAnthropic() as api:
        api.script(answer(FIX))
        session, done = await propose(root2, api, {"testCommand": "no-such-test-runner -q"})
        await stop_session(session)
    assert read_provenance(artifact_of(done))["change"]["tests"] == "not run"
    text = artifact_of(done).read_text()
    assert "**Not run**" in text and "no-such-test-runner" in text and "not found" in text
    assert len(api.requests_to("/v1/messages")) == 1  # nothing to repair


async def test_propose_a_change_opens_a_brief_whose_goal_the_task_takes(tmp_path: Path) -> None:
    root = project(tmp_path)
    with FakeAnthropic() as api:
        api.script(answer(FIX))
        env = server_env(ANTHROPIC_API_KEY=KEY, ANTHROPIC_BASE_URL=api.base_url)
        session = await start_session(root, env=env)
        try:
            actions = await raw_code_actions(
                session,
                root / "calc/ops.py",
                types.Range(types.Position(8, 0), types.Position(9, 0)),
                only=["refactor"],
            )
            (command,) = [a["command"] for a in actions if "Propose a change" in a["title"]]
            opened = await session.command(command["command"], *command["arguments"])
            brief = Path(opened["uri"].removeprefix("file://"))
            text = brief.read_text()
            assert "goal:" not in text.split("---")[1]  # the goal lives in the Goal section
            brief.write_text(
                text.replace(
                    "What must the change achieve? (write the goal here)",
                    "Make sub subtract instead of adding, and keep add as it is.",
                )
            )
            started = await session.command("cowork.dispatchBrief", {"uri": opened["uri"]})
            done = await session.wait_for(started["taskId"], "done", "failed")
        finally:
            await stop_session(session)
    assert done["state"] == "done", done["error"]
    assert done["title"] == "Change: Make sub subtract instead of adding, and keep add as it is."
    assert "return a - b" in artifact_of(done).read_text()

    import subprocess

    listed = subprocess.run(
        [sys.executable, "-m", "cowork", "tasks"],
        cwd=root,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "patch pending on branch cowork/make-sub-subtract" in listed


async def test_uncommitted_and_unsaved_work_is_carried_into_the_worktree_not_the_patch(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    wip = OPS + "\n\ndef mul(a, b):\n    return a * b\n"
    (root / "calc/ops.py").write_text(wip)  # uncommitted work on the file in context
    with FakeAnthropic() as api:
        api.script(answer(FIX))
        session, done = await propose(root, api)
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    change = read_provenance(artifact_of(done))["change"]
    tree = root / change["worktree"]
    text = (tree / "calc/ops.py").read_text()
    assert "def mul(a, b)" in text and "return a - b" in text  # the user's work, plus the edit
    patch = git(tree, "diff", change["base"])
    assert "+def mul" not in patch and "+    return a - b" in patch  # the patch: the edit only
    assert (root / "calc/ops.py").read_text() == wip  # the user's tree: untouched


def test_a_test_runner_left_by_a_killed_server_is_ended_though_its_shell_is_gone(
    tmp_path: Path,
) -> None:
    """The next server ends the test run a killed one left, by the group in its pid
    file, even when the group's first process (the shell) has exited and only the test
    runner it started is left; a group running elsewhere is left alone."""
    import select
    import signal
    import subprocess

    from cowork.engine.testrun import kill_leftover

    tree, elsewhere = tmp_path / "tree", tmp_path / "elsewhere"
    tree.mkdir()
    elsewhere.mkdir()
    left: list[int] = []

    def orphaned_runner(cwd: Path) -> tuple[int, int]:
        """(the group's id, its test runner's pid) once the shell that started it is gone."""
        fifo = tmp_path / f"started-{cwd.name}"
        os.mkfifo(fifo)
        shell = subprocess.Popen(
            ["/bin/sh", "-c", f"sleep 600 & echo $! > {fifo}"], cwd=cwd, start_new_session=True
        )
        runner = int(fifo.read_text())
        left.append(runner)
        shell.wait()
        assert running(runner) and not running(shell.pid)
        return shell.pid, runner

    try:
        group, runner = orphaned_runner(tree)
        other_group, other = orphaned_runner(elsewhere)
        (tmp_path / "pid").write_text(str(other_group))
        assert not kill_leftover(tmp_path / "pid", tree)  # not the worktree's: left alone
        assert running(other)

        gone = os.pidfd_open(runner)
        (tmp_path / "pid").write_text(str(group))
        assert kill_leftover(tmp_path / "pid", tree)
        assert select.select([gone], [], [], 30)[0] == [gone]  # readable once it has exited
        os.close(gone)
        assert not running(runner)
        assert not (tmp_path / "pid").exists()
    finally:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
