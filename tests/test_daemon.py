"""`cowork run` hands its runs to the workspace's background server (cowork.daemon).

Real CLI processes, a real background server, real repositories: the second run is
answered by the server the first one started, prints what a run in its own process
prints, and the server goes away when asked, when idle, or when its workspace does.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import cowork, server_env
from fakeapi import FakeAnthropic, Stall
from repos import sample_repo

STARTED = "started a background server"


@pytest.fixture
def runtime() -> Iterator[Path]:
    """A runtime folder of the test's own (short: a socket's path has ~107 bytes)."""
    where = Path(tempfile.mkdtemp(prefix="cw-", dir="/tmp"))
    yield where
    for sock in (where / "cowork").glob("*.sock"):
        # Whatever a test left running stops with its socket.
        sock.unlink(missing_ok=True)
    shutil.rmtree(where, ignore_errors=True)


def daemon_env(runtime: Path, **extra: str) -> dict[str, str]:
    return server_env(**{"COWORK_DAEMON": "1", "XDG_RUNTIME_DIR": str(runtime), **extra})


def body(artifact: Path) -> str:
    """The artifact's report: after its front matter, before its provenance."""
    text = artifact.read_text()
    return text.split("\n---\n", 1)[1].split("<details><summary>Provenance", 1)[0]


def released(lock: Path, timeout: float = 60.0) -> bool:
    """Whether the server holding `lock` lets go of it (it has exited) within `timeout`."""
    done = threading.Event()

    def wait() -> None:
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks until the server's process is gone
            done.set()
        finally:
            os.close(fd)

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)


def test_the_second_run_is_answered_by_the_server_the_first_started(
    tmp_path: Path, runtime: Path
) -> None:
    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime)
    alone = cowork(repo, "run", "summarize", "-q", "pkg/engine.py")  # its own process
    assert alone.returncode == 0, alone.stderr

    first = cowork(repo / "pkg", "run", "summarize", "engine.py", env=env)
    assert first.returncode == 0, first.stderr
    assert STARTED in first.stderr and "Gathering context" in first.stderr
    second = cowork(repo / "pkg", "run", "summarize", "engine.py", env=env)
    assert second.returncode == 0, second.stderr
    assert STARTED not in second.stderr and "Gathering context" in second.stderr

    artifacts = [Path(r.stdout.strip()) for r in (alone, first, second)]
    assert all(a.parent == repo / ".cowork" / "artifacts" for a in artifacts)
    assert len(set(artifacts)) == 3
    # The same report as a run in the CLI's own process.
    assert body(artifacts[1]) == body(artifacts[0]) == body(artifacts[2])
    assert "# Summary: `pkg/engine.py`" in body(artifacts[2])

    folder = runtime / "cowork"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (sock,) = folder.glob("*.sock")
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert "summarize engine.py: exit 0" in next(folder.glob("*.log")).read_text()
    assert cowork(repo, "stop", env=env).returncode == 0


def test_errors_and_exit_codes_are_the_cli_s(tmp_path: Path, runtime: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime)
    (repo / "blob.py").write_bytes(b"\x00\x01binary")
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")

    missing = cowork(repo, "run", "summarize", "nope.py", env=env)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    away = cowork(repo, "run", "summarize", "-q", str(outside), env=env)
    assert away.returncode == 2 and "outside the workspace" in away.stderr
    binary = cowork(repo, "run", "summarize", "-q", "blob.py", env=env)
    assert binary.returncode == 1 and "binary" in binary.stderr and binary.stdout == ""
    assert STARTED not in away.stderr + binary.stderr  # one server answered all three
    assert cowork(repo, "run", "summarize", "-q", "pkg/util.py", env=env).returncode == 0
    assert cowork(repo, "stop", env=env).returncode == 0


