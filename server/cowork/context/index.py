"""Per-file facts (language, outline, imports, hash), cached so that a second
gathering on the same workspace re-parses only the files that changed.

A file is re-read when its (mtime, size) changed, and re-parsed only when its
content hash changed too. A file modified within the file system's timestamp
granularity of being read is "racy" (as git calls it): a second write in the
same tick would leave (mtime, size) unchanged, so such a file is re-hashed
next time rather than trusted. Open editor buffers (overlays) are hashed
every time, since they change without touching the disk. Thread-safe: the
CLI gathers in threads (the server in worker processes, one index each).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cowork.context import diskindex, treesitter
from cowork.context import outline as py
from cowork.context.generated import HEAD_BYTES, content_reason
from cowork.context.watch import EVERYTHING, Changes, WorkspaceWatch
from cowork.context.workspace import MAX_FILE_BYTES, SKIP_DIRS, Listing, listing, restat

T = TypeVar("T")

# Files modified this recently before they were read are re-hashed next time: file
# systems stamp writes with a coarse clock (a kernel tick; 2 s on FAT).
RACY_NS = 2_000_000_000

# Facts of versions not on disk kept at most (a review of 1,000 files asks for 1,000).
_VERSIONS_KEPT = 2_000

# A name occurs in a text as a whole word (`\bname\b`) exactly when it is one of the
# text's maximal runs of word characters.
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Import:
    spec: str  # as written: "pkg.mod", "./b", "a/b", "java.util.List", "crate::x"
    line: int
    names: tuple[str, ...] = ()  # Python `from spec import names`
    level: int = 0  # Python relative-import dots


@dataclass(frozen=True)
class FileFacts:
    path: str
    language: str | None
    sha256: str
    size: int
    lines: int
    definitions: tuple[py.Definition, ...] = ()
    imports: tuple[Import, ...] = ()
    docstring: str | None = None
    syntax_error: str | None = None
    unreadable: str | None = None  # why the text could not be used (binary, too large, encoding)
    all_names: tuple[str, ...] | None = None  # a Python module's literal __all__
    # Why the file's first lines say it is generated or minified (names: see the reader).
    generated: str | None = None
    # The namespace/package the file declares (C#, Java, Kotlin, PHP), to tell the
    # workspace's own imports from third-party ones.
    package: str | None = None

    def __getattr__(self, name: str) -> object:
        """Only for a field not set yet: facts restored lazily (`snapshot.facts_of`) have
        their outline read from the index on disk when first asked for, since a new
        process needs the outlines of a few of its thousands of files."""
        load = self.__dict__.get("_load")
        if load is None or name not in LAZY_FIELDS:
            raise AttributeError(name)
        full = load()
        for field_name in LAZY_FIELDS:
            self.__dict__[field_name] = full.__dict__[field_name]
        self.__dict__.pop("_load", None)
        return self.__dict__[name]

    def __getstate__(self) -> dict[str, object]:
        # Pickled whole (to another process, or copied): the loader stays here.
        return {name: getattr(self, name) for name in _FACTS_FIELDS}


# What lazily restored facts leave unset until one of them is asked for.
LAZY_FIELDS = ("definitions", "imports", "docstring", "syntax_error", "all_names")
# Their defaults are class attributes, which would answer before `__getattr__` is
# asked; `__init__` keeps its own copies of them, so they can go.
for _name in LAZY_FIELDS:
    delattr(FileFacts, _name)


def language_of(path: str) -> str | None:
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return _language_of_suffix(name[dot:] if dot > 0 else "")


@functools.lru_cache(maxsize=256)
def _language_of_suffix(suffix: str) -> str | None:
    """By file suffix (as `PurePosixPath.suffix` gives it), memoised: asked per file."""
    if suffix == ".py":
        return "python"
    return treesitter.language_of(f"file{suffix}")


def parse(path: str, text: str, sha: str, size: int) -> FileFacts:
    """Facts of one file's text (pure; no caching)."""
    language = language_of(path)
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    generated = content_reason(path, text[:HEAD_BYTES])
    if generated is not None:
        # Not outlined: a generator's output is nobody's API (the reader withholds it).
        return FileFacts(path, language, sha, size, lines, generated=generated)
    if language == "python":
        o = py.python_outline(text)
        imports = tuple(Import(i.module, i.line, i.names, i.level) for i in o.imports)
        return FileFacts(
            path,
            language,
            sha,
            size,
            lines,
            tuple(o.definitions),
            imports,
            o.docstring,
            o.syntax_error,
            all_names=tuple(o.all_names) if o.all_names is not None else None,
        )
    if language is not None:
        c = treesitter.code_outline(path, text)
        assert c is not None
        return FileFacts(
            path,
            c.language,  # a `.h` header may turn out to be C++
            sha,
            size,
            lines,
            tuple(c.definitions),
            tuple(Import(spec, line) for spec, line in c.imports),
            None,
            c.syntax_error,
            package=c.package,
        )
    return FileFacts(path, None, sha, size, lines)


