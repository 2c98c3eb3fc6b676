"""One gathering's view of the workspace: what may be read, read safely, with provenance.

Every file a recipe puts in front of a model goes through `ContextReader.text`
(its text) or `ContextReader.outline` (its definitions): they refuse excluded
files (gitignored, secrets, `exclude` globs, links that lead to such a file or
out of the workspace) and record why, prefer the editor's unsaved text, redact
secret-looking strings, and record the content hash of what was used. A recipe
cannot forget a rule, because there is no other way in. `facts` is for
analysis only (the import graph, counts): nothing from it may be sent.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Protocol

import git

from cowork.context import git as gitfacts
from cowork.context import gitattributes, snapshot
from cowork.context.generated import (
    HEAD_BYTES,
    GeneratedRules,
    content_reason,
    group_skipped,
    linked_vendor_notes,
)
from cowork.context.gitrepo import open_repo
from cowork.context.index import FileFacts, WorkspaceIndex, decode
from cowork.context.outline import Definition
from cowork.context.privacy import (
    Exclusions,
    Redaction,
    apply_spans,
    known_clean,
    redact,
    spans,
)
from cowork.context.workspace import MAX_FILE_BYTES, Listing
from cowork.errors import TaskFailure


class Flag(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class FileRef:
    path: str  # workspace-relative POSIX path
    sha256: str  # of the file as it is (before redaction), for staleness checks
    bytes: int

    @classmethod
    def of(cls, path: str, text: str) -> FileRef:
        data = text.encode("utf-8")
        return cls(path, hashlib.sha256(data).hexdigest(), len(data))


class ContextReader:
    def __init__(
        self,
        root: Path,
        index: WorkspaceIndex,
        overlays: Mapping[str, str] | None = None,
        exclude: tuple[str, ...] = (),
        cancelled: Flag | None = None,
        generated: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        self.index = index
        self.overlays = dict(overlays or {})
        self.rules = Exclusions(exclude)
        # Generated, vendored and lock files: the built-in rules, the `generated` globs,
        # and each folder's `.gitattributes` (by folder, with its parents' rules).
        self.notes: list[str] = []  # what the user should know of the gathering (provenance)
        self._generated = gitattributes.FolderRules(root, tuple(generated), self.notes)
        self._cancelled = cancelled
        self.files: dict[str, FileRef] = {}
        self.excluded: dict[str, str] = {}
        self.redacted: dict[str, list[Redaction]] = {}
        self._why: dict[str, str | None] = {}  # why_excluded, judged once per gathering
        self._links: dict[Path, bool] = {}
        self._linked_folders: dict[str, bool] = {}  # by relative folder path
        self._texts: dict[str, str] = {}  # what `text` gave, by path
        self._facts_memo: _FactsMemo | None = None  # once `all_facts` is known

    # -- workspace-wide facts ------------------------------------------------------

    @cached_property
    def git(self) -> gitfacts.GitInfo:
        return gitfacts.info(self.root)

    @cached_property
    def _listing(self) -> Listing:
        return self.index.listing(lambda: self._git_list)

    @cached_property
    def _view(self) -> _InventoryView:
        """What the rules make of the listing's files; worked out again only when the
        files (not merely their contents) or the rules changed since the last gathering."""
        files = self._listing.files
        memo = self.index.inventory_cache
        if (
            isinstance(memo, _InventoryView)
            and memo.files is files
            and memo.links == self._listing.links
            and memo.exclude == self.rules.extra
            and memo.generated == self._generated_key(files)
        ):
            self.notes.extend(n for n in memo.notes if n not in self.notes)
            return memo
        with snapshot.bulk():  # thousands of paths into lists and maps
            view = self._make_view(files)
        self.index.inventory_cache = view
        return view

    def _make_view(self, files: list[str]) -> _InventoryView:
        allowed = []
        excluded: dict[str, str] = {}
        clear: set[str] = set()
        links = self._listing.links
        judged = snapshot.verdicts(
            # A process that knows most files judged them already: no record needed.
            self.index.store if self.index.known_paths() * 2 <= len(files) else None,
            files,
            (self.rules.extra, self._generated_key(files)),
            lambda rel: self.rules.reason(rel) or self._generated_path(rel),
            self.notes,
        )
        for rel, why in zip(files, judged, strict=True):
            if why is None:
                allowed.append(rel)
                if (
                    rel not in links
                    and not self.rules.needs_text(rel)
                    and "/." not in "/" + rel
                    and "//" not in rel
                    and not self._folder_linked(rel.rpartition("/")[0])
                ):
                    # What `_judge` would find: allowed by the rules, listed by git, not
                    # a token-bearing config, and no link on the way.
                    clear.add(rel)
            else:
                excluded[rel] = why
        by_name: dict[str, list[str]] = {}
        by_folder: dict[str, list[str]] = {}
        unclear = tuple(i for i, rel in enumerate(allowed) if rel not in clear)
        self.notes.extend(linked_vendor_notes(self.root, files))
        for rel in allowed:
            folder, _, name = rel.rpartition("/")
            by_name.setdefault(name, []).append(rel)
            by_folder.setdefault(folder, []).append(rel)
        return _InventoryView(
            files=files,
            links=self._listing.links,
            exclude=self.rules.extra,
            generated=self._generated_key(files),
            notes=tuple(self.notes),
            allowed=allowed,
            excluded=excluded,
            clear=frozenset(clear),
            unclear=unclear,
            by_name=by_name,
            by_folder=by_folder,
        )

    @cached_property
    def inventory(self) -> list[str]:
        """Files a model may see: git's (so .gitignore holds) minus excluded ones.
        Shared with later gatherings while the files stay the same: read, never change."""
        view = self._view
        for rel, why in view.excluded.items():
            self.excluded.setdefault(rel, why)
        return view.allowed

    @cached_property
    def all_facts(self) -> list[tuple[str, FileFacts | None]]:
        """`facts` of every file of the inventory, looked up once per gathering (and
        kept while no file of the listing changed: read, never change)."""
        view = self._view
        memo = self.index.facts_cache
        if not (
            isinstance(memo, _FactsMemo) and memo.view is view and memo.listing is self._listing
        ):
            stats = self._listing.stats
            before: dict[str, os.stat_result] = {}
            known: dict[str, FileFacts | None] = {}
            if isinstance(memo, _FactsMemo) and memo.view.files is view.files:
                # Files the watch did not report keep their very stat entry (see
                # `workspace.restat`): their facts stand.
                before, known = memo.listing.stats, memo.raw_by_path
            # Config that may hold a token is judged by its text before anything of it
            # is looked at (`facts` below): never indexed when it holds one.
            secret = self.rules.needs_text
            if known:
                raw = [
                    (rel, None)
                    if secret(rel)
                    else (rel, known[rel])
                    if rel in known and before.get(rel) is stats.get(rel)
                    else (rel, self._disk_facts(rel, stats.get(rel)))
                    for rel in view.allowed
                ]
            else:
                plain = [rel for rel in view.allowed if not secret(rel)]
                found = dict(
                    zip(
                        plain,
                        snapshot.facts_of(
                            self.index, plain, stats, lambda r: self._disk_facts(r, stats.get(r))
                        ),
                        strict=True,
                    )
                )
                raw = [(rel, found.get(rel)) for rel in view.allowed]
            memo = _FactsMemo(view, self._listing, raw, *self._without_generated(raw))
            self.index.facts_cache = memo
        for rel, why in memo.generated.items():
            self.excluded.setdefault(rel, why)
        self._facts_memo = memo
        # Files judged by their path alone have facts that do not depend on this
        # gathering; the others (links, token-bearing config) and the editor's unsaved
        # buffers are asked every time.
        kept = memo.facts
        asked = list(view.unclear)
        if self.overlays:
            asked += [i for i, (rel, _) in enumerate(kept) if rel in self.overlays]
        fresh = [(i, self.facts(kept[i][0])) for i in asked]
        if all(f is kept[i][1] for i, f in fresh):
            return kept  # the very list: the import graph knows it is unchanged
        out = list(kept)
        for i, f in fresh:
            out[i] = (kept[i][0], f)
        return out

    def _without_generated(
        self, raw: list[tuple[str, FileFacts | None]]
    ) -> tuple[list[tuple[str, FileFacts | None]], dict[str, str]]:
        """`raw` with the files whose first lines say they are generated (or minified)
        as None, and those files with why. A file too large to parse is judged by
        its first few KB, read alone."""
        out: list[tuple[str, FileFacts | None]] = []
        generated: dict[str, str] = {}
        for rel, facts in raw:
            why = None
            if facts is not None:
                why = facts.generated
                if why is None and facts.unreadable and facts.unreadable.startswith("larger"):
                    why = content_reason(rel, self._head(rel))
                if why is not None and self._rules_for(rel).unmarked(rel):
                    why = None
            if why is not None:
                generated[rel] = why
                facts = None
            out.append((rel, facts))
        return out, generated

    # -- generated, vendored, minified and lock files -------------------------------

    def _generated_key(self, files: list[str]) -> tuple[object, ...]:
        """What the generated-file verdicts of `files` depend on besides their paths."""
        return self._generated.key(files, self._listing.stats)

    def _rules_for(self, rel: str) -> GeneratedRules:
        return self._generated.rules_for(rel)

    def _generated_path(self, rel: str) -> str | None:
        return self._rules_for(rel).path_reason(rel)

    def why_generated(self, rel: str, head: str | None = None) -> str | None:
        """Why `rel` is generated, vendored, minified or a lock file, or None: by its path
        (names, folders, `.gitattributes`, the `generated` setting), else by its first
        lines (`head`, or the first few KB of the file, never the whole of it)."""
        rules = self._rules_for(rel)
        why = rules.path_reason(rel)
        if why is not None or rules.unmarked(rel):
            return why
        if head is None:
            memo = self._facts_memo
            if memo is not None and rel in memo.raw_by_path and rel not in self.overlays:
                known = memo.raw_by_path[rel]  # parsed already: its first lines were judged
                if known is not None and known.unreadable is None:
                    return known.generated
            head = self._head(rel)
        return content_reason(rel, head) if head else None

    def _head(self, rel: str) -> str:
        """The first few KB of `rel`'s text, for judging it (never sent from here)."""
        if rel in self.overlays:
            return self.overlays[rel][:HEAD_BYTES]
        path = os.path.join(self.root, rel)
        try:
            # a regular file of the workspace only: never a link out, a pipe or a device
            if os.path.islink(path) or not stat.S_ISREG(os.stat(path).st_mode):
                return ""
            with open(path, "rb") as handle:
                data = handle.read(HEAD_BYTES)
        except OSError:
            return ""
        if b"\0" in data:
            return ""
        return data.decode("utf-8", "ignore")

    def _disk_facts(self, rel: str, st: os.stat_result | None) -> FileFacts | None:
        try:
            return self.index.facts(rel, None, st)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    @cached_property
    def _allowed(self) -> set[str]:
        return set(self.inventory)

    def named(self, names: Iterable[str]) -> list[str]:
        """Files of the inventory whose file name is one of `names`, in inventory order."""
        self.inventory  # noqa: B018 -- records the inventory's exclusions in provenance
        by_name = self._view.by_name
        return sorted({rel for name in set(names) for rel in by_name.get(name, ())})

    def in_folder(self, folder: str) -> list[str]:
        """Files of the inventory directly in `folder` ("" for the top), in inventory order."""
        self.inventory  # noqa: B018
        return list(self._view.by_folder.get(folder, ()))

    @cached_property
    def _git_list(self) -> list[str] | None:
        return gitfacts.list_files(self.root)

    @cached_property
    def _git_files(self) -> set[str]:
        """git's own list of files, without a look at each: enough to tell whether a few
        paths are in it without building the whole inventory."""
        return set(self._git_list or ())

    def _listed(self, rel: str) -> bool:
        """Whether `rel` is in the workspace listing (`listing(root).files`)."""
        if "_listing" not in self.__dict__ and not self.index.watching:
            if rel not in self._git_files or rel.startswith(".cowork/"):
                return False
            try:
                return (self.root / rel).is_file()
            except OSError:
                pass  # an error is_file() does not swallow: the listing raises it too
        return rel in self._listing.stats

    def check_cancelled(self) -> None:
        if self._cancelled is not None and self._cancelled.is_set():
            raise TaskFailure("cancelled")

    # -- files ---------------------------------------------------------------------

    def why_excluded(self, rel: str) -> str | None:
        """Why `rel` may not be sent, judged by its path (and, for a symbolic link,
        by where it leads) alone."""
        if rel in self.excluded:
            return self.excluded[rel]
        if "inventory" in self.__dict__ and rel in self._view.clear:
            return None
        if rel not in self._why:
            self._why[rel] = self._judge(rel)
        return self._why[rel]

    def _judge(self, rel: str) -> str | None:
        if "inventory" in self.__dict__ and rel in self._allowed:
            # The inventory judged its path by the rules, and git lists it: what is left
            # is a token-bearing config, and a link.
            why = None
            if self.rules.needs_text(rel):
                why = self.rules.reason(rel, self._peek(rel))
            return why if why is not None else self._link_reason(rel)
        why = self.rules.reason(rel) or self._generated_path(rel)
        if why is None and self.rules.needs_text(rel):
            # Package manager config is excluded only when it carries a token: look, so
            # that callers that never read the text (a diff's hunks) are told as well.
            why = self.rules.reason(rel, self._peek(rel))
        if why is None:
            why = self._link_reason(rel)  # first: what is beyond a link is not git's to judge
        if why is None and self._ignored_by_git(rel):
            why = "ignored by git"
        return why

    def _link_reason(self, rel: str) -> str | None:
        """A link is judged by its target: `notes.txt -> ../.env` is an environment
        file, and a link out of the workspace may lead anywhere (~/.aws, /etc)."""
        if not self._is_link_or_in_linked_folder(rel):
            return None
        target = Path(os.path.realpath(self.root / rel))
        try:
            target_rel = target.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return "symbolic link to a file outside the workspace"
        why = self.why_excluded(target_rel)
        return f"symbolic link to {target_rel}: {why}" if why is not None else None

    def _is_link_or_in_linked_folder(self, rel: str) -> bool:
        """Whether `rel` is a symbolic link or lies in a linked folder of the workspace."""
        if "/." in "/" + rel or "//" in rel or rel.endswith("/") or os.sep != "/":
            # `.`, `..`, empty or hidden parts: the general way (rare, and slower)
            path = self.root / rel
            return path.is_symlink() or any(self._linked_folder(p) for p in path.parents)
        if "_listing" in self.__dict__ and rel in self._listing.stats:
            if rel in self._listing.links:
                return True
        elif os.path.islink(os.path.join(self.root, rel)):
            return True
        return self._folder_linked(rel.rpartition("/")[0])

    def _folder_linked(self, folder: str) -> bool:
        """Whether workspace folder `folder` (a plain relative path; "" for the top) is
        or lies in a symbolic link, memoised: every file asks about the same folders."""
        if not folder:
            return False
        linked = self._linked_folders.get(folder)
        if linked is None:
            linked = self._folder_linked(folder.rpartition("/")[0]) or os.path.islink(
                os.path.join(self.root, folder)
            )
            self._linked_folders[folder] = linked
        return linked

    def _linked_folder(self, folder: Path) -> bool:
        """Whether `folder`, inside the workspace, is a symbolic link (memoised: every
        file of a large workspace asks about the same few folders)."""
        if folder not in self._links:
            self._links[folder] = self.root in folder.parents and folder.is_symlink()
        return self._links[folder]

    def peek(self, rel: str) -> str | None:
        """The current text of a small file, to look at only (a line scan for service
        calls): nothing is recorded, redacted or sent from here."""
        return self._peek(rel)

    def _peek(self, rel: str) -> str | None:
        """The current text of a small file, for judging it (never sent from here)."""
        if rel in self.overlays:
            return self.overlays[rel]
        path = self.root / rel
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        return decode(data)[0]

    def _ignored_by_git(self, rel: str) -> bool:
        """In a repository, a file outside git's inventory is ignored by git when it
        exists; an unsaved editor buffer with no file yet is asked about by name.
        An open editor buffer does not make an ignored file any less ignored."""
        if not self.git.is_repo or self._listed(rel):
            return False
        if (self.root / rel).exists():
            return True
        return rel in self.overlays and _check_ignore(self.root, rel)

    def withheld(self, rel: str) -> str | None:
        """Why `rel` may not be sent, recorded in provenance; None when it may be.
        For files a recipe met but will not read (an import of a gitignored module)."""
        why = self.why_excluded(rel)
        if why is not None:
            self.excluded.setdefault(rel, why)
        return why

    def redact(self, label: str, text: str) -> str:
        """`text` that is not a file (commit messages, a description) with secrets
        redacted, recorded in provenance under `label`."""
        clean, found = redact(text)
        self._note_redactions(label, found)
        return clean

    def facts(self, rel: str) -> FileFacts | None:
        """Outline and imports of an allowed file (None when excluded or gone), for
        analysis only: what reaches a model goes through `outline` or `text`."""
        memo = self._facts_memo
        if (
            memo is not None
            and rel in memo.view.clear
            and rel not in self.overlays
            and rel not in self.excluded
        ):
            return memo.by_path.get(rel)  # this gathering's listing, looked up already
        if self.why_excluded(rel) is not None:
            return None
        st = self._listing.stats.get(rel) if "_listing" in self.__dict__ else None
        try:
            facts = self.index.facts(rel, self.overlays, st)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        if facts.generated is not None and not self._rules_for(rel).unmarked(rel):
            self.excluded.setdefault(rel, facts.generated)
            return None
        return facts

    def may_mention(self, rel: str, names: set[str]) -> bool:
        """Whether allowed `rel` may hold one of `names` as a whole word; False when it
        certainly does not. A sieve before `text`: nothing is recorded or sent."""
        facts = self.facts(rel)
        if facts is None or facts.unreadable is not None:
            return False
        return not self.index.words(facts, lambda: self._peek(rel)).isdisjoint(names)

    def outline(self, rel: str) -> FileFacts | None:
        """`facts(rel)` to show a model: signatures and docstrings redacted, the file
        recorded in provenance as used (its definitions are in the context)."""
        facts = self.facts(rel)
        if facts is None or facts.unreadable is not None:
            return facts
        self.files.setdefault(rel, FileRef(rel, facts.sha256, facts.size))
        if facts.sha256 in _clean_outlines or not redact("\n".join(_outline_strings(facts)))[1]:
            _clean_outlines.add(facts.sha256)
            return facts  # the common case, in one pass
        docstring, in_doc = redact(facts.docstring) if facts.docstring else (None, [])
        found = [Redaction(1, r.kind) for r in in_doc]  # a module docstring opens the file
        definitions = tuple(_redact_definition(d, found) for d in facts.definitions)
        self._note_redactions(rel, found)
        return replace(facts, definitions=definitions, docstring=docstring)

    def text(self, rel: str, *, required: bool = False) -> str | None:
        """The redacted text of `rel` for a model, or None when it may not or cannot be
        sent (the reason is recorded). With `required`, TaskFailure names the reason."""
        self.check_cancelled()
        if rel in self._texts and rel not in self.excluded:
            return self._texts[rel]  # one gathering sends one version of a file
        why = self.why_excluded(rel)
        if why is not None:
            self.excluded.setdefault(rel, why)
            if required:
                raise TaskFailure(f"{rel} is excluded from context: {why}. cowork never sends it.")
            return None
        raw = self._raw(rel, required=required)
        if raw is None:
            return None
        token_why = self.rules.reason(rel, raw)
        if token_why is None and not self._rules_for(rel).unmarked(rel):
            token_why = content_reason(rel, raw[:HEAD_BYTES])
        if token_why is not None:
            self.excluded[rel] = token_why
            if required:
                raise TaskFailure(f"{rel} is excluded from context: {token_why}")
            return None
        ref = self.files[rel] = FileRef.of(rel, raw)
        # Unchanged text is not searched for secrets again (kept by content hash).
        clean, found = apply_spans(raw, self.index.redaction_spans(ref.sha256, raw, spans))
        known_clean(clean)
        self._note_redactions(rel, found)
        self._texts[rel] = clean
        return clean

    def _note_redactions(self, rel: str, found: list[Redaction]) -> None:
        """Add to what was redacted in `rel`, once each (text and outline may both be sent)."""
        if found:
            merged = set(self.redacted.get(rel, [])) | set(found)
            self.redacted[rel] = sorted(merged, key=lambda r: (r.line, r.kind))

    def _raw(self, rel: str, *, required: bool) -> str | None:
        if rel in self.overlays:
            return self.overlays[rel]
        path = self.root / rel
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise IsADirectoryError(rel)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            if required:
                raise TaskFailure(f"{rel} does not exist or is not a file") from None
            return None
        if size > MAX_FILE_BYTES:
            why = (
                f"{size / 1_000_000:.1f} MB; cowork reads files up to "
                f"{MAX_FILE_BYTES / 1_000_000:.0f} MB"
            )
            self.excluded[rel] = why
            if required:
                raise TaskFailure(f"{rel} is {why}. Point the task at a smaller file.")
            return None
        data = path.read_bytes()
        text, problem = decode(data)
        if text is None:
            self.excluded[rel] = f"{problem} (not sent)"
            if required:
                raise TaskFailure(_unreadable_message(rel, data, problem or "unreadable"))
            return None
        return text

    # -- provenance ----------------------------------------------------------------

    def provenance(self) -> tuple[list[FileRef], list[tuple[str, str]], list[tuple[str, str]]]:
        """(files read, (path, why excluded), (path, what was redacted))."""
        redacted = [
            (path, ", ".join(f"{r.kind} (line {r.line})" for r in found))
            for path, found in sorted(self.redacted.items())
        ]
        return list(self.files.values()), group_skipped(self.excluded), redacted