def test_a_run_sent_straight_to_the_server_reads_its_arguments_as_the_cli_does(
    tmp_path: Path, runtime: Path
) -> None:
    """With its server up, `cowork run` sends the arguments as typed (the CLI loads
    no parser): the server's complaints, help and `--workspace` are the CLI's own."""
    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime)
    assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=env).stderr
    alone = daemon_env(runtime, COWORK_DAEMON="0")
    for wrong, said in (
        (("run", "review", "--bogus"), "unrecognized arguments: --bogus"),
        (("run", "review", "--base"), "argument --base: expected one argument"),
        (("run", "summarize"), "the following arguments are required: path"),
    ):
        here, there = cowork(repo, *wrong, env=alone), cowork(repo, *wrong, env=env)
        assert here.returncode == there.returncode == 2
        assert said in there.stderr and there.stderr == here.stderr  # argparse's words
    helped = cowork(repo, "run", "summarize", "--help", env=env)
    assert helped.returncode == 0 and "usage: cowork run summarize" in helped.stdout

    # From another folder, `--workspace` in either spelling: the same server answers.
    target = str(repo / "pkg" / "util.py")
    for named in (("--workspace", str(repo)), (f"--workspace={repo}",)):
        run = cowork(tmp_path, "run", "summarize", *named, target, env=env)
        assert run.returncode == 0, run.stderr
        assert STARTED not in run.stderr and "Gathering context" in run.stderr
        assert Path(run.stdout.strip()).parent == repo / ".cowork" / "artifacts"
    assert len(list((runtime / "cowork").glob("*.sock"))) == 1
    assert cowork(repo, "stop", env=env).returncode == 0


def test_stop_and_start_again(tmp_path: Path, runtime: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime)
    none = cowork(repo, "stop", env=env)
    assert none.returncode == 0 and "no background server" in none.stderr
    assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=env).stderr
    (lock,) = (runtime / "cowork").glob("*.lock")

    stopped = cowork(repo, "stop", env=env)
    assert "stopped the background server" in stopped.stderr
    assert released(lock)
    again = cowork(repo, "run", "summarize", "pkg/util.py", env=env)
    assert again.returncode == 0 and STARTED in again.stderr
    assert cowork(repo, "stop", env=env).returncode == 0


def test_another_environment_has_its_own_server_and_no_key_reaches_a_file(
    tmp_path: Path, runtime: Path
) -> None:
    repo = sample_repo(tmp_path / "sample")
    key = "sk-ant-api03-DAEMONKEYMUSTNOTLEAK0123456789abcdefghijklmnopqrstuv"
    plain = daemon_env(runtime)
    keyed = daemon_env(runtime, ANTHROPIC_API_KEY=key, COWORK_PROVIDER="offline")
    assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=plain).stderr
    other = cowork(repo, "run", "summarize", "pkg/util.py", env=keyed)
    assert other.returncode == 0, other.stderr
    assert STARTED in other.stderr  # not the first server: its settings may differ
    assert STARTED not in cowork(repo, "run", "summarize", "pkg/util.py", env=keyed).stderr

    names = sorted(p.name for p in (runtime / "cowork").iterdir())
    assert len([n for n in names if n.endswith(".sock")]) == 2
    for path in (runtime / "cowork").iterdir():
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    for path in (repo / ".cowork").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
    assert cowork(repo, "stop", env=plain).returncode == 0
    assert cowork(repo, "stop", env=keyed).returncode == 0


def test_the_server_goes_when_its_workspace_does(tmp_path: Path, runtime: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime)
    assert cowork(repo, "run", "summarize", "-q", "pkg/util.py", env=env).returncode == 0
    (lock,) = (runtime / "cowork").glob("*.lock")
    shutil.rmtree(repo)
    assert released(lock)
    assert not list((runtime / "cowork").glob("*.sock"))


def test_the_server_goes_when_idle(tmp_path: Path, runtime: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime, COWORK_DAEMON_IDLE_MINUTES="0.05")  # 3 s
    first = cowork(repo, "run", "summarize", "pkg/util.py", env=env)
    assert first.returncode == 0 and "after 0.05 idle minutes" in first.stderr
    (lock,) = (runtime / "cowork").glob("*.lock")
    assert released(lock)
    assert "no run for" in next((runtime / "cowork").glob("*.log")).read_text()
    assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=env).stderr
    assert cowork(repo, "stop", env=env).returncode == 0