def _plain_definition(d: py.Definition) -> list[object]:
    return [
        d.kind,
        d.name,
        d.signature,
        d.doc,
        d.line,
        d.end_line,
        [_plain_definition(c) for c in d.children],
        d.exported,
    ]


_DEFINITION_FIELDS = tuple(f.name for f in dataclasses.fields(py.Definition))
_IMPORT_FIELDS = tuple(f.name for f in dataclasses.fields(Import))
_FACTS_FIELDS = tuple(f.name for f in dataclasses.fields(FileFacts))


def _restore(cls: type[T], names: tuple[str, ...], values: tuple[object, ...]) -> T:
    """An instance of frozen dataclass `cls` from its field values, its state set at once
    as unpickling does (a new process restores thousands of outlines from the index;
    the generated `__init__` sets each field through `object.__setattr__`)."""
    made = object.__new__(cls)
    made.__dict__.update(zip(names, values, strict=True))
    return made


def _definition(p: list[Any]) -> py.Definition:
    children = tuple([_definition(c) for c in p[6]]) if p[6] else ()
    return _restore(
        py.Definition, _DEFINITION_FIELDS, (p[0], p[1], p[2], p[3], p[4], p[5], children, p[7])
    )


def to_plain(facts: FileFacts) -> str:
    """`facts` as JSON, without what depends on where the content lives (path, hash,
    size): what the index on disk keeps per content."""
    return diskindex.dumps(
        [
            facts.language,
            facts.lines,
            [_plain_definition(d) for d in facts.definitions],
            [[i.spec, i.line, list(i.names), i.level] for i in facts.imports],
            facts.docstring,
            facts.syntax_error,
            facts.unreadable,
            list(facts.all_names) if facts.all_names is not None else None,
            facts.generated,
            facts.package,
        ]
    )


def from_plain(path: str, sha: str, size: int, data: str) -> FileFacts:
    """The facts `to_plain` kept, for `path` holding content `sha` of `size` bytes."""
    p = json.loads(data)
    imports = [_restore(Import, _IMPORT_FIELDS, (i[0], i[1], tuple(i[2]), i[3])) for i in p[3]]
    return _restore(
        FileFacts,
        _FACTS_FIELDS,
        (
            path,
            p[0],
            sha,
            size,
            p[1],
            tuple([_definition(d) for d in p[2]]),
            tuple(imports),
            p[4],
            p[5],
            p[6],
            tuple(p[7]) if p[7] is not None else None,
            p[8],
            p[9],
        ),
    )