@dataclass(frozen=True)
class _InventoryView:
    """What the exclusion rules make of one listing's files (kept on the index)."""

    files: list[str]  # the listing's list itself: compared by identity
    links: frozenset[str]
    exclude: tuple[str, ...]
    generated: tuple[object, ...]  # `_generated_key` of `files`
    notes: tuple[str, ...]  # what reading the `.gitattributes` files found
    allowed: list[str]
    excluded: dict[str, str]
    clear: frozenset[str]  # allowed by their path alone: no link, no token-bearing config
    unclear: tuple[int, ...]  # positions in `allowed` of the others
    by_name: dict[str, list[str]]
    by_folder: dict[str, list[str]]


@dataclass(frozen=True)
class _FactsMemo:
    view: _InventoryView
    listing: Listing
    raw: list[tuple[str, FileFacts | None]]  # as on disk
    facts: list[tuple[str, FileFacts | None]]  # generated files as None: never outlined
    generated: dict[str, str]  # the files found generated by their first lines, and why

    @cached_property
    def by_path(self) -> dict[str, FileFacts | None]:
        return dict(self.facts)

    @cached_property
    def raw_by_path(self) -> dict[str, FileFacts | None]:
        return dict(self.raw)


def _check_ignore(root: Path, rel: str) -> bool:
    """Whether git's ignore rules match `rel` (which need not exist)."""
    repo = open_repo(root)
    if repo is None:
        return False
    with repo:
        try:
            repo.git.check_ignore("-q", "--no-index", "--", str(root / rel))
        except git.GitCommandError:  # exit status 1: not ignored
            return False
    return True