def test_turned_off_or_unsafe_the_run_stays_in_the_cli(tmp_path: Path, runtime: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    off = cowork(
        repo, "run", "summarize", "pkg/util.py", env=daemon_env(runtime, COWORK_DAEMON="0")
    )
    assert off.returncode == 0 and STARTED not in off.stderr
    assert not (runtime / "cowork").exists()

    (runtime / "cowork").mkdir(mode=0o777)
    os.chmod(runtime / "cowork", 0o777)  # others could reach a socket here
    unsafe = cowork(repo, "run", "summarize", "pkg/util.py", env=daemon_env(runtime))
    assert unsafe.returncode == 0, unsafe.stderr
    assert "running here, not in a background server" in unsafe.stderr
    assert "not private" in unsafe.stderr
    assert not list((runtime / "cowork").iterdir())


def stalled_run(
    repo: Path, api: FakeAnthropic, env: dict[str, str], *flags: str
) -> subprocess.Popen[str]:
    """A CLI whose task is under way in its server: its answer stops mid-stream (the
    fake API holds it for two minutes); returns once the request has arrived."""
    api.script(Stall(seconds=120, after_events=3))
    cli = subprocess.Popen(
        [sys.executable, "-m", "cowork", "run", "summarize", *flags, "pkg/util.py"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    asyncio.run(asyncio.wait_for(api.until_requests(1, "/v1/messages"), 60))
    return cli


def test_ctrl_c_in_the_cli_stops_its_run_and_the_server_serves_on(
    tmp_path: Path, runtime: Path
) -> None:
    repo = sample_repo(tmp_path / "sample")
    with FakeAnthropic(text="A first draft.") as api:
        env = daemon_env(
            runtime, ANTHROPIC_API_KEY="sk-ant-api03-test", ANTHROPIC_BASE_URL=api.base_url
        )
        cli = stalled_run(repo, api, env)
        cli.send_signal(signal.SIGINT)
        out, err = cli.communicate(timeout=60)
        assert cli.returncode == 1 and out == ""
        assert STARTED in err

        again = cowork(repo, "run", "summarize", "-q", "pkg/util.py", env=env)
        assert again.returncode == 0, again.stderr
        assert "A first draft." in Path(again.stdout.strip()).read_text()
        log = next((runtime / "cowork").glob("*.log")).read_text()
        assert "the CLI was interrupted: cancelling its run" in log
        listed = json.loads(cowork(repo, "tasks", "--json", env=env).stdout)
        assert [t["state"] for t in listed] == ["done", "cancelled"]  # newest first
        assert cowork(repo, "stop", env=env).returncode == 0


def test_at_most_four_servers_the_least_recently_used_goes(tmp_path: Path, runtime: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    envs = [daemon_env(runtime, COWORK_MODEL=f"model-{n}") for n in range(5)]
    for env in envs[:4]:
        assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=env).stderr
    # The first one is used again: the second is now the least recently used.
    assert STARTED not in cowork(repo, "run", "summarize", "pkg/util.py", env=envs[0]).stderr
    locks = {p: p.stat().st_mtime for p in (runtime / "cowork").glob("*.lock")}
    oldest = min(locks, key=lambda p: locks[p])
    assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=envs[4]).stderr
    assert released(oldest)
    assert len(list((runtime / "cowork").glob("*.sock"))) == 4
    assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=envs[1]).stderr
    for env in envs:
        cowork(repo, "stop", env=env)


def test_making_room_leaves_a_server_with_a_run_going(tmp_path: Path, runtime: Path) -> None:
    """The least recently used server is asked to stop only if idle: one whose task
    is still running stays (a fifth server runs beside it), and its run goes on."""
    repo = sample_repo(tmp_path / "sample")
    with FakeAnthropic(text="A first draft.") as api:
        busy = daemon_env(
            runtime, ANTHROPIC_API_KEY="sk-ant-api03-test", ANTHROPIC_BASE_URL=api.base_url
        )
        cli = stalled_run(repo, api, busy)
        others = [daemon_env(runtime, COWORK_MODEL=f"model-{n}") for n in range(4)]
        for env in others:  # the fourth makes room: the busy server is the oldest
            assert STARTED in cowork(repo, "run", "summarize", "pkg/util.py", env=env).stderr
        assert len(list((runtime / "cowork").glob("*.sock"))) == 5

        cli.send_signal(signal.SIGINT)  # done waiting: the busy server is still there
        assert cli.communicate(timeout=60)[0] == "" and cli.returncode == 1
        again = cowork(repo, "run", "summarize", "-q", "pkg/util.py", env=busy)
        assert again.returncode == 0 and STARTED not in again.stderr, again.stderr
        assert "A first draft." in Path(again.stdout.strip()).read_text()
        for env in (busy, *others):
            assert cowork(repo, "stop", env=env).returncode == 0


def test_a_request_that_is_no_run_gets_an_error_and_the_server_serves_on(
    tmp_path: Path, runtime: Path
) -> None:
    import socket

    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime)
    assert cowork(repo, "run", "summarize", "-q", "pkg/util.py", env=env).returncode == 0
    (where,) = (runtime / "cowork").glob("*.sock")

    def ask(raw: bytes) -> list[dict[str, object]]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(60)
            sock.connect(str(where))
            sock.sendall(raw)
            return [json.loads(line) for line in sock.makefile("rb")]

    assert ask(b'{"argv": 5, "cwd": "/"}\n') == [
        {"err": "cowork: a run's request needs `argv`, a list of strings"},
        {"exit": 2},
    ]
    assert ask(b'{"argv": ["run", "summarize"], "cwd": "/"}\n')[-1] == {"exit": 2}
    assert ask(b"not json\n") == []  # closed without an answer
    again = cowork(repo, "run", "summarize", "pkg/util.py", env=env)
    assert again.returncode == 0 and STARTED not in again.stderr
    assert cowork(repo, "stop", env=env).returncode == 0


