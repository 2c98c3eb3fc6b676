"""Bad input gets a clear error, and the server keeps serving.

Every case here is something an editor, a script or a user can send. Each is
answered either by a JSON-RPC "invalid params" error whose message says what
is wrong, or by a `failed` task whose `error` says why — and then the server
still does real work: a valid summarize reaches `done`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from conftest import EDITORS, Session, start_session, stop_session
from cowork.artifacts import read_provenance
from cowork.uris import to_path
from repos import commit, git, init_repo, write

# -- helpers ---------------------------------------------------------------------


async def rejected(session: Session, command: str, *args: Any) -> str:
    """The message of the "invalid params" error `command` is answered with."""
    with pytest.raises(JsonRpcException) as info:
        await session.command(command, *args)
    assert info.value.code == JsonRpcInvalidParams.CODE, info.value
    return info.value.message


async def failed(session: Session, command: str, arg: dict[str, Any]) -> str:
    """Hand a task off that must fail; its `error`, after checking the user was told."""
    task_id = (await session.command(command, arg))["taskId"]
    record = await session.wait_for(task_id, "done", "failed", "cancelled")
    assert record["state"] == "failed", record
    assert record["error"]
    # The user sees it without looking at the task list: an error message names it.
    await session.wait_until(
        lambda: any(record["error"] in m.message for m in session.client.messages),
        "a message telling the user why the task failed",
    )
    return str(record["error"])


async def summarized(session: Session, path: Path) -> tuple[dict[str, Any], str]:
    """Summarise `path`; the `done` record and the artifact's text."""
    answer = await session.command("cowork.summarizeModule", {"uri": path.as_uri()})
    record = await session.wait_for(answer["taskId"], "done", "failed", "cancelled")
    assert record["state"] == "done", record["error"]
    return record, to_path(record["artifactUri"]).read_text(encoding="utf-8")


async def still_serving(session: Session) -> None:
    """The next requests are served: the task list answers and a real task completes."""
    assert isinstance(await session.command("cowork.listTasks"), list)
    _, text = await summarized(session, session.root / "pkg" / "util.py")
    assert "`count(text: str) -> int`" in text


# -- malformed and missing command arguments --------------------------------------

URI = "<uri of pkg/engine.py>"  # replaced by the real URI in the test

MALFORMED: list[Any] = [
    pytest.param(
        "cowork.summarizeModule",
        [URI],
        ["cowork.summarizeModule takes one JSON object argument", "str"],
        id="string-instead-of-object",
    ),
    pytest.param(
        "cowork.summarizeModule",
        [{"uri": 42}],
        ["'uri' must be a file URI", "got 42 (int)"],
        id="uri-is-a-number",
    ),
    pytest.param(
        "cowork.summarizeModule",
        [{"uri": [URI]}],
        ["'uri' must be a file URI", "got a list"],
        id="uri-is-a-list",
    ),
    pytest.param(
        "cowork.summarizeModule",
        [{"uri": URI, "path": "pkg/engine.py"}],
        ["unknown key(s) path", "accepted: uri"],
        id="unknown-key",
    ),
    pytest.param(
        "cowork.summarizeModule",
        [{"uri": URI}, {"uri": URI}],
        ["takes one JSON object argument", "dict, dict"],
        id="two-arguments",
    ),
    pytest.param(
        "cowork.summarizeModule",
        [],
        ["cowork.summarizeModule needs one JSON object"],
        id="no-argument",
    ),
    pytest.param(
        "cowork.summarizeModule", [{}], ["cowork.summarizeModule needs", '"uri"'], id="empty-object"
    ),
    pytest.param(
        "cowork.architectureBrief", [{"uris": URI}], ["'uris' must be a list"], id="uris-not-a-list"
    ),
    pytest.param(
        "cowork.reviewChanges",
        [{"base": 42}],
        ["'base' must be a string", "int"],
        id="base-is-a-number",
    ),
    pytest.param(
        "cowork.cancelTask",
        [],
        ["cowork.cancelTask needs one JSON object"],
        id="cancel-without-argument",
    ),
    pytest.param(
        "cowork.cancelTask",
        [{}],
        ["cowork.cancelTask needs", "taskId"],
        id="cancel-without-task-id",
    ),
    pytest.param(
        "cowork.cancelTask",
        [{"taskId": 7}],
        ["cowork.cancelTask needs", "taskId"],
        id="cancel-task-id-is-a-number",
    ),
    pytest.param(
        "cowork.cancelTask",
        [{"taskId": "0123456789ab"}],
        ["no task with id '0123456789ab'"],
        id="cancel-unknown-task",
    ),
    pytest.param(
        "cowork.listTasks",
        ["everything"],
        ["cowork.listTasks takes one JSON object"],
        id="list-tasks-with-a-string",
    ),
    pytest.param(
        "cowork.summariseModule",
        [{"uri": URI}],
        ["'cowork.summariseModule' is not defined"],
        id="unknown-command",
    ),
]


