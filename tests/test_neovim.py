"""The README's Neovim set-up, run in a real Neovim against the real server.

The Lua block that the README marks as tested is extracted and used as
`init.lua`, so README and test cannot drift; `tests/nvim/driver.lua` then
plays the user (open a Python file of a real git repository, pick "Summarize
this module" from the code actions, wait for the artifact, `:CoworkTasks`)
and writes what it saw to a JSON file that the assertions here read.

`make test` installs Debian's `neovim` (0.7.2 on Debian 12), which takes the
`vim.lsp.start_client` path of the snippet. `COWORK_TEST_NVIM=/path/to/nvim`
runs the same test with another Neovim (0.8+ takes the `vim.lsp.start` path).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import server_env
from cowork import uris
from cowork.artifacts import read_provenance
from repos import sample_repo

README = Path(__file__).resolve().parents[1] / "README.md"
DRIVER = Path(__file__).resolve().parent / "nvim" / "driver.lua"
MARKER = "<!-- tests/test_neovim.py runs the lua block below"
TIMEOUT_MS = 30_000  # the driver's bound on each of its waits
NVIM_TIMEOUT_S = 90  # the bound on the whole Neovim run
SUMMARIZE = "cowork: Summarize this module"


def readme_lua() -> str:
    """The README's tested Neovim block: the first ```lua fence after the marker."""
    text = README.read_text(encoding="utf-8")
    start = text.find(MARKER)
    assert start >= 0, f"README.md lost the marker {MARKER!r} above its Neovim block"
    match = re.compile(r"^```lua\n(.*?)^```$", re.S | re.M).search(text, start)
    assert match, "README.md has no ```lua block after the Neovim marker"
    return match.group(1)


def nvim_binary() -> str:
    nvim = os.environ.get("COWORK_TEST_NVIM") or shutil.which("nvim")
    if not nvim:
        pytest.fail(
            "nvim is not installed: `make test` installs it (Debian: apt-get install neovim)",
            pytrace=False,
        )
    return nvim


