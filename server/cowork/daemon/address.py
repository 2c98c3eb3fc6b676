"""Where a workspace's background server listens, and whether the CLI uses one.

Imported by every `cowork run` before anything else: `os` and `sys` only (paths are
strings: `pathlib` and `dataclasses` would double the CLI's own share of a warm run).
"""

from __future__ import annotations

import os
import sys

# Not `collections.abc` (or `typing`): Python's start-up has loaded this one already.
from _collections_abc import Mapping

from cowork import __version__

# Every `cowork run` names its server first: the built-in SHA-256 module loads in a
# fraction of hashlib's time (which loads OpenSSL).
try:
    from _sha256 import sha256 as _sha256  # type: ignore[import-not-found]
except ImportError:  # Python 3.12+: _sha2; elsewhere hashlib
    try:
        from _sha2 import sha256 as _sha256  # type: ignore[import-not-found]
    except ImportError:
        from hashlib import sha256 as _sha256

# A server answers runs from the environment it was started in; these are what a run
# reads from it (settings, keys, endpoints, git, the cache folder, proxies and
# certificates), so a different value means a server of its own.
_ENV_PREFIXES = ("COWORK_", "ANTHROPIC_", "OPENAI_", "GIT_", "XDG_", "PYTHON", "LC_", "SSL_")
_ENV_NAMES = frozenset(
    {
        "HOME",
        "PATH",
        "USER",
        "LOGNAME",
        "LANG",
        "TZ",
        "TMPDIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        *(n for p in ("HTTP", "HTTPS", "NO", "ALL") for n in (f"{p}_PROXY", f"{p.lower()}_proxy")),
    }
)
# The server's own knobs: they do not change what a run does.
_NOT_KEYED = frozenset({"COWORK_DAEMON", "COWORK_DAEMON_IDLE_MINUTES"})
_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


class Address:
    """The files of one background server: its socket, its lock (held while it lives),
    its log, and the workspace it was started for."""

    __slots__ = ("folder", "lock", "log", "name", "socket", "workspace")

    def __init__(self, folder: str, name: str, workspace: str) -> None:
        self.folder = folder  # the runtime folder, shared by the user's servers
        self.name = name
        self.socket = os.path.join(folder, f"{name}.sock")
        self.lock = os.path.join(folder, f"{name}.lock")
        self.log = os.path.join(folder, f"{name}.log")
        self.workspace = workspace


def enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether `cowork run` goes through a background server (COWORK_DAEMON, default on)."""
    if os.name != "posix" or sys.platform == "emscripten":
        return False
    value = (os.environ if env is None else env).get("COWORK_DAEMON", "1")
    return value.strip().lower() not in ("0", "off", "no", "false")


def idle_seconds() -> float:
    """How long a server waits for the next run before it stops."""
    raw = os.environ.get("COWORK_DAEMON_IDLE_MINUTES", "").strip()
    try:
        minutes = float(raw) if raw else 20.0
    except ValueError:
        minutes = 20.0
    return max(minutes, 0.05) * 60.0


def runtime_dir() -> str:
    """A folder only this user can enter: `$XDG_RUNTIME_DIR/cowork`, else
    `/tmp/cowork-<uid>` (created 0700; refused if another user owns it)."""
    base = os.environ.get("XDG_RUNTIME_DIR", "")
    # A socket's path is at most 107 bytes: a deep runtime folder leaves no room.
    if base and os.path.isdir(base) and len(base) < 60:
        where = os.path.join(base, "cowork")
    else:
        where = os.path.join(os.environ.get("TMPDIR") or "/tmp", f"cowork-{os.getuid()}")
    os.makedirs(where, 0o700, exist_ok=True)
    st = os.stat(where)
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"{where} is not private to this user")
    return where


def workspace_of(start: str) -> str:
    """The folder holding `.git` at or above `start` (git's top level in all but odd
    set-ups; it only names the server: the server asks git itself)."""
    start = folder = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return start
        folder = parent


def workspace_for(given: str | os.PathLike[str] | None) -> str:
    """The workspace a run names: `--workspace` made absolute, else the git top level
    above the current folder. One rule for the CLI's two ways to a server, so that
    both name the same one."""
    return os.path.abspath(given) if given else workspace_of(os.getcwd())


def _code_stamp() -> str:
    """What changes when cowork's code does (an upgrade, or an edit in a checkout)."""
    newest, count = 0, 0
    stack = [str(_PACKAGE)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                elif entry.name.endswith(".py"):
                    count += 1
                    newest = max(newest, entry.stat().st_mtime_ns)
    return f"{__version__}:{count}:{newest}"


def locate(workspace: str, env: Mapping[str, str] | None = None) -> Address:
    """The server of `workspace` (an absolute path) for this environment and this copy
    of cowork."""
    keyed = sorted(
        (k, v)
        for k, v in (os.environ if env is None else env).items()
        if (k in _ENV_NAMES or k.startswith(_ENV_PREFIXES)) and k not in _NOT_KEYED
    )
    digest = _sha256()
    for part in (workspace, sys.executable, _code_stamp(), repr(keyed)):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return Address(runtime_dir(), digest.hexdigest()[:24], workspace)