class _Seen:
    """A bounded set of content hashes (the oldest forgotten first)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: dict[str, None] = {}
        self._lock = threading.Lock()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        with self._lock:
            self._keys[key] = None
            if len(self._keys) > self._size:
                del self._keys[next(iter(self._keys))]


# Outlines with nothing to redact, by their file's content hash: a summary shows the
# outlines of a module's importers, and each task searched them all for secrets again.
_clean_outlines = _Seen(50_000)


def _outline_strings(facts: FileFacts) -> list[str]:
    """Every string of an outline that could carry a secret."""
    out = [facts.docstring or ""]
    stack = list(facts.definitions)
    while stack:
        d = stack.pop()
        out += [d.signature, d.doc or ""]
        stack += d.children
    return out


def _redact_definition(d: Definition, found: list[Redaction]) -> Definition:
    """`d` with secrets in its signature (default values) and docstring redacted; what
    was found is added to `found`, at the definition's line."""
    signature, in_sig = redact(d.signature)
    doc, in_doc = redact(d.doc) if d.doc else (d.doc, [])
    found += [Redaction(d.line, r.kind) for r in in_sig + in_doc]
    children = tuple(_redact_definition(c, found) for c in d.children)
    if not (in_sig or in_doc) and children == d.children:
        return d
    return replace(d, signature=signature, doc=doc, children=children)


def _unreadable_message(rel: str, data: bytes, problem: str) -> str:
    if problem == "binary":
        return f"{rel} is a binary file; cowork works on text files only"
    if problem == "not UTF-8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"{rel} is not valid UTF-8 (byte {exc.start}); re-save it as UTF-8 and try again"
    return f"{rel} cannot be read as text ({problem})"