def _with_uri(value: Any, uri: str) -> Any:
    if value == URI:
        return uri
    if isinstance(value, list):
        return [_with_uri(v, uri) for v in value]
    if isinstance(value, dict):
        return {k: _with_uri(v, uri) for k, v in value.items()}
    return value


def taking_turns(cases: list[Any]) -> list[Any]:
    """Each case on one editor's capabilities, the editors taking turns.

    Argument checking does not depend on the client's capabilities, and each
    server start costs about a second: both editors are covered, not doubled.
    """
    return [
        pytest.param(*case.values, EDITORS[i % 2], id=f"{case.id}-{EDITORS[i % 2]}")
        for i, case in enumerate(cases)
    ]


@pytest.mark.parametrize(("command", "args", "expected", "client"), taking_turns(MALFORMED))
async def test_malformed_arguments(
    repo: Path, command: str, args: list[Any], expected: list[str], client: str
) -> None:
    session = await start_session(repo, client)
    try:
        args = _with_uri(args, (repo / "pkg" / "engine.py").as_uri())
        message = await rejected(session, command, *args)
        for part in expected:
            assert part in message, message
        await still_serving(session)
    finally:
        await stop_session(session)


# -- what the URI names ------------------------------------------------------------


async def test_uri_outside_the_workspace(session: Session, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.py"
    elsewhere.write_text("x = 1\n")
    message = await rejected(session, "cowork.summarizeModule", {"uri": elsewhere.as_uri()})
    assert f"{elsewhere} is outside the workspace" in message
    assert str(session.root) in message  # which folders are open
    await still_serving(session)


async def test_file_that_does_not_exist(session: Session, repo: Path) -> None:
    message = await rejected(
        session, "cowork.summarizeModule", {"uri": (repo / "pkg" / "gone.py").as_uri()}
    )
    assert message.endswith("pkg/gone.py does not exist")
    await still_serving(session)


async def test_folder_instead_of_file(session: Session, repo: Path) -> None:
    message = await rejected(session, "cowork.summarizeModule", {"uri": (repo / "pkg").as_uri()})
    assert "pkg is a folder" in message
    assert "architecture brief" in message  # what to do instead
    await still_serving(session)


@pytest.mark.parametrize(
    ("uri", "expected", "client"),
    taking_turns(
        [
            pytest.param(
                "untitled:Untitled-1", "untitled:Untitled-1 is not a file URI", id="untitled"
            ),
            pytest.param(
                "https://example.com/pkg/engine.py",
                "https://example.com/pkg/engine.py is not a file URI",
                id="https",
            ),
            pytest.param(
                "file://build-host/src/pkg/engine.py", "is on another host", id="remote-file"
            ),
            pytest.param(
                "pkg/engine.py",
                "pkg/engine.py is not an absolute path or file URI",
                id="relative-path",
            ),
        ]
    ),
)
async def test_not_a_local_file_uri(repo: Path, uri: str, expected: str, client: str) -> None:
    session = await start_session(repo, client)
    try:
        message = await rejected(session, "cowork.summarizeModule", {"uri": uri})
        assert expected in message
        await still_serving(session)
    finally:
        await stop_session(session)


# -- files cowork cannot read ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param(
            "assets/logo.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)),
            "assets/logo.png is a binary file",
            id="binary",
        ),
        pytest.param(
            "pkg/legacy.py",
            "# Caf\xe9 cr\xe8me\nPRICE = 3\n".encode("latin-1"),
            "pkg/legacy.py is not valid UTF-8 (byte 5)",
            id="latin-1",
        ),
        pytest.param(
            "pkg/huge.py",
            b"VALUE = 1  # padding padding padding padding\n" * 110_000,
            "pkg/huge.py is 5.0 MB; cowork reads files up to 1 MB",
            id="5-MB",
        ),
    ],
)
async def test_unreadable_file_fails_with_reason(
    session: Session, repo: Path, name: str, content: bytes, expected: str
) -> None:
    write(repo, {name: content})
    error = await failed(session, "cowork.summarizeModule", {"uri": (repo / name).as_uri()})
    assert expected in error
    await still_serving(session)  # and the unreadable file does not break a neighbour's summary


