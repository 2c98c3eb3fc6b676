"""Where context gathering runs: worker processes in the server, threads in the CLI.

Gathering is pure-Python CPU work (parsing thousands of files). In threads
of the server process it competes for the GIL with the event loop, and every
system call the loop makes can then wait a whole switch interval to get it
back: editor requests slow down exactly while tasks run. In a process pool
the loop only waits for a pickled result. Workers keep their parse caches
between tasks. The check of a finished draft's citations runs there too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from cowork import kinds
from cowork.config import Settings
from cowork.context import diskindex, snapshot
from cowork.context.budget import LocalEstimator, Piece, TokenEstimator, pack
from cowork.context.index import WorkspaceIndex
from cowork.context.privacy import redact, redact_kept, spans
from cowork.context.reader import ContextReader
from cowork.context.reader_graph import graph_for
from cowork.engine import citecheck, replay
from cowork.errors import TaskFailure
from cowork.kinds import prefix_apply
from cowork.kinds.base import Gathered, GatherRequest
from cowork.kinds.findings import Finding
from cowork.kinds.prompt import render_part
from cowork.kinds.workspace_map import map_piece
from cowork.processes import pid_alive

_SERVER_POLL_S = 0.5
NICE = 10  # the gathering processes' niceness

log = logging.getLogger(__name__)


class CancelFlag:
    """A cancellation signal that crosses process boundaries: a marker file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self) -> None:
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()

    def is_set(self) -> bool:
        return self.path.exists()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


# One index per workspace in each process that gathers: a worker's parse cache
# outlives the task, so the next gathering re-parses only what changed.
_indexes: dict[Path, WorkspaceIndex] = {}
_indexes_lock = threading.Lock()
_watching = True  # off in a one-shot process (the CLI): a watch pays from the second look on


def one_shot() -> None:
    """This process gathers once and exits (a CLI run): no file-system watch is set up,
    and the garbage collector leaves alone what is loaded by now (modules, classes)
    and runs less often: a short-lived process makes tens of thousands of objects,
    almost none of them in cycles, and each collection would walk them all."""
    global _watching
    _watching = False
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def index_for(root: Path) -> WorkspaceIndex:
    """This process's index of `root`, watched unless COWORK_WATCH=0 (for file systems
    whose changes the kernel does not see, such as a network mount changed elsewhere)."""
    with _indexes_lock:
        if root not in _indexes:
            watch = _watching and os.environ.get("COWORK_WATCH", "1").strip().lower() not in (
                "0",
                "off",
                "no",
            )
            _indexes[root] = WorkspaceIndex(root, watch=watch, store=diskindex.open_for(root))
        return _indexes[root]


@dataclass(frozen=True)
class IndexReport:
    files: int  # files a task may read, with facts
    parsed: int  # parsed now
    stored: int  # taken from the index on disk unparsed
    location: Path | None  # the index on disk (None: turned off)


def build_index(root: Path) -> IndexReport:
    """Bring the index on disk of `root` up to date with every file a task may read
    (what `cowork index` does; blocking)."""
    index = index_for(root)
    reader = ContextReader(root, index)
    facts = reader.all_facts
    graph_for(reader)  # kept on disk too: the next process loads it whole
    index.flush()
    return IndexReport(
        sum(1 for _, f in facts if f is not None),
        index.parses,
        index.stored,
        index.store.path if index.store is not None and not index.store.disabled else None,
    )


def prime_worker(root: Path, settings: Settings) -> bool:
    """Restore `root`'s whole-workspace records (file heads, import graph, workspace
    map) from the index on disk into this process, as a worker does before its first
    task, so that the first task is as warm as the later ones. Nothing is parsed
    where no task ran yet (no records): False then."""
    index = index_for(root)
    if index.store is None or index.store.blob(snapshot.HEADS) is None:
        return False
    reader = ContextReader(root, index, None, settings.exclude, None, settings.generated)
    reader.git  # noqa: B018 -- opens the repository: its git processes stay up
    graph_for(reader)
    _redacted(map_piece(reader, settings.context_budget_tokens), index)  # its spans
    replay.warm(reader, settings, run_gather)  # what the last tasks asked for
    index.flush()
    return True