def decode(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) or (None, why it is not usable text)."""
    if len(data) > MAX_FILE_BYTES:
        return None, f"larger than {MAX_FILE_BYTES // 1_000_000} MB"
    if b"\0" in data[:8192]:
        return None, "binary"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "not UTF-8"


class WorkspaceIndex:
    """File facts of one workspace, cached across gatherings (one entry per path)."""

    def __init__(
        self, root: Path, *, watch: bool = True, store: diskindex.DiskIndex | None = None
    ) -> None:
        """`watch`: keep a file-system watch on `root` where the system offers one, so
        that later gatherings look only at what changed. `store`: the index on disk
        shared with other processes (facts by content hash), if any."""
        self.root = root
        self.store = store
        self._lock = threading.Lock()
        self._by_path: dict[str, tuple[int, int, FileFacts]] = {}
        self.parses = 0  # files parsed so far: a second gathering shows only the changed ones
        self.stored = 0  # files whose facts came from the index on disk
        self._words: dict[str, tuple[str, frozenset[str]]] = {}  # path -> (sha256, words)
        self._spans: dict[str, list[tuple[int, int, str]]] = {}  # sha256 -> redaction spans
        self._versions: OrderedDict[tuple[str, bytes], FileFacts] = OrderedDict()
        # The last import graph built from this index, with what it was built from
        # (`graph._Memo`: the module that builds it owns its shape).
        self.graph_cache: object | None = None
        self.map_cache: object | None = None  # the workspace map (kinds/workspace_map.py)
        self.changes_cache: object | None = None  # the last review/docs (kinds/change_memo.py)
        # What the reader worked out from one listing (reader.py owns its shape).
        self.inventory_cache: object | None = None
        self.facts_cache: object | None = None
        self._listing_lock = threading.Lock()
        self._listing: Listing | None = None
        self._watch: WorkspaceWatch | None = None
        self._watching = watch and WorkspaceWatch.supported()
        self.listings = 0  # listings made by looking at every file, for tests and benchmarks

    @property
    def watching(self) -> bool:
        """Whether a watch tells this index what changed (else every file is looked at)."""
        return self._watch is not None and self._watch.active

    def listing(self, git_files: Callable[[], list[str] | None] | None = None) -> Listing:
        """The workspace's files with their stats (`workspace.listing`), looked at again
        only as far as the watch says they may have changed since the last call.
        `git_files` gives git's list when the caller has it already."""
        with self._listing_lock:
            if self._watch is None and self._watching:
                # Before the first look: what changes during it is reported next time.
                self._watch = WorkspaceWatch(self.root, SKIP_DIRS)
                self._watch.watch()
            changes = self._watch.take() if self._watch is not None else EVERYTHING
            self._listing = self._current(self._listing, changes, git_files)
            return self._listing

    def _current(
        self,
        old: Listing | None,
        changes: Changes,
        git_files: Callable[[], list[str] | None] | None,
    ) -> Listing:
        if old is None or changes.everything:
            self.listings += 1
            new = listing(self.root, git_files() if git_files else None)
        elif changes.listing:
            new = listing(self.root, git_files() if git_files else None, old, changes.paths)
        elif changes.paths:
            return restat(self.root, old, changes.paths | old.links)
        elif old.links:
            # A link's target may lie in a folder nobody watches: look at links always.
            return restat(self.root, old, old.links, trust=True)
        else:
            return old
        if (
            self._watch is not None
            and self._watch.active
            and new.files is not (old.files if old else None)
        ):
            # Tracked files in folders git ignores are listed too: watch their folders,
            # and look once more at files in folders watched only from now on.
            added = set(self._watch.watch_more({f.rpartition("/")[0] for f in new.files}))
            if added:
                new = restat(
                    self.root, new, [f for f in new.files if f.rpartition("/")[0] in added]
                )
        return new

    def facts(
        self,
        rel: str,
        overlays: Mapping[str, str] | None = None,
        st: os.stat_result | None = None,
    ) -> FileFacts:
        """Facts of `rel`: the editor's unsaved text when open, else the file on disk.
        `st` is the file's stat when the caller has just taken it (the inventory does).

        Raises FileNotFoundError for a file that is gone.
        """
        with self._lock:
            cached = self._by_path.get(rel)
        if overlays and rel in overlays:
            return self._parse_if_changed(rel, overlays[rel].encode("utf-8"), cached, None)
        read_at = time.time_ns()  # before the file is read, which is what makes it racy
        if st is None:
            st = os.stat(os.path.join(self.root, rel))
        key = (st.st_mtime_ns, st.st_size)
        if cached is not None and cached[:2] == key:
            return cached[2]
        racy = st.st_mtime_ns >= read_at - RACY_NS
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self.store is not None and not racy:
            # Unchanged since any process last looked: its facts without reading it.
            known = self.store.known_path(rel)
            if known is not None and known[:3] == stamp:
                stored = self._stored(rel, known[3], st.st_size)
                if stored is not None:
                    with self._lock:
                        self._by_path[rel] = (*key, stored)
                    return stored
        if st.st_size > MAX_FILE_BYTES:
            return FileFacts(
                rel,
                language_of(rel),
                "",
                st.st_size,
                0,
                unreadable=f"larger than {MAX_FILE_BYTES // 1_000_000} MB",
            )
        # A racy entry keeps an impossible key, so the next look re-hashes the file.
        facts = self._parse_if_changed(
            rel, (self.root / rel).read_bytes(), cached, (-1, -1) if racy else key
        )
        if self.store is not None:
            self.store.put_path(rel, None if racy else (*stamp, facts.sha256))
        return facts

    def known_paths(self) -> int:
        """How many files of the workspace this process has looked at already."""
        with self._lock:
            return len(self._by_path)

    def remember(self, found: list[tuple[str, tuple[int, int, FileFacts]]]) -> None:
        """Take facts restored from the index on disk (rel, (mtime_ns, size, facts))."""
        with self._lock:
            self._by_path.update(found)
            self.stored += len(found)

    def _stored(self, rel: str, sha: str, size: int) -> FileFacts | None:
        """Facts of content `sha` at `rel` from the index on disk, None when unknown."""
        assert self.store is not None
        data = self.store.get("facts", sha, language_of(rel) or "")
        if data is None:
            return None
        try:
            facts = from_plain(rel, sha, size, data)
        except (ValueError, TypeError, IndexError, KeyError):
            return None  # not what this version writes: parsed again
        with self._lock:
            self.stored += 1
        return facts

    def _parse_if_changed(
        self,
        rel: str,
        data: bytes,
        cached: tuple[int, int, FileFacts] | None,
        key: tuple[int, int] | None,
    ) -> FileFacts:
        sha = hashlib.sha256(data).hexdigest()
        known = None
        if cached is not None and cached[2].sha256 == sha:
            facts = cached[2]  # touched but not changed
        elif self.store is not None and (known := self._stored(rel, sha, len(data))) is not None:
            facts = known
        else:
            text, why = decode(data)
            if text is None:
                facts = FileFacts(rel, language_of(rel), sha, len(data), 0, unreadable=why)
            else:
                facts = parse(rel, text, sha, len(data))
                with self._lock:
                    self.parses += 1
            if self.store is not None:
                self.store.put("facts", (sha, facts.language or ""), to_plain(facts))
        if key is not None:  # overlays are not what is on disk: they do not update the cache
            with self._lock:
                self._by_path[rel] = (*key, facts)
        return facts

    def version_facts(self, path: str, text: str) -> FileFacts:
        """Facts of a version of `path` that is not on disk (a base commit's), with no
        hash: kept by content, since a review asks for the same base versions again."""
        key = (path, hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
        with self._lock:
            known = self._versions.get(key)
            if known is not None:
                self._versions.move_to_end(key)
                return known
        facts = None
        language = language_of(path) or ""
        if self.store is not None:
            data = self.store.get("facts", key[1].hex(), language)
            if data is not None:
                with contextlib.suppress(ValueError, TypeError, IndexError, KeyError):
                    facts = from_plain(path, "", len(text), data)
        if facts is None:
            facts = parse(path, text, "", len(text))
            if self.store is not None:
                self.store.put("facts", (key[1].hex(), language), to_plain(facts))
        with self._lock:
            self._versions[key] = facts
            while len(self._versions) > _VERSIONS_KEPT:
                self._versions.popitem(last=False)
        return facts

    def words(self, facts: FileFacts, text: Callable[[], str | None]) -> frozenset[str]:
        """The whole words of the file `facts` describes (`text` loads it when they are
        not known for this content yet): which names a file mentions, answered
        without reading it again while it is unchanged."""
        with self._lock:
            known = self._words.get(facts.path)
        if known is not None and known[0] == facts.sha256:
            return known[1]
        stored = self.store.get("words", facts.sha256) if self.store is not None else None
        if stored is not None:
            found = frozenset(map(sys.intern, stored.split()))
        else:
            loaded = text()
            found = frozenset(map(sys.intern, _WORD.findall(loaded))) if loaded else frozenset()
            if self.store is not None and loaded is not None:
                self.store.put("words", (facts.sha256,), " ".join(sorted(found)))
        with self._lock:
            self._words[facts.path] = (facts.sha256, found)
        return found

    def redaction_spans(
        self, sha: str, text: str, spans: Callable[[str], list[tuple[int, int, str]]]
    ) -> list[tuple[int, int, str]]:
        """`spans(text)` (where a redaction replaces what in `text`, whose hash is
        `sha`), remembered by content hash here and on disk: unchanged text is not
        searched for secrets again."""
        with self._lock:
            known = self._spans.get(sha)
        if known is not None:
            return known
        stored = self.store.get("spans", sha) if self.store is not None else None
        found: list[tuple[int, int, str]] | None = None
        if stored is not None:
            with contextlib.suppress(ValueError, TypeError):
                found = [(int(a), int(b), str(k)) for a, b, k in json.loads(stored)]
        if found is None:
            found = spans(text)
            if self.store is not None:
                self.store.put("spans", (sha,), diskindex.dumps(found))
        with self._lock:
            self._spans[sha] = found
            while len(self._spans) > _VERSIONS_KEPT * 4:
                self._spans.pop(next(iter(self._spans)))
        return found

    def flush(self) -> None:
        """Write what this process learnt to the index on disk (end of a gathering)."""
        if self.store is not None:
            self.store.flush()