# -- unusual repositories -------------------------------------------------------------

FILES = {
    "pkg/__init__.py": "",
    "pkg/util.py": '"""Small helpers."""\n\n\ndef count(text: str) -> int:\n    return len(text)\n',
}


async def test_plain_folder_not_a_git_repository(tmp_path: Path, editor: str) -> None:
    root = tmp_path / "plain"
    write(root, FILES)
    inside = subprocess.run(["git", "-C", str(root), "rev-parse", "--git-dir"], capture_output=True)
    assert inside.returncode != 0, "the temp folder is inside a git repository"
    session = await start_session(root, editor)
    try:
        record, text = await summarized(session, root / "pkg" / "util.py")
        assert "The workspace is not a git repository: no history." in text
        assert (
            read_provenance(to_path(record["artifactUri"]))["git"]["state"]
            == "not a git repository"
        )

        error = await failed(session, "cowork.reviewChanges", {})
        assert "is not a git repository: there are no changes to compare" in error
        await still_serving(session)
    finally:
        await stop_session(session)


async def test_repository_without_commits(tmp_path: Path, editor: str) -> None:
    root = init_repo(tmp_path / "fresh")
    write(root, FILES)
    session = await start_session(root, editor)
    try:
        record, text = await summarized(session, root / "pkg" / "util.py")
        assert "The repository has no commits yet." in text
        assert read_provenance(to_path(record["artifactUri"]))["git"]["head"] is None

        for command in ("cowork.reviewChanges", "cowork.draftDocs"):
            error = await failed(session, command, {})
            assert "the repository has no commits yet: there is nothing to compare" in error
        await still_serving(session)
    finally:
        await stop_session(session)


async def test_detached_head(tmp_path: Path, editor: str) -> None:
    root = init_repo(tmp_path / "detached")
    first = commit(root, "Add the helpers", FILES)
    commit(root, "Document count", {"pkg/util.py": FILES["pkg/util.py"] + "# counts characters\n"})
    git(root, "checkout", "-q", "--detach", first)
    session = await start_session(root, editor)
    try:
        record, text = await summarized(session, root / "pkg" / "util.py")
        prov = read_provenance(to_path(record["artifactUri"]))
        assert prov["git"]["detached"] is True
        assert prov["git"]["head"] == first
        assert prov["git"]["branch"] is None
        assert "Add the helpers" in text and "Document count" not in text  # history as checked out
    finally:
        await stop_session(session)


async def test_python_file_with_a_syntax_error(session: Session, repo: Path) -> None:
    write(repo, {"pkg/broken.py": '"""Half written."""\n\ndef submit(job:\n    return job\n'})
    _, text = await summarized(session, repo / "pkg" / "broken.py")
    assert "The module does not parse:" in text
    assert "(line 3)" in text
    await still_serving(session)


# -- a base that is not a ref ------------------------------------------------------------


@pytest.mark.parametrize("command", ["cowork.reviewChanges", "cowork.draftDocs"])
async def test_base_that_looks_like_an_option(
    session: Session, tmp_path: Path, command: str
) -> None:
    target = tmp_path / "x"
    for base in (f"--output={target}", f"  --output={target}"):
        message = await rejected(session, command, {"base": base})
        assert f"'base' must name a git ref, got {base.strip()!r}" in message
    assert not target.exists()
    await still_serving(session)


@pytest.mark.parametrize("command", ["cowork.reviewChanges", "cowork.draftDocs"])
async def test_base_that_names_no_commit(session: Session, repo: Path, command: str) -> None:
    for base in ("nope", "main..HEAD", "HEAD:pkg"):
        error = await failed(session, command, {"base": base})
        assert f"{base!r} does not name a commit" in error
    assert sorted(p.name for p in repo.iterdir()) == [
        ".cowork",
        ".git",
        "README.md",
        "pkg",
        "tests",
    ]  # git wrote nothing
    await still_serving(session)