def test_runs_at_the_same_time_each_print_their_own(tmp_path: Path, runtime: Path) -> None:
    repo = sample_repo(tmp_path / "sample")
    env = daemon_env(runtime)
    assert cowork(repo, "run", "summarize", "-q", "pkg/util.py", env=env).returncode == 0
    modules = ["pkg/util.py", "pkg/engine.py", "pkg/cli.py"]
    clis = [
        subprocess.Popen(
            [sys.executable, "-m", "cowork", "run", "summarize", module],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for module in modules
    ]
    for module, cli in zip(modules, clis, strict=True):
        out, err = cli.communicate(timeout=120)
        assert cli.returncode == 0, err
        assert STARTED not in err
        assert err.count("Gathering context") == 1  # its own task's progress only
        assert f"# Summary: `{module}`" in Path(out.strip()).read_text()
    assert cowork(repo, "stop", env=env).returncode == 0


def test_a_killed_cli_loses_nothing_its_task_goes_on_in_the_server(
    tmp_path: Path, runtime: Path
) -> None:
    repo = sample_repo(tmp_path / "sample")
    with FakeAnthropic(text="A first draft.") as api:
        env = daemon_env(
            runtime, ANTHROPIC_API_KEY="sk-ant-api03-test", ANTHROPIC_BASE_URL=api.base_url
        )
        cli = stalled_run(repo, api, env, "-q")
        cli.kill()  # SIGKILL: no word to the server
        cli.communicate(timeout=60)

        other = cowork(repo, "run", "summarize", "-q", "pkg/engine.py", env=env)
        assert other.returncode == 0, other.stderr
        assert cowork(repo, "stop", env=env).returncode == 0
        log = next((runtime / "cowork").glob("*.log")).read_text()
        assert "the CLI went away: its run goes on here" in log
        listed = json.loads(cowork(repo, "tasks", "--json", env=env).stdout)
        # Still running when the server stopped: the language server resumes it.
        assert [(t["title"], t["state"]) for t in listed] == [
            ("Summary of pkg/engine.py", "done"),
            ("Summary of pkg/util.py", "running"),
        ]