def run_gather(kind: str, request: GatherRequest) -> Gathered:
    """Collect `kind`'s context and fit it to the budget (module level, so it pickles)."""
    index = index_for(request.root)
    reader = ContextReader(
        request.root,
        index,
        request.overlays,
        request.settings.exclude,
        request.cancelled,
        request.settings.generated,
    )
    try:
        collected = kinds.get(kind).gather(request, reader)
    finally:
        index.flush()  # what was parsed is there for other processes and later runs
    reader.check_cancelled()
    # The map at its usual size in every task, so that it is the same bytes (one cached
    # prefix); whether it is sent is decided once the task's own context is packed.
    shared = _redacted(map_piece(reader, request.settings.context_budget_tokens), index)
    reader.check_cancelled()
    replay.remember(index.store, kind, request)  # for the pool's next new workers
    index.flush()  # the map, kept on disk for the next process
    files, excluded, redacted = reader.provenance()
    # Recipes redact what they read; this is the last line of defence for anything a
    # recipe built some other way (titles, lists, messages). Cheap on clean text; none
    # for a gathering restored from disk, which was stored as this leaves it.
    clean = collected.clean
    report = (
        collected.offline_report
        if clean
        else redact_kept(
            collected.offline_report, lambda sha, t: index.redaction_spans(sha, t, spans)
        )[0]
    )
    candidates = [piece if clean else _redacted(piece, index) for piece in collected.pieces]
    if collected.needs_map:
        candidates.insert(0, replace(shared, stable=False))
    gathered = Gathered(
        parts=[],
        files=files,
        git=reader.git,
        offline_report=report,
        excluded=excluded,
        redacted=redacted,
        notes=list(reader.notes),
        base=collected.base,
        budget=request.settings.context_budget_tokens,
        candidates=candidates,
        reserved=request.reserved_tokens,
        findings=[
            f if clean else replace(f, message=redact(f.message)[0]) for f in collected.findings
        ],
        shared=shared,
    )
    return fit(gathered, LocalEstimator())


def _redacted(piece: Piece, index: WorkspaceIndex) -> Piece:
    def kept(sha: str, text: str) -> list[tuple[int, int, str]]:
        return index.redaction_spans(sha, text, spans)

    # A large text's spans are kept on disk by content hash: a new worker restoring
    # the same context does not search it again.
    text, found = redact_kept(piece.text, kept)
    title, found_in_title = redact(piece.title)
    outline = redact_kept(piece.outline, kept)[0] if piece.outline else piece.outline
    if not found and not found_in_title and outline == piece.outline:
        return piece
    return replace(piece, title=title, text=text, outline=outline)


def fit(gathered: Gathered, estimator: TokenEstimator) -> Gathered:
    """`gathered` with its parts chosen from its candidates to fit its budget, then
    the workspace map placed first as the shared prefix or not (kinds/prefix_plan).

    Provenance then lists only files that are still in the context: a file all of
    whose pieces the budget dropped is in the cut list instead.
    """
    if gathered.reserved > gathered.budget:
        raise TaskFailure(
            f"the brief and instructions alone take ~{gathered.reserved:,} tokens, over the "
            f"{gathered.budget:,}-token context budget; shorten the brief or raise "
            "cowork.contextBudgetTokens"
        )
    packed = pack(
        gathered.candidates,
        gathered.budget,
        estimator,
        reserved=gathered.reserved,
        render=render_part,
    )
    kept_sources = {p.source for p in packed.pieces if p.source}
    offered_sources = {p.source for p in gathered.candidates if p.source}
    files = [f for f in gathered.files if f.path in kept_sources or f.path not in offered_sources]
    fitted = replace(
        gathered,
        parts=packed.pieces,
        files=files,
        tokens=packed.tokens,
        cuts=[
            (c.title if c.source is None else f"{c.title} ({c.source})", c.reason(gathered.budget))
            for c in packed.cuts
        ],
    )
    return prefix_apply.apply(fitted, estimator, render_part)


def _exit_with_server(server: int) -> None:
    # Workers cannot wait for EOF on a pipe: they hold both ends of their task
    # queue, and the forkserver (their parent) outlives the server while any
    # worker holds its "alive" pipe. So they watch the server process itself and
    # exit when it is gone, SIGKILL included.
    while pid_alive(server):
        time.sleep(_SERVER_POLL_S)
    os._exit(0)