def run_neovim(tmp_path: Path, mode: str) -> tuple[dict[str, Any], Path]:
    """Run the README set-up plus the driver in headless Neovim; return what it saw."""
    nvim = nvim_binary()
    repo = sample_repo(tmp_path / "sample")
    home = tmp_path / "nvim"
    xdg = {
        name: str(home / name.lower())
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")
    }
    for folder in xdg.values():
        Path(folder).mkdir(parents=True)
    server = [sys.executable, "-m", "cowork", "serve", "--log-level", "WARNING"]
    init = home / "init.lua"
    init.write_text(
        f"vim.g.cowork_cmd = vim.fn.json_decode([==[{json.dumps(server)}]==])\n" + readme_lua(),
        encoding="utf-8",
    )
    out = home / "seen.json"
    params = home / "driver.json"
    params.write_text(
        json.dumps(
            {
                "file": str(repo / "pkg" / "engine.py"),
                "out": str(out),
                "mode": mode,
                "timeout_ms": TIMEOUT_MS,
            }
        ),
        encoding="utf-8",
    )
    # The server is Neovim's child and inherits this: no real API key, no
    # COWORK_* settings, so the offline provider answers.
    env = server_env(NVIM_COWORK_DRIVER=str(params), **xdg)
    env.pop("NVIM", None)
    env.pop("NVIM_LISTEN_ADDRESS", None)
    cmd = [nvim, "--headless", "-n", "-i", "NONE", "-u", str(init)]
    cmd += ["-c", f"luafile {DRIVER}"]
    proc = subprocess.Popen(
        cmd,
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Neovim and the server it starts: one group to kill
    )
    timed_out = False
    try:
        output, _ = proc.communicate(timeout=NVIM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if timed_out:
            output, _ = proc.communicate()
        proc.wait()
    log = output.decode(errors="replace")
    assert not timed_out, (
        f"Neovim did not finish in {NVIM_TIMEOUT_S}s; it said:\n{log}{lsp_log(xdg)}"
    )
    assert out.exists(), f"the driver wrote no results; Neovim said:\n{log}{lsp_log(xdg)}"
    assert "Error detected while processing" not in log, log
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in seen, f"{seen['error']}\nseen: {seen}\nNeovim said:\n{log}{lsp_log(xdg)}"
    return seen, repo


def lsp_log(xdg: dict[str, str]) -> str:
    logs = [Path(xdg[k]) / "nvim" / "lsp.log" for k in ("XDG_CACHE_HOME", "XDG_STATE_HOME")]
    return "".join(f"\n{p}:\n{p.read_text(errors='replace')}" for p in logs if p.exists())


def listed(seen: dict[str, Any], task_id: str) -> str:
    """The line of `:CoworkTasks`'s list for `task_id`."""
    lines = [x for x in seen["tasks_listing"].splitlines() if x.startswith(task_id)]
    assert len(lines) == 1, seen["tasks_listing"]
    return lines[0]


def check_summary(seen: dict[str, Any], repo: Path, artifact: Path) -> None:
    """The task the menu started is done and `artifact` is its summary."""
    assert SUMMARIZE in seen["menu"], seen["menu"]
    task_id = seen["task_id"]
    assert isinstance(task_id, str) and task_id, seen["executed"]
    done = [c for c in seen["changes"] if c["taskId"] == task_id and c["state"] == "done"]
    assert done, seen["changes"]
    assert uris.to_path(done[0]["artifactUri"]) == artifact
    assert artifact.parent == repo / ".cowork" / "artifacts"
    assert artifact.is_file()
    provenance = read_provenance(artifact)
    assert provenance["kind"] == "summarize"
    assert provenance["taskId"] == task_id
    assert provenance["provider"] == "offline"
    assert "pkg/engine.py" in provenance["title"]
    # The user kept working where they were.
    assert seen["current_buffer"] == str(repo / "pkg" / "engine.py")
    # :CoworkTasks lists the task as done, with its artifact.
    line = listed(seen, task_id)
    assert " done " in line and line.endswith(artifact.as_uri()), line
    # Stopping the client shuts the server down cleanly.
    assert seen["exits"][0] == {"code": 0, "signal": 0}, seen["exits"]


def test_readme_setup_opens_the_summary_in_a_tab(tmp_path: Path) -> None:
    seen, repo = run_neovim(tmp_path, "readme")
    artifact = Path(seen["artifact_shown"])
    check_summary(seen, repo, artifact)
    # The artifact opened in a tab of its own, behind the file being edited.
    assert seen["tabs"] == [[str(repo / "pkg" / "engine.py")], [str(artifact)]], seen["tabs"]
    assert seen["current_tab"] == 1
    # ... loaded with the summary's text.
    assert seen["artifact_lines"] == artifact.read_text(encoding="utf-8").splitlines()[:5]
    # The server used window/showDocument, not the message fallback.
    assert seen.get("ready_message") is None, seen["messages"]


def test_without_show_document_the_path_is_in_a_message(tmp_path: Path) -> None:
    seen, repo = run_neovim(tmp_path, "stock")
    message = seen.get("ready_message", "")
    assert message.startswith("cowork: Summary of pkg/engine.py is ready: "), message
    artifact = Path(message.split(" is ready: ", 1)[1])
    check_summary(seen, repo, artifact)
    assert seen.get("artifact_shown") is None
    assert seen["tabs"] == [[str(repo / "pkg" / "engine.py")]], seen["tabs"]


def test_cowork_cancel_stops_a_running_task(tmp_path: Path) -> None:
    seen, repo = run_neovim(tmp_path, "cancel")
    assert SUMMARIZE in seen["menu"], seen["menu"]
    task_id = seen["task_id"]
    states = [c["state"] for c in seen["changes"] if c["taskId"] == task_id]
    assert states[-1] == "cancelled", states
    assert "done" not in states, states
    assert any(n["message"] == f"cowork: cancelling {task_id}" for n in seen["notices"])
    artifacts = repo / ".cowork" / "artifacts"
    assert not artifacts.exists() or not any(artifacts.iterdir())
    assert seen.get("artifact_shown") is None and seen.get("ready_message") is None
    assert " cancelled " in listed(seen, task_id)
