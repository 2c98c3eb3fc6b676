"""Artifacts: Markdown documents that open on their answer, provenance at the end.

The layout (`cowork: 2`): a short front matter (`FRONT_KEYS`: the layout,
`status`, task id, kind, title), the answer, then the provenance in a collapsed
`<details><summary>Provenance</summary>` block: a summary for people and the
whole record as a fenced YAML block for programs. `read_provenance` reads
both layouts: artifacts of earlier versions hold everything in the front matter.

Written atomically (a temp file in the same folder, then rename), so an
editor, a crash or a cancel never sees half a document. An artifact is stale
when a file it was built from no longer has the content hash its provenance
records.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from cowork import yamlout

COWORK_DIR = ".cowork"
GITIGNORE = (
    "# Written by cowork: artifacts and task state stay out of commits;\n"
    "# briefs/ is meant to be committed (team templates).\nartifacts/\nstate/\nworktrees/\n"
)


def cowork_dir(root: Path) -> Path:
    """`.cowork/` of a workspace, created with its .gitignore on first use."""
    base = root / COWORK_DIR
    base.mkdir(exist_ok=True)
    ignore = base / ".gitignore"
    try:
        written = ignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        written = None
    if written is None:
        write_atomic(ignore, GITIGNORE)
    elif "worktrees/" not in written.split():  # written by an earlier version
        write_atomic(ignore, written.rstrip("\n") + "\nworktrees/\n")
    return base


def _temp_copy(path: Path, text: str) -> str:
    """`text` written and synced to a temp file beside `path` (same file system)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so readers see the old file or the new one, never a mix."""
    tmp = _temp_copy(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_new(path: Path, text: str) -> Path:
    """Write `text` atomically to `path`, or to `<stem>-2`, `-3` … when that name is taken.

    Never replaces an existing file, even one another task (or another process)
    creates at the same moment: the name is claimed by hard-linking the finished
    temp file, which fails if the name exists. Returns the path written.
    """
    tmp = _temp_copy(path, text)
    try:
        candidate, n = path, 2
        while True:
            try:
                os.link(tmp, candidate)
                return candidate
            except FileExistsError:
                candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
                n += 1
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def slugify(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "task"


def artifact_path(root: Path, kind: str, title: str, when: datetime) -> Path:
    folder = cowork_dir(root) / "artifacts"
    folder.mkdir(exist_ok=True)
    stem = f"{when.astimezone(UTC):%Y%m%d-%H%M%S}-{kind}-{slugify(title)}"
    path = folder / f"{stem}.md"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.md"
        n += 1
    return path


LAYOUT = 2  # `cowork:` in the front matter; 1 (or none): all provenance in the front matter
FRONT_KEYS = ("cowork", "status", "taskId", "kind", "title", "revises")
PROVENANCE = "<details><summary>Provenance</summary>"
_FENCE = re.compile(r"^(`{3,})ya?ml[ \t]*\n(.*?)^\1[ \t]*$", re.S | re.M)


def _yaml(data: dict[str, Any]) -> str:
    try:
        return yamlout.dump(data)  # PyYAML's representer took ~20 ms for a review's record
    except TypeError:  # a value of another type (none is expected): PyYAML knows more
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def front_matter(data: dict[str, Any]) -> str:
    return "---\n" + _yaml(data) + "---\n"


def render(provenance: dict[str, Any], body: str) -> str:
    """The artifact: a short front matter, the answer, then the provenance."""
    head = {k: provenance[k] for k in FRONT_KEYS if k in provenance} | {"cowork": LAYOUT}
    record = {k: v for k, v in provenance.items() if k not in ("cowork", "status")}
    return f"{front_matter(head)}\n{body.rstrip()}\n{built_from(provenance, record)}"


def _longest_run(text: str, ch: str) -> int:
    return max((len(m) for m in re.findall(f"{re.escape(ch)}+", text)), default=0)


def built_from(provenance: dict[str, Any], record: dict[str, Any] | None = None) -> str:
    """The provenance at the end of the document, collapsed: what a person reads, then
    `record` (the whole provenance) as YAML for programs."""
    context = provenance.get("context") or {}
    files = context.get("files") or []
    git = provenance.get("git") or {}
    lines = [
        "",
        "---",
        "",
        PROVENANCE,
        "",
        "What this draft was built from:",
        "",
        f"- **Task** `{provenance.get('taskId')}` ({provenance.get('kind')}), "
        f"{provenance.get('provider')} / {provenance.get('model')}, "
        f"finished {provenance.get('finishedAt')}",
        f"- **Git**: {git.get('state', 'unknown')}"
        + (f", compared with `{str(git['base'])[:12]}`" if git.get("base") else ""),
    ]
    if context.get("budget"):
        lines.append(
            f"- **Context**: {len(files)} files, ~{context.get('tokens', 0):,} of "
            f"{context['budget']:,} tokens"
        )
    lines += [f"  - `{f['path']}` (sha256 `{f['sha256'][:12]}`)" for f in files[:50]]
    cited = provenance.get("citations")
    if isinstance(cited, dict):
        line = f"- **Citations**: {cited.get('checked', 0)} `path:line` checked"
        line += f", {cited.get('invalid', 0)} not found (marked ⚠)" if cited.get("invalid") else ""
        if cited.get("unchecked"):
            line += f"; {cited['unchecked']} more not checked (too many)"
        lines.append(line)
    if len(files) > 50:
        lines.append(f"  - … and {len(files) - 50} more (see the record below)")
    prefix = provenance.get("prefix")
    if isinstance(prefix, dict):  # the cost model's decision (kinds/prefix_plan.py)
        cache = prefix.get("cache")
        sent = f"sent first, {cache}" if cache else "not sent as a cached prefix"
        lines.append(
            f"- **Workspace map** (~{prefix.get('tokens', 0):,} tokens): {sent}; "
            f"{prefix.get('reason')}"
        )
    for key, title, field in (
        ("excluded", "Not sent", "reason"),
        ("redacted", "Redacted", "what"),
        ("cut", "Cut for the budget", "reason"),
    ):
        entries = context.get(key) or []
        if entries:
            lines.append(f"- **{title}**:")
            lines += [
                f"  - `{e.get('path') or e.get('what')}`: {e[field]}"
                if key != "cut"
                else f"  - {e['what']}: {e['reason']}"
                for e in entries[:50]
            ]
    notes = context.get("notes") or []
    if notes:
        lines.append("- **Notes**:")
        lines += [f"  - {note}" for note in notes[:50]]
    if record is not None:
        text = _yaml(record)
        fence = "`" * max(3, _longest_run(text, "`") + 1)
        lines += ["", "The full record:", "", f"{fence}yaml", text.rstrip("\n"), fence]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def read_provenance(path: Path) -> dict[str, Any]:
    """An artifact's provenance: its front matter over the record at its end (an
    artifact of an earlier version has it all in the front matter); empty when it
    has neither. ValueError when either is not YAML."""
    return parse_provenance(path.read_text(encoding="utf-8"))


def parse_provenance(text: str) -> dict[str, Any]:
    """`read_provenance` of an artifact's text."""
    front: dict[str, Any] = {}
    match = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if match:
        front = _mapping(match.group(1))
    record: dict[str, Any] = {}
    start = text.rfind(PROVENANCE)
    if start >= 0:
        block = _FENCE.search(text, start)
        if block:
            record = _mapping(block.group(2))
    return record | front


