"""`review` and `docs` context on real repositories: base resolution, the change model
(renames, binaries, submodules, unicode names), the code around each change, callers,
related tests, public API before/after — and what must never be sent.

Most tests call the recipe in-process (`run_gather`, as a worker process does);
the last ones go through the real server and the CLI to prove the wiring.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import server_env, start_session, stop_session
from cowork.config import Settings
from cowork.context import git as gitfacts
from cowork.engine.gatherer import run_gather
from cowork.errors import InputError, TaskFailure
from cowork.kinds.base import CALLERS, CHANGES, TARGET, TESTS, Gathered, GatherRequest, Piece
from cowork.kinds.docs import Docs
from cowork.kinds.review import Review
from repos import PACKAGE, clone, commit, git, init_repo, sample_repo, write

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00BINARY-PAYLOAD-MARKER\x00\xff\xfe"


def gather(
    kind: str,
    root: Path,
    params: dict[str, Any] | None = None,
    overlays: dict[str, str] | None = None,
    **settings: Any,
) -> Gathered:
    spec = Review() if kind == "review" else Docs()
    return run_gather(
        kind,
        GatherRequest(
            root=root,
            params=spec.validate(params or {}, root),
            settings=Settings(**settings),
            overlays=overlays or {},
        ),
    )


def sent(g: Gathered) -> str:
    """Everything that would reach a model."""
    return "\n".join(f"{p.title}\n{p.text}\n{p.outline or ''}" for p in g.parts)


def piece(g: Gathered, title: str) -> Piece:
    found = [p for p in g.parts if p.title.startswith(title)]
    assert found, f"no piece titled {title!r}: {[p.title for p in g.parts]}"
    return found[0]


def failure(kind: str, root: Path, params: dict[str, Any] | None = None) -> str:
    with pytest.raises(TaskFailure) as info:
        gather(kind, root, params)
    return str(info.value)


# -- a branch with every kind of change ------------------------------------------------------


ENGINE_V2 = (
    PACKAGE["pkg/engine.py"]
    .replace(
        "        return util.count(job)\n",
        "        return util.count(job) + 0  # counted once\n",
    )
    .replace(
        "def run_all(engine: Engine, jobs: list[str]) -> list[int]:",
        "def run_all(engine: Engine, jobs: list[str], retries: int = 0) -> list[int]:",
    )
    .replace("\n\ndef undocumented(x):\n    return json.dumps(x) + os.sep\n", "")
)


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    """main: the sample package plus a tracked `.env`, a binary, a file to rename and
    one to delete; `feature`: one commit touching each."""
    root = sample_repo(tmp_path / "branch")
    commit(
        root,
        "Add config, a logo and string helpers",
        {
            ".env": "TOKEN=abc\n",
            "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00old",
            "pkg/strings.py": '"""Strings."""\n\n\ndef shout(s: str) -> str:\n    return s.upper()\n',
        },
    )
    git(root, "checkout", "-q", "-b", "feature")
    git(root, "mv", "pkg/strings.py", "pkg/text.py")
    git(root, "rm", "-q", "README.md")
    commit(
        root,
        "Retry failed jobs\n\nThe engine now retries each job up to N times.",
        {
            "pkg/engine.py": ENGINE_V2,
            "pkg/text.py": '"""Strings."""\n\n\ndef shout(s: str) -> str:\n    return s.upper() + "!"\n',
            ".env": "TOKEN=s3cr3t-value-xyz\n",
            "assets/logo.png": BINARY,
            "pkg/keys.py": f'AWS_KEY = "{AWS_KEY}"\nprint(AWS_KEY)\n',
        },
    )
    return root


def test_review_of_a_branch_has_what_it_needs(branch: Path) -> None:
    g = gather("review", branch, {"description": "Jobs are retried."})
    main = git(branch, "rev-parse", "main")
    assert g.base == main

    commits = piece(g, "Commits")
    assert "Retry failed jobs" in commits.text
    assert "retries each job up to N times" in commits.text  # the message body too
    assert "Add config" not in commits.text  # on main, before the merge-base

    files = piece(g, "Changed files").text
    assert "pkg/text.py (renamed from pkg/strings.py" in files
    assert "README.md (deleted)" in files
    assert "assets/logo.png (modified) — binary, not sent" in files
    assert ".env (modified) +1 -1 — changes not shown: environment file" in files

    diff = piece(g, "Diff of pkg/engine.py")
    assert diff.priority == TARGET and diff.source == "pkg/engine.py"
    assert "+def run_all(engine: Engine, jobs: list[str], retries: int = 0)" in diff.text
    assert "-def undocumented(x):" in diff.text
    assert "@@" in (diff.outline or "")  # shrinks to its hunk headers when over budget
    renamed = piece(g, "Diff of pkg/text.py")
    assert "renamed from pkg/strings.py" in renamed.title
    assert '+    return s.upper() + "!"' in renamed.text

    # The enclosing definition of each hunk, numbered as in the new file.
    around = piece(g, "pkg/engine.py: the code around the changes")
    assert around.priority == CHANGES
    assert "   11  class Engine:" in around.text  # the whole (short) class holds the change
    assert "return util.count(job) + 0" in around.text
    assert "def run_all(engine: Engine, jobs: list[str], retries: int = 0)" in around.text
    assert "import requests" not in around.text  # module-level code away from the change

    api = piece(g, "Public API before/after")
    assert (
        "changed function `run_all(engine: Engine, jobs: list[str]) -> list[int]` → "
        "`run_all(engine: Engine, jobs: list[str], retries: int=0) -> list[int]`"
    ) in api.text
    assert "removed function `undocumented(x)`" in api.text
    assert "Engine.submit" not in api.text  # its body changed, not its signature

    callers = piece(g, "Callers of changed definitions in pkg/cli.py")
    assert callers.priority == CALLERS
    assert "pkg/cli.py:5 uses `run_all` (changed in pkg/engine.py)" in callers.text
    assert "    5      run_all(Engine(), [])" in callers.text  # with the calling function

    tests = piece(g, "tests/test_engine.py (related tests")
    assert tests.priority == TESTS and "def test_submit" in tests.text

    report = g.offline_report
    for section in (
        "## The change",
        "## Public API before/after",
        "## Callers of changed definitions",
        "## Related tests",
        "## Observations",
    ):
        assert section in report
    assert "- `pkg/cli.py:5` uses `run_all` (changed in `pkg/engine.py`), in `main()`" in report
    assert "- `tests/test_engine.py` — imports `pkg/engine.py`" in report
    assert "`pkg/cli.py:5` — Check this call: the signature of `run_all` changed" in report
    assert "`pkg/keys.py:2` — Remove the print() call" in report
    assert "| `assets/logo.png` | modified — binary, not sent | | |" in report


def test_what_must_stay_out_stays_out(branch: Path) -> None:
    g = gather("review", branch)
    everything = sent(g) + g.offline_report
    assert "BINARY-PAYLOAD-MARKER" not in everything  # a binary's bytes
    assert "s3cr3t-value-xyz" not in everything and "TOKEN=abc" not in everything  # .env
    assert AWS_KEY not in everything  # a key in a changed file
    assert "[REDACTED: AWS access key id]" in piece(g, "Diff of pkg/keys.py").text
    assert (".env", "environment file (may hold secrets)") in g.excluded
    assert any(path == "pkg/keys.py" for path, _ in g.redacted)
    assert not [p for p in g.parts if p.source in (".env", "assets/logo.png")]
    assert {f.path for f in g.files} >= {"pkg/engine.py", "pkg/text.py", "pkg/keys.py"}


def test_docs_has_api_before_after_and_notes_but_no_callers(branch: Path) -> None:
    (branch / "NOTES.md").write_text("Retries are capped to keep queues short.\n")
    g = gather(
        "docs", branch, {"notes": [(branch / "NOTES.md").as_uri()], "description": "Retries."}
    )
    assert "capped to keep queues short" in piece(g, "Notes: NOTES.md").text
    assert "removed function `undocumented(x)`" in piece(g, "Public API before/after").text
    assert not [p for p in g.parts if p.title.startswith("Callers")]
    report = g.offline_report
    assert "## Public API before/after" in report and "## Related tests" in report
    assert "removed function `undocumented(x)`" in report
    assert "## Decision" in report and AWS_KEY not in sent(g) + report


def test_a_tight_budget_shrinks_then_drops_and_says_so(branch: Path) -> None:
    g = gather("review", branch, context_budget_tokens=900)
    assert g.tokens <= g.budget == 900
    assert g.cuts, "something had to give"
    assert any("over the 900-token context budget" in why for _, why in g.cuts)
    taken = [p.title for p in g.parts]
    assert "Changed files" in " ".join(taken)  # the most important pieces come first


def test_cancelled_between_steps(branch: Path) -> None:
    cancelled = threading.Event()
    cancelled.set()
    request = GatherRequest(root=branch, params={}, settings=Settings(), cancelled=cancelled)
    with pytest.raises(TaskFailure, match="cancelled"):
        run_gather("review", request)


# -- base resolution ------------------------------------------------------------------------------


def test_base_upstream_first_then_origin_head_main_master(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "up")
    bare = clone(root, tmp_path / "remote.git", "--bare")
    git(root, "remote", "add", "origin", str(bare))
    git(root, "checkout", "-q", "-b", "develop")
    develop = commit(root, "Develop work", {"pkg/dev.py": "X = 1\n"})
    git(root, "push", "-q", "origin", "develop")
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Feature work", {"pkg/feature.py": "Y = 2\n"})
    main = git(root, "rev-parse", "main")

    git(root, "branch", "-q", "--set-upstream-to=origin/develop")
    assert gitfacts.resolve_base(root, None) == ("origin/develop", develop)
    g = gather("review", root)
    assert "on `origin/develop`" in g.offline_report
    assert "pkg/dev.py" not in piece(g, "Changed files").text

    git(root, "branch", "-q", "--set-upstream-to=develop")  # a local branch as upstream
    assert gitfacts.resolve_base(root, None) == ("develop", develop)

    git(root, "branch", "-q", "--unset-upstream")
    git(root, "fetch", "-q", "origin")
    assert gitfacts.resolve_base(root, None) == ("main", main)  # no origin/HEAD yet
    git(root, "push", "-q", "origin", "main")
    git(root, "remote", "set-head", "origin", "main")
    assert gitfacts.resolve_base(root, None) == ("origin/HEAD", main)

    # The branch's own pushed copy as upstream compares with nothing: the next one serves.
    git(root, "push", "-q", "-u", "origin", "feature")
    assert git(root, "rev-parse", "@{upstream}") == git(root, "rev-parse", "HEAD")
    assert gitfacts.resolve_base(root, None) == ("origin/HEAD", main)

    assert gitfacts.resolve_base(root, "develop") == ("develop", develop)  # explicit wins


def test_base_master_and_the_refs_tried(tmp_path: Path) -> None:
    old = init_repo(tmp_path / "old", branch="master")
    first = commit(old, "First", {"a.py": "A = 1\n"})
    git(old, "checkout", "-q", "-b", "topic")
    commit(old, "Second", {"a.py": "A = 2\n"})
    assert gitfacts.resolve_base(old, None) == ("master", first)

    odd = init_repo(tmp_path / "odd", branch="trunk")
    commit(odd, "First", {"a.py": "A = 1\n"})
    git(odd, "checkout", "-q", "-b", "topic")
    commit(odd, "Second", {"a.py": "A = 2\n"})
    message = failure("review", odd)
    assert message.startswith("could not find a base to compare against; tried ")
    for tried in (
        "the upstream branch (none set)",
        "origin/HEAD (not found)",
        "main (not found)",
        "master (not found)",
    ):
        assert tried in message
    assert "Pass a base explicitly" in message
    assert gather("review", odd, {"base": "trunk"}).base == git(odd, "rev-parse", "trunk")


def test_refs_that_look_like_options_do_nothing(tmp_path: Path, branch: Path) -> None:
    target = tmp_path / "written"
    for ref in (f"--output={target}", "-p", f"main --output={target}"):
        with pytest.raises(ValueError, match="does not name a commit"):
            gitfacts.resolve_base(branch, ref)
        with pytest.raises(ValueError, match="does not name a commit"):
            gitfacts.changes(branch, ref)
    with pytest.raises(InputError, match="'base' must name a git ref"):
        Review().validate({"base": f"--output={target}"}, branch)
    assert not target.exists()
    assert "does not name a commit" in failure("docs", branch, {"base": f"main --output={target}"})
    assert not target.exists()


def test_merge_commit_on_the_branch(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "merge")
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Count bytes", {"pkg/util.py": PACKAGE["pkg/util.py"].replace("Length", "Bytes")})
    git(root, "checkout", "-q", "main")
    main = commit(root, "Main moves on", {"README.md": "# sample, improved\n"})
    git(root, "checkout", "-q", "feature")
    git(root, "merge", "-q", "--no-ff", "--no-edit", "main")
    g = gather("review", root)
    assert g.base == main  # the merge-base is main's tip once main is merged in
    files = piece(g, "Changed files").text
    assert "pkg/util.py (modified)" in files and "README.md" not in files
    commits = piece(g, "Commits").text
    assert "(merge): Merge branch 'main'" in commits and "Count bytes" in commits
    assert "Main moves on" not in commits
    assert "a merge)" in g.offline_report


def test_a_bots_long_commit_messages_shrink_to_their_subjects(tmp_path: Path) -> None:
    """A release range of dependency bumps: each message carries hundreds of lines of
    release notes. The bodies are cut per commit, and when the commits still do not fit,
    their subjects go instead of nothing."""
    root = sample_repo(tmp_path / "bumps")
    git(root, "checkout", "-q", "-b", "release")
    notes = "\n".join(f"- upstream change number {n} with a long line of text" for n in range(300))
    for n in range(30):
        commit(root, f"Bump lib{n} from 1.0 to 1.1\n\n{notes}", {f"pkg/dep{n}.py": f"X = {n}\n"})
    commits = piece(gather("review", root), "Commits").text
    assert commits.count("upstream change number 11 ") == 30
    assert "upstream change number 12 " not in commits
    assert commits.count("(288 more lines of the message)") == 30
    for n in range(30, 100):
        commit(root, f"Bump lib{n} from 1.0 to 1.1\n\n{notes}", {f"pkg/dep{n}.py": f"X = {n}\n"})
    release = piece(gather("review", root), "Commits").text
    assert release.count("upstream change number 3 ") == 100  # 400 lines shared by 100
    assert "upstream change number 4 " not in release
    tight = gather("review", root, context_budget_tokens=6000)
    kept = piece(tight, "Commits").text
    assert all(f"Bump lib{n} from 1.0 to 1.1" in kept for n in range(100))
    assert "upstream change" not in kept
    assert ("Commits", "dropped") not in {(what, why.split(":")[0]) for what, why in tight.cuts}


def test_detached_head(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "detached")
    git(root, "checkout", "-q", "-b", "feature")
    commit(
        root,
        "Tweak",
        {"pkg/util.py": PACKAGE["pkg/util.py"] + "\n\ndef half(n):\n    return n // 2\n"},
    )
    git(root, "checkout", "-q", "--detach", "feature")
    g = gather("review", root)
    assert g.git.detached and g.base == git(root, "rev-parse", "main")
    assert "def half(n):" in piece(g, "pkg/util.py: the code around").text


def test_unrelated_history(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "orphan")
    git(root, "checkout", "-q", "--orphan", "island")
    git(root, "rm", "-rq", "--cached", ".")
    commit(root, "A new world", {"island.py": "X = 1\n"})
    message = failure("review", root)
    assert "main (no common history with HEAD)" in message
    assert "master (not found)" in message
    explicit = failure("review", root, {"base": "main"})
    assert "'main' (no common history with HEAD)" in explicit
    assert "no merge-base" in explicit


def test_shallow_clone(tmp_path: Path) -> None:
    source = sample_repo(tmp_path / "source")
    git(source, "branch", "side", "HEAD~1")
    git(source, "checkout", "-q", "side")
    commit(source, "Side work", {"pkg/side.py": "S = 1\n"})
    git(source, "checkout", "-q", "main")

    shallow = clone(f"file://{source}", tmp_path / "shallow", "--depth", "1")
    assert git(shallow, "rev-parse", "--is-shallow-repository") == "true"
    git(shallow, "checkout", "-q", "-b", "feature")
    commit(shallow, "Use the cli", {"pkg/cli.py": PACKAGE["pkg/cli.py"] + "\n\nmain()\n"})
    g = gather("review", shallow)
    assert "on `origin/HEAD`" in g.offline_report
    assert "Use the cli" in piece(g, "Commits").text
    assert "pkg/cli.py (modified)" in piece(g, "Changed files").text

    # Two tips fetched at depth 1: their merge-base was never fetched.
    both = clone(f"file://{source}", tmp_path / "both", "--depth", "1", "--no-single-branch")
    git(both, "checkout", "-q", "side")
    message = failure("review", both, {"base": "origin/main"})
    assert "no common history with HEAD" in message
    assert "shallow clone" in message and "git fetch --unshallow" in message


# -- the change model -------------------------------------------------------------------------


def test_unicode_and_odd_file_names(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "unicode")
    commit(
        root,
        "Des fichiers",
        {
            "données/café.py": "def prix(x):\n    return x\n",
            "données/ancien.py": "def vieux():\n    return 1\n" * 1,
            'we"ird name.py': "def odd():\n    return 1\n",
        },
    )
    git(root, "checkout", "-q", "-b", "feature")
    git(root, "mv", "données/ancien.py", "données/nouveau_名前.py")
    commit(
        root,
        "Renomme et change",
        {
            "données/café.py": "def prix(x, taxe=0.2):\n    return x * (1 + taxe)\n",
            'we"ird name.py': "def odd():\n    return 2\n",
        },
    )
    g = gather("review", root)
    files = piece(g, "Changed files").text
    assert "données/café.py (modified) +2 -2" in files
    assert "données/nouveau_名前.py (renamed from données/ancien.py)" in files
    assert 'we"ird name.py (modified) +1 -1' in files
    assert "+    return x * (1 + taxe)" in piece(g, "Diff of données/café.py").text
    assert "+    return 2" in piece(g, 'Diff of we"ird name.py').text
    assert "    1  def prix(x, taxe=0.2):" in piece(g, "données/café.py: the code around").text
    assert "changed function `prix(x)` → `prix(x, taxe=0.2)`" in g.offline_report


def test_the_repositorys_git_config_changes_nothing_and_runs_nothing(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "config")
    marker = tmp_path / "hook-ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f'#!/bin/sh\ntouch {marker}\ncat "$1" 2>/dev/null\nexit 1\n')
    hook.chmod(0o755)
    for key, value in {
        "diff.noprefix": "true",
        "diff.mnemonicPrefix": "true",
        "color.ui": "always",
        "core.quotePath": "false",
        "diff.context": "0",
        "diff.renames": "false",
        "diff.relative": "true",
        "diff.submodule": "log",
        "diff.external": str(hook),
        "diff.py.textconv": str(hook),
        "core.fsmonitor": str(hook),
    }.items():
        git(root, "config", key, value)
    write(root, {".gitattributes": "*.py diff=py\n"})
    git(root, "checkout", "-q", "-b", "feature")
    git(root, "mv", "pkg/util.py", "pkg/útil.py")
    commit(root, "Rename", {"pkg/útil.py": PACKAGE["pkg/util.py"].replace("Length.", "Size.")})
    (root / "pkg/cli.py").write_text(PACKAGE["pkg/cli.py"] + "# wip\n")
    marker.unlink()  # the set-up's own git commands ran it

    g = gather("review", root, {"uncommitted": True})
    files = piece(g, "Changed files").text
    assert "pkg/útil.py (renamed from pkg/util.py" in files
    diff = piece(g, "Diff of pkg/útil.py").text
    assert "--- a/pkg/util.py" in diff and "\x1b[" not in diff
    assert '-    """Length."""' in diff and " def count(text: str) -> int:" in diff  # 3 lines
    assert "+# wip" in piece(g, "Diff of pkg/cli.py").text
    assert not marker.exists()
    git(root, "status")  # the hook is real: git itself runs it
    assert marker.exists()


def test_type_and_mode_changes_parse(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "modes")
    commit(root, "Files", {"run.sh": "echo hi\n", "plain.txt": "text\n"})
    git(root, "checkout", "-q", "-b", "feature")
    (root / "run.sh").chmod(0o755)
    (root / "plain.txt").unlink()
    (root / "plain.txt").symlink_to("run.sh")
    commit(root, "Modes", {})
    cs = gitfacts.changes(root, "main")
    by_path = {f.path: f for f in cs.files}
    assert by_path["run.sh"].describe() == "modified (mode 100644 → 100755)"
    assert by_path["plain.txt"].status == "T"
    assert len(by_path["plain.txt"].hunks) == 2  # the file removed, the link added
    g = gather("review", root)
    assert "run.sh (modified (mode 100644 → 100755))" in piece(g, "Changed files").text


def test_submodule(tmp_path: Path) -> None:
    lib = init_repo(tmp_path / "lib")
    commit(lib, "Library", {"lib.py": "LIB_SECRET_MARKER = 1\n"})
    root = sample_repo(tmp_path / "app")
    git(root, "checkout", "-q", "-b", "feature")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    commit(root, "Vendor the library", {})
    write(root / "vendor/lib", {"lib.py": "LIB_SECRET_MARKER = 2\n"})  # dirty submodule
    for params in ({}, {"uncommitted": True}):
        g = gather("review", root, params)
        files = piece(g, "Changed files").text
        assert "vendor/lib (submodule added) — a submodule" in files
        assert ".gitmodules (added)" in files
        assert "LIB_SECRET_MARKER" not in sent(g) + g.offline_report


# -- uncommitted changes and the subfolder workspace -------------------------------------------


def test_uncommitted_changes_with_an_unsaved_buffer(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "wip")
    commit(root, "Ignore local config", {".gitignore": "local.cfg\n"})
    git(root, "checkout", "-q", "-b", "feature")
    write(
        root,
        {
            "pkg/util.py": PACKAGE["pkg/util.py"]
            + "\n\ndef twice(n: int) -> int:\n    return 2 * n\n",
            "pkg/new.py": f'"""New."""\nKEY = "{AWS_KEY}"\n',
            ".env.local": "PASSWORD=hunter2-on-disk\n",
            "local.cfg": "ignored = true\n",
            "README.md": "<<<<<<< HEAD\n# sample\n=======\n# example\n>>>>>>> main\n",
            "pkg/cli.py": PACKAGE["pkg/cli.py"] + "# saved on disk, replaced in the editor\n",
        },
    )
    unsaved = PACKAGE["pkg/cli.py"] + "\n\ndef unsaved_helper():\n    return 1\n"

    message = failure("review", root)
    assert "no committed changes" in message and "include uncommitted changes" in message

    g = gather("review", root, {"uncommitted": True}, overlays={"pkg/cli.py": unsaved})
    files = piece(g, "Changed files").text
    assert "pkg/util.py (modified)" in files and "pkg/new.py (added)" in files
    assert ".env.local (added) — changes not shown: environment file" in files
    assert "local.cfg" not in files  # ignored by git
    assert "+def twice(n: int) -> int:" in piece(g, "Diff of pkg/util.py").text
    cli = piece(g, "Diff of pkg/cli.py").text
    assert "+def unsaved_helper():" in cli and "saved on disk" not in cli
    assert "def unsaved_helper():" in piece(g, "pkg/cli.py: the code around").text
    everything = sent(g) + g.offline_report
    assert AWS_KEY not in everything and "hunter2-on-disk" not in everything
    assert "uncommitted changes included" in g.offline_report
    assert "`README.md:1` — Resolve the merge conflict" in g.offline_report
    assert "`README.md:5` — Resolve the merge conflict" in g.offline_report
    # The obvious fix travels with the finding: removing the marker's line.
    markers = [f for f in g.findings if f.path == "README.md"]
    assert {(f.line, f.category, f.suggestion) for f in markers} >= {
        (1, "conflict-marker", ""),
        (5, "conflict-marker", ""),
    }
    assert "the work tree" in piece(g, "Changed files").title

    # An unsaved buffer that puts the file back as it was: no change to that file.
    back = gather(
        "review", root, {"uncommitted": True}, overlays={"pkg/cli.py": PACKAGE["pkg/cli.py"]}
    )
    assert "pkg/cli.py" not in piece(back, "Changed files").text


def test_committed_review_uses_the_committed_text(tmp_path: Path) -> None:
    """Without `uncommitted`, the code around a hunk is HEAD's, numbered as the hunk is,
    even when the work tree (or an unsaved buffer) has moved on."""
    root = sample_repo(tmp_path / "head")
    git(root, "checkout", "-q", "-b", "feature")
    util = PACKAGE["pkg/util.py"] + "\n\ndef half(n):\n    return n // 2\n"
    commit(root, "Half", {"pkg/util.py": util})
    (root / "pkg/util.py").write_text("# work in progress\n" * 3 + util)
    overlay = {"pkg/util.py": "# typed, not saved\n" + util}
    g = gather("review", root, overlays=overlay)
    around = piece(g, "pkg/util.py: the code around").text
    assert "    9  def half(n):" in around
    assert "work in progress" not in sent(g) and "typed, not saved" not in sent(g)


def test_workspace_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "mono")
    git(root, "checkout", "-q", "-b", "feature")
    commit(
        root,
        "Touch both",
        {
            "pkg/util.py": PACKAGE["pkg/util.py"].replace("Length.", "The length."),
            "README.md": "# outside the workspace folder\n",
        },
    )
    g = gather("review", root / "pkg")
    files = piece(g, "Changed files").text
    assert files.startswith("util.py (modified)") and "README.md" not in files
    assert "util.py: the code around" in " ".join(p.title for p in g.parts)

    (root / "docs").mkdir()
    message = failure("review", root / "docs")
    assert "nothing under" in message and "no committed changes to compare here" in message


def test_constructor_changes_find_their_callers_and_broken_files_are_not_compared(
    tmp_path: Path,
) -> None:
    root = init_repo(tmp_path / "ctor")
    commit(
        root,
        "Shapes",
        {
            "pkg/__init__.py": "",
            "pkg/shapes.py": "class Box:\n    def __init__(self, w):\n        self.w = w\n",
            "pkg/use.py": "from pkg.shapes import Box\n\nBOX = Box(1)\n",
            "pkg/calc.py": "def area(w, h):\n    return w * h\n",
        },
    )
    git(root, "checkout", "-q", "-b", "feature")
    commit(
        root,
        "Boxes get a height; calc is half edited",
        {
            "pkg/shapes.py": "class Box:\n    def __init__(self, w, h=1):\n        self.w = w\n        self.h = h\n",
            "pkg/calc.py": "def area(w, h:\n    return w * h\n",
        },
    )
    g = gather("review", root)
    assert (
        "pkg/use.py:3 uses `Box`" in piece(g, "Callers of changed definitions in pkg/use.py").text
    )
    api = piece(g, "Public API before/after").text
    assert "`pkg/calc.py` does not parse now" in api
    assert "removed function `area" not in api  # a broken file is not read as emptied


def test_typescript_callers_and_api(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "ts")
    commit(
        root,
        "Math",
        {
            "src/math.ts": "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
            "src/app.ts": 'import { add } from "./math";\n\nexport function main(): number {\n  return add(1, 2);\n}\n',
            "src/math.test.ts": 'import { add } from "./math";\n\ntest("adds", () => expect(add(1, 2)).toBe(3));\n',
        },
    )
    git(root, "checkout", "-q", "-b", "feature")
    commit(
        root,
        "Add a third term",
        {
            "src/math.ts": "export function add(a: number, b: number, c = 0): number {\n  return a + b + c;\n}\n"
        },
    )
    g = gather("review", root)
    assert (
        "src/app.ts:4 uses `add`" in piece(g, "Callers of changed definitions in src/app.ts").text
    )
    assert "src/math.test.ts" in piece(g, "src/math.test.ts (related tests").title
    assert "changed function" in piece(g, "Public API before/after").text


# -- through the real server and the CLI -----------------------------------------------------------


async def test_server_reviews_uncommitted_changes_with_open_buffers(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "e2e")
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "Keys", {"pkg/keys.py": f'KEY = "{AWS_KEY}"\n'})
    session = await start_session(root)
    try:
        uri = (root / "pkg/util.py").as_uri()
        session.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri,
                    language_id="python",
                    version=1,
                    text=PACKAGE["pkg/util.py"] + "\n\ndef typed_not_saved():\n    pass\n",
                )
            )
        )
        answer = await session.command("cowork.reviewChanges", {"uncommitted": True})
        done = await session.wait_for(answer["taskId"], "done", "failed")
        assert done["state"] == "done", done["error"]
        text = Path(done["artifactUri"].removeprefix("file://")).read_text()
        assert "+def typed_not_saved():" in text  # the unsaved buffer is the context
        assert "uncommitted changes included" in text
        assert AWS_KEY not in text

        with pytest.raises(JsonRpcException, match="'uncommitted' must be true or false"):
            await session.command("cowork.draftDocs", {"uncommitted": "yes"})
    finally:
        await stop_session(session)


def test_cli_uncommitted_flag_and_option_like_base(tmp_path: Path) -> None:
    root = sample_repo(tmp_path / "cli")
    (root / "pkg/util.py").write_text(PACKAGE["pkg/util.py"] + "\n# TODO: more helpers\n")

    def cowork(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cowork", "run", *args, "-q"],
            cwd=root,
            capture_output=True,
            text=True,
            env=server_env(),
            timeout=120,
        )

    result = cowork("review", "--uncommitted")
    assert result.returncode == 0, result.stderr
    assert (
        "`pkg/util.py:8` — Resolve or track the added TODO/FIXME"
        in Path(result.stdout.strip()).read_text()
    )

    target = tmp_path / "x"
    bad = cowork("docs", f"--base=--output={target}")
    assert bad.returncode == 2 and "'base' must name a git ref" in bad.stderr
    assert not target.exists()


def test_only_importers_that_mention_a_changed_name_are_read(tmp_path: Path) -> None:
    """Caller search reads the importers that name a changed definition, and no other:
    the artifact's "files read" lists what was used, not every importer. An open
    buffer that starts calling it counts, though the file on disk does not."""
    root = init_repo(tmp_path / "sieve")
    commit(
        root,
        "Rates",
        {
            "pkg/__init__.py": "",
            "pkg/rates.py": "def limit(n):\n    return n\n\n\ndef other():\n    return 1\n",
            "pkg/caller.py": "from pkg import rates\n\nX = rates.limit(3)\n",
            "pkg/bystander.py": "from pkg import rates\n\nY = rates.other()\n",
            "pkg/later.py": "from pkg import rates\n\nZ = rates.other()\n",
        },
    )
    git(root, "checkout", "-q", "-b", "feature")
    commit(
        root,
        "Cap the limit",
        {"pkg/rates.py": "def limit(n):\n    return min(n, 10)\n\n\ndef other():\n    return 1\n"},
    )

    g = gather("review", root)
    read = {f.path for f in g.files}
    assert (
        "pkg/caller.py:3 uses `limit`"
        in piece(g, "Callers of changed definitions in pkg/caller.py").text
    )
    assert "pkg/bystander.py" not in read and "pkg/later.py" not in read

    # Unchanged on disk since the first gathering (its words are known), but open
    # in the editor with a new call.
    edited = "from pkg import rates\n\nZ = rates.limit(rates.other())\n"
    g = gather("review", root, overlays={"pkg/later.py": edited})
    assert (
        "pkg/later.py:3 uses `limit`"
        in piece(g, "Callers of changed definitions in pkg/later.py").text
    )
    assert "pkg/bystander.py" not in {f.path for f in g.files}
