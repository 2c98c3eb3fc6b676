"""Shared fixtures: the real `cowork serve` over stdio, driven by pytest-lsp."""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

sys.path.insert(0, str(Path(__file__).parent))

from repos import sample_repo

# The index on disk lives under $XDG_CACHE_HOME/cowork: no test may write to the real
# one. Set before any server or CLI starts (they inherit it through `server_env`).
_CACHE_HOME = tempfile.mkdtemp(prefix="cowork-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_HOME
atexit.register(shutil.rmtree, _CACHE_HOME, True)
# A CLI run would leave a background server behind per temporary repository.
os.environ["COWORK_DAEMON"] = "0"

# `--stdio` as vscode-languageclient passes it (Neovim and the CLI docs go without).
SERVER = [sys.executable, "-m", "cowork", "serve", "--stdio", "--log-level", "WARNING"]
EDITORS = ["visual_studio_code", "neovim"]
T = TypeVar("T")
WAIT = 60.0  # bound on every wait: a broken server fails the test instead of hanging it


def server_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any real API key; `cowork run` runs in
    its own process unless a test asks for the background server (test_daemon.py)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "OPENAI_", "COWORK_"))
    }
    env["COWORK_DAEMON"] = "0"
    env.update(extra)
    return env


@dataclass
class Session:
    """A running server, its client, and what the client saw."""

    client: LanguageClient
    root: Path
    editor: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    server_capabilities: types.ServerCapabilities | None = None  # from `initialize`
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self.client._server is not None
        return self.client._server

    async def command(self, name: str, *args: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args))
        )

    async def wait_until(
        self, predicate: Callable[[], T | None], what: str, timeout: float = WAIT
    ) -> T:
        """Re-check `predicate` on every message the server sends, until it is truthy."""

        async def check() -> T:
            async with self._changed:
                while True:
                    value = predicate()
                    if value:
                        return value
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"gave up after {timeout:.0f}s waiting for {what}; task "
                f"changes seen: {[(r['taskId'], r['state']) for r in self.changes]}"
            ) from None

    async def wait_for(self, task_id: str, *states: str, timeout: float = WAIT) -> dict[str, Any]:
        """The first recorded change of `task_id` into one of `states`."""

        def find() -> dict[str, Any] | None:
            return next(
                (r for r in self.changes if r["taskId"] == task_id and r["state"] in states), None
            )

        return await self.wait_until(find, f"task {task_id} to be {' or '.join(states)}", timeout)

    async def notify_waiters(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def states(self, task_id: str) -> list[str]:
        """The states `task_id` went through, in order (a change that kept the state,
        such as its draft appearing while it runs, adds none)."""
        out: list[str] = []
        for r in self.changes:
            if r["taskId"] == task_id and (not out or out[-1] != r["state"]):
                out.append(r["state"])
        return out

    async def _record(self, record: dict[str, Any]) -> None:
        self.changes.append(record)
        await self.notify_waiters()


async def start_session(
    root: Path,
    editor: str = "visual_studio_code",
    init_options: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    folders: list[Path] | None = None,
    capabilities: types.ClientCapabilities | None = None,
    configuration: dict[str, Any] | None = None,
    log_level: str = "WARNING",
    folder_configuration: dict[Path, dict[str, Any]] | None = None,
) -> Session:
    """Start `cowork serve`, initialize it for `root`, record its task changes.

    `configuration` is the client's `cowork` section, answered to the
    server's `workspace/configuration` requests from the first one on;
    `folder_configuration` the section as the client answers for a folder's
    `scopeUri` (as VS Code does: every level merged, the folder's own on top).
    """
    command = [*SERVER[:-1], log_level]  # the server's log reaches this process's stderr
    config = ClientServerConfig(server_command=command, server_env=env or server_env())
    client = await config.start()
    if configuration is not None:
        client.set_configuration(configuration, section="cowork")
    for folder, values in (folder_configuration or {}).items():
        merged = {**(configuration or {}), **values}
        client.set_configuration(merged, section="cowork", scope_uri=folder.as_uri())
    session = Session(client=client, root=root, editor=editor)

    @client.feature("cowork/taskChanged")
    async def on_task_changed(params: Any) -> None:
        record = params if isinstance(params, dict) else _to_dict(params)
        await session._record(record)

    # Wrap the client's own recorders so waiters re-check after each of them.
    for method in (
        types.WINDOW_SHOW_MESSAGE,
        types.WINDOW_SHOW_DOCUMENT,
        types.PROGRESS,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
    ):
        _observe(client, session, method)

    folders = folders or [root]
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities(editor),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
            initialization_options=init_options or {},
        )
    )
    session.server_capabilities = result.capabilities
    return session