def _mapping(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"provenance that is not YAML: {exc}") from None
    return data if isinstance(data, dict) else {}


def update_front_matter(path: Path, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Set `changes` in the artifact's front matter, the rest of the file unchanged;
    the front matter as it was, or None when the file is gone or has none."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.match(r"\A---\n(.*?)\n---\n", text, re.S)
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    write_atomic(path, front_matter({**data, **changes}) + text[match.end() :])
    return data


def link_revision(previous: Path, revised: Path) -> None:
    """Note in the previous version's front matter which file revises it
    (`revisedBy`), the rest of it unchanged. Nothing when it is gone or unreadable."""
    update_front_matter(previous, {"revisedBy": revised.name})


def artifact_root(path: Path) -> Path | None:
    """The workspace an artifact belongs to (`<root>/.cowork/artifacts/x.md`), else None."""
    if path.suffix != ".md" or path.parent.name != "artifacts":
        return None
    if path.parent.parent.name != COWORK_DIR:
        return None
    return path.parent.parent.parent


def changed_since(root: Path, provenance: dict[str, Any]) -> list[tuple[str, str]]:
    """The files an artifact was built from that are no longer as they were, as
    (path, "changed" or "gone"), in provenance order. Reads and hashes each file:
    call off the event loop."""
    context = provenance.get("context") or {}
    out: list[tuple[str, str]] = []
    for entry in context.get("files") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        path = root / entry["path"]
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            out.append((entry["path"], "gone"))
            continue
        except OSError:
            continue  # unreadable now: not evidence either way
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            out.append((entry["path"], "changed"))
    return out


def staleness(changes: list[tuple[str, str]], total: int, *, limit: int = 5) -> str:
    """`changed_since`'s answer in a sentence (empty when nothing changed)."""
    if not changes:
        return ""
    named = ", ".join(f"{p} ({how})" for p, how in changes[:limit])
    more = f" and {len(changes) - limit} more" if len(changes) > limit else ""
    of = f" of the {total}" if total > len(changes) else ""
    files = "file" if len(changes) == 1 and not of else "files"
    return (
        f"Stale: {len(changes)}{of} {files} this draft was built from changed since: "
        f"{named}{more}. Run the task again for a fresh draft."
    )


def stale(path: Path) -> str:
    """Why the artifact at `path` is stale ("" when it is not, or is no artifact).
    Reads the files it was built from: call off the event loop."""
    root = artifact_root(path)
    if root is None:
        return ""
    try:
        provenance = read_provenance(path)
    except (OSError, ValueError):  # gone, or provenance that is no YAML
        return ""
    files = (provenance.get("context") or {}).get("files") or []
    return staleness(changed_since(root, provenance), len(files))
