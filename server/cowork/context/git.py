"""Git facts for the context gatherer, through GitPython. Blocking: call from worker threads.

User-supplied refs are validated with `rev-parse --verify --end-of-options`
before use and passed as arguments, never through a shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import git


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601, UTC
    subject: str


@dataclass(frozen=True)
class GitInfo:
    is_repo: bool
    head: str | None = None  # commit sha; None without commits
    branch: str | None = None  # None when detached or not a repo
    detached: bool = False

    @property
    def has_commits(self) -> bool:
        return self.head is not None

    def describe(self) -> str:
        if not self.is_repo:
            return "not a git repository"
        if self.head is None:
            return "a git repository with no commits yet"
        if self.detached:
            return f"detached HEAD at {self.head[:12]}"
        return f"branch {self.branch} at {self.head[:12]}"


def open_repo(root: Path) -> git.Repo | None:
    """The repository whose work tree is exactly `root`'s top level, else None."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def toplevel(start: Path) -> Path | None:
    repo = open_repo(start)
    if repo is None or repo.working_tree_dir is None:
        return None
    return Path(repo.working_tree_dir).resolve()


def info(root: Path) -> GitInfo:
    repo = open_repo(root)
    if repo is None:
        return GitInfo(is_repo=False)
    with repo:
        try:
            head = repo.head.commit.hexsha
        except ValueError:  # no commits yet: HEAD names an unborn branch
            return GitInfo(is_repo=True, branch=_branch_name(repo))
        detached = repo.head.is_detached
        return GitInfo(
            is_repo=True,
            head=head,
            branch=None if detached else _branch_name(repo),
            detached=detached,
        )


def _branch_name(repo: git.Repo) -> str | None:
    try:
        return str(repo.active_branch.name)
    except TypeError:
        return None


def list_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files, relative to `root`; None if not a repo."""
    repo = open_repo(root)
    if repo is None:
        return None
    with repo:
        out = repo.git.ls_files("-z", "--cached", "--others", "--exclude-standard", "--", ".")
    # ls-files is run from the work tree top; entries are relative to it.
    top = Path(repo.working_tree_dir or root).resolve()
    prefix = root.resolve().relative_to(top).as_posix() if root.resolve() != top else ""
    files = [p for p in out.split("\0") if p]
    if prefix:
        files = [p[len(prefix) + 1 :] for p in files if p.startswith(prefix + "/")]
    return sorted(set(files))


def file_history(root: Path, rel: str, max_count: int = 10) -> list[Commit]:
    """The last commits that touched `rel`, newest first (empty without commits)."""
    repo = open_repo(root)
    if repo is None:
        return []
    with repo:
        if not repo.head.is_valid():  # no commits yet
            return []
        commits = repo.iter_commits(paths=[rel], max_count=max_count)
        return [
            Commit(
                sha=c.hexsha,
                author=str(c.author.name),
                date=datetime.fromtimestamp(c.committed_date, UTC).strftime("%Y-%m-%d"),
                subject=str(c.summary),
            )
            for c in commits
        ]


def verify_ref(root: Path, ref: str) -> str:
    """The commit sha `ref` names; ValueError with a clear message when it names none."""
    repo = open_repo(root)
    if repo is None:
        raise ValueError(f"{root} is not a git repository")
    with repo:
        try:
            return str(
                repo.git.rev_parse("--verify", "--quiet", "--end-of-options", ref + "^{commit}")
            )
        except git.GitCommandError:
            raise ValueError(f"{ref!r} does not name a commit in {root}") from None


@dataclass(frozen=True)
class ChangeSet:
    base_ref: str  # what the base was called (as given, or how it was found)
    base: str  # the merge-base commit
    head: str
    commits: list[Commit]
    numstat: list[tuple[str, int | None, int | None]]  # path, added, deleted (None: binary)
    diff: str


def resolve_base(root: Path, ref: str | None) -> tuple[str, str]:
    """(name, merge-base sha) of the base to compare HEAD against.

    An explicit ref wins; else the upstream branch, `origin/HEAD`, `main`,
    `master`. ValueError naming every ref tried when none works.
    """
    repo = open_repo(root)
    if repo is None:
        raise ValueError(f"{root} is not a git repository: there are no changes to compare")
    with repo:
        if not repo.head.is_valid():
            raise ValueError("the repository has no commits yet: there is nothing to compare")
        if ref is not None:
            sha = verify_ref(root, ref)
            return ref, str(repo.git.merge_base(sha, "HEAD"))
        tried: list[str] = []
        candidates: list[str] = []
        try:
            candidates.append(
                repo.git.rev_parse("--abbrev-ref", "--symbolic-full-name", "@{upstream}")
            )
        except git.GitCommandError:
            tried.append("the upstream branch (none set)")
        candidates += ["origin/HEAD", "main", "master"]
        for name in candidates:
            try:
                sha = verify_ref(root, name)
            except ValueError:
                tried.append(name)
                continue
            try:
                return name, str(repo.git.merge_base(sha, "HEAD"))
            except git.GitCommandError:
                tried.append(f"{name} (no common history with HEAD)")
        raise ValueError(
            "could not find a base to compare against; tried "
            + ", ".join(tried)
            + ". Pass a base explicitly (e.g. --base origin/main)."
        )


def changes(root: Path, ref: str | None) -> ChangeSet:
    """The committed changes of HEAD since its merge-base with the base."""
    name, base = resolve_base(root, ref)
    repo = open_repo(root)
    assert repo is not None
    with repo:
        head = repo.head.commit.hexsha
        commits = [
            Commit(
                c.hexsha,
                str(c.author.name),
                datetime.fromtimestamp(c.committed_date, UTC).strftime("%Y-%m-%d"),
                str(c.summary),
            )
            for c in repo.iter_commits(f"{base}..{head}")
        ]
        numstat: list[tuple[str, int | None, int | None]] = []
        for line in repo.git.diff("--numstat", "-M", base, head, "--").splitlines():
            added, deleted, path = line.split("\t", 2)
            numstat.append(
                (
                    path,
                    None if added == "-" else int(added),
                    None if deleted == "-" else int(deleted),
                )
            )
        diff = repo.git.diff("-M", base, head, "--")
    return ChangeSet(name, base, head, commits, numstat, diff)