def _yield_cpu() -> None:
    """Background work yields the CPU to the editor and the server's event loop: this
    thread (Linux: niceness is per thread) and what it forks run at nice 10 or lower."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no setpriority
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, max(NICE, os.getpriority(os.PRIO_PROCESS, me)))


def _init_worker(server: int) -> None:
    _yield_cpu()
    threading.Thread(
        target=_exit_with_server, args=(server,), daemon=True, name="cowork-server-watch"
    ).start()


def _noop() -> int:
    return os.getpid()


class Gatherer:
    """Runs a kind's gather step off the event loop.

    Launching worker processes blocks whoever launches them: the first one waits
    for the forkserver to start and import the gathering code (hundreds of ms),
    each later one for a fork and a round trip. `start` does all of that on a
    thread of its own, launching every worker at once, so the event loop never
    waits for a process to start; a gathering asked for meanwhile awaits the pool.
    """

    def __init__(self, *, processes: bool, workers: int) -> None:
        self._processes = processes
        self._workers = max(1, workers)
        self._ready: Future[Executor] | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    def prime(self, root: Path, settings: Settings) -> None:
        """Start the worker processes in the background, each restoring `root`'s records
        from the index on disk (`prime_worker`), so that no task is the first of a cold
        worker. Threads (the CLI) share one index: nothing to do there."""
        if not self._processes:
            return

        def start() -> None:
            try:
                # Where no task ran yet there is nothing to restore.
                store = diskindex.open_for(root)
                if store is None:
                    return
                has_records = store.blob(snapshot.HEADS) is not None
                store.close()
                if not has_records or self._closed:
                    return
                self.start()
                ready = self._ready
                if ready is None:
                    return
                pool = ready.result()  # every worker launched (`_launch`)
                for _ in range(self._workers):
                    pool.submit(prime_worker, root, settings)
            except Exception:  # a pool that cannot start fails the first task instead
                log.debug("priming the gatherers failed", exc_info=True)

        threading.Thread(target=start, name="cowork-prime", daemon=True).start()

    def start(self) -> None:
        """Start the pool in the background, if it is not started yet (non-blocking)."""
        with self._start_lock:  # `prime` starts it from a thread of its own
            if self._ready is not None:
                return
            ready: Future[Executor] = Future()
            ready.set_running_or_notify_cancel()  # nobody may cancel it: it is shared
            self._ready = ready
        if not self._processes:  # threads start in no time, and on demand
            ready.set_result(ThreadPoolExecutor(self._workers, thread_name_prefix="cowork-gather"))
            return
        threading.Thread(
            target=self._launch, args=(ready,), daemon=True, name="cowork-pool-start"
        ).start()

    def _launch(self, ready: Future[Executor]) -> None:
        # The forkserver inherits this thread's niceness: its start-up (importing the
        # gathering code, a second of CPU) must not take the CPU from the event loop.
        _yield_cpu()
        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["cowork.engine.preload"])
            pool = ProcessPoolExecutor(
                self._workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(os.getpid(),),
            )
            # One call per worker, submitted together: a submit that finds no idle
            # worker launches one, and a fresh worker takes milliseconds to finish its
            # call, so all are launched here, none by a later submit on the loop
            # (should one finish first, a later submit launches the missing one).
            for started in [pool.submit(_noop) for _ in range(self._workers)]:
                started.result()
        except BaseException as exc:
            ready.set_exception(exc)
            return
        ready.set_result(pool)
        if self._closed:  # the server stopped while the pool was starting
            pool.shutdown(wait=False, cancel_futures=True)

    async def _pool(self) -> tuple[Future[Executor], Executor]:
        self.start()
        ready = self._ready
        assert ready is not None
        try:
            return ready, await asyncio.wrap_future(ready)
        except Exception as exc:
            if self._ready is ready:
                self._ready = None  # try again next time
            log.error("the context gatherer processes did not start", exc_info=exc)
            raise TaskFailure(
                f"the context gatherer processes did not start ({type(exc).__name__}: {exc}); "
                "run the task again"
            ) from None

    async def gather(self, kind: str, request: GatherRequest) -> Gathered:
        """Run `kind`'s gather step. If the caller is cancelled meanwhile, the work
        elsewhere is told through `request.cancelled` (a CancelFlag), whose marker
        is removed once that work has ended."""
        ready, pool = await self._pool()
        flag = request.cancelled
        try:
            future = pool.submit(run_gather, kind, request)
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if isinstance(flag, CancelFlag) and not future.done():
                flag.set()
                future.add_done_callback(lambda _: flag.clear())  # runs at once if done by now
            raise
        except BrokenProcessPool:
            raise self._died(ready, pool) from None

    async def check_citations(
        self,
        root: Path,
        head: str | None,
        overlays: dict[str, str],
        body: str,
        found: list[Finding],
    ) -> citecheck.Checked:
        """`citecheck.verify` where the gathering runs. After gathering it is the
        biggest work of a task (a draft's hundreds of citations); in the language
        server's own process it held the GIL from the event loop: four fifths of the
        time another thread did, under load (py-spy), and code actions waited."""
        ready, pool = await self._pool()
        try:
            future = pool.submit(citecheck.verify, root, head, overlays, body, found)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            raise self._died(ready, pool) from None

    def _died(self, ready: Future[Executor], pool: Executor) -> TaskFailure:
        """A worker died (killed, out of memory): a fresh pool starts now."""
        if self._ready is ready:
            self._ready = None
            pool.shutdown(wait=False, cancel_futures=True)
            if not self._closed:
                self.start()
        return TaskFailure("the context gatherer process died; run the task again")

    def close(self) -> None:
        """Stop the pool (once started, if it is still starting)."""
        self._closed = True
        ready, self._ready = self._ready, None
        if ready is not None and ready.done() and ready.exception() is None:
            ready.result().shutdown(wait=False, cancel_futures=True)