async def summarize_once(
    root: Path,
    env: dict[str, str],
    init_options: dict[str, Any] | None = None,
    rel: str = "pkg/engine.py",
) -> tuple[dict[str, Any], Session]:
    """Start a server, summarise `rel`, wait for the task to end, stop the server:
    the task's final record, and the session (what the editor was sent)."""
    session = await start_session(root, "visual_studio_code", env=env, init_options=init_options)
    try:
        answer = await session.command("cowork.summarizeModule", {"uri": (root / rel).as_uri()})
        done = await session.wait_for(answer["taskId"], "done", "failed", "cancelled")
    finally:
        await stop_session(session)
    return done, session


async def architecture_of(
    root: Path,
    folders: list[str],
    env: dict[str, str],
    init: dict[str, object] | None = None,
    *,
    timeout: float = WAIT,
) -> dict[str, Any]:
    """The finished record of `cowork.architectureBrief` for `folders` of `root`, run
    by a server of its own (started with `env` and initialization options `init`)."""
    session = await start_session(root, env=env, init_options=init or {})
    try:
        answer = await session.command(
            "cowork.architectureBrief", {"uris": [(root / f).as_uri() for f in folders]}
        )
        done = await session.wait_for(answer["taskId"], "done", "failed", timeout=timeout)
    finally:
        await stop_session(session)
    assert done["state"] == "done", done["error"]
    return done


def _observe(client: LanguageClient, session: Session, method: str) -> None:
    original = client.protocol.fm.features.pop(method)

    def observed(*args: Any) -> Any:
        result = original(*args)
        asyncio.get_running_loop().create_task(session.notify_waiters())
        return result

    client.feature(method)(observed)


def _to_dict(value: Any) -> Any:
    """pygls hands custom notification params over as namedtuples."""
    if hasattr(value, "_asdict"):
        return {k: _to_dict(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [_to_dict(v) for v in value]
    return value


async def stop_session(session: Session) -> None:
    if session.process.returncode is None:
        await asyncio.wait_for(session.client.shutdown_session(), WAIT)
    else:
        await session.client.stop()


def cowork(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`cowork ARGS…` run in `cwd` as a user would, without any real API key."""
    return subprocess.run(
        [sys.executable, "-m", "cowork", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env or server_env(),
        timeout=120,
        check=False,
    )


def without_show_document(editor: str) -> types.ClientCapabilities:
    """`editor`'s recorded capabilities minus window/showDocument, as in Neovim 0.7."""
    caps = client_capabilities(editor)
    assert caps.window is not None
    caps.window.show_document = None
    return caps


@pytest.fixture(params=EDITORS)
def editor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return sample_repo(tmp_path / "sample")


@pytest_asyncio.fixture
async def session(repo: Path, editor: str) -> AsyncIterator[Session]:
    s = await start_session(repo, editor)
    yield s
    await stop_session(s)


def progress_messages(session: Session) -> list[str]:
    """Every work-done progress report message the client received, in order."""
    return [
        v.message or ""
        for reports in session.client.progress_reports.values()
        for v in reports
        if isinstance(v, types.WorkDoneProgressReport)
    ]


def artifact_files(root: Path) -> list[Path]:
    """The Markdown artifacts in `root`'s .cowork/artifacts, sorted."""
    folder = root / ".cowork" / "artifacts"
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def artifact_of(record: dict[str, Any]) -> Path:
    """The artifact a task record points at."""
    assert record["artifactUri"], record
    return Path(record["artifactUri"].removeprefix("file://"))


def integrity(root: Path) -> str:
    """`PRAGMA integrity_check` of `root`'s task database ("ok" when sound)."""
    db = sqlite3.connect(root / ".cowork" / "state" / "tasks.db")
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


async def raw_code_actions(
    session: Session,
    path: Path,
    where: types.Range,
    diagnostics: list[types.Diagnostic] | None = None,
    only: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The code actions offered at `where`, as the JSON the server sent (the test
    client would parse an action that carries a command as a bare Command)."""
    protocol = session.client.protocol
    msg_id = f"raw-code-action-{next(_raw_ids)}"
    raw: dict[str, Any] = {}
    original = protocol.structure_message

    def spy(data: dict[str, Any]) -> Any:
        if data.get("id") == msg_id and "result" in data:
            raw["result"] = data["result"]
        return original(data)

    protocol.structure_message = spy  # type: ignore[method-assign]
    try:
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=where,
            context=types.CodeActionContext(
                diagnostics=diagnostics or [],
                only=list(only) if only is not None else None,
            ),
        )
        await asyncio.wait_for(
            protocol.send_request_async(types.TEXT_DOCUMENT_CODE_ACTION, params, msg_id), WAIT
        )
    finally:
        protocol.structure_message = original  # type: ignore[method-assign]
    return list(raw.get("result") or [])


_raw_ids = itertools.count(1)
