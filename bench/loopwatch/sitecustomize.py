"""A loop-lag probe for `cowork serve`: where the event loop is held, with stacks.

Put this folder first on PYTHONPATH of a server (the benchmarks pass PYTHONPATH
on): a thread asks the server's event loop to run a no-op every 5 ms, and each
time the loop has not run one for `LOOPWATCH_MS` (20) ms, it writes the time
since start, the lag so far and the loop thread's stack (innermost first) to
`LOOPWATCH_LOG` (default /tmp/loopwatch-<pid>.log). A lag whose stack is in
`selectors.select` means the loop was ready but waited for the CPU or the GIL.

    PYTHONPATH=bench/loopwatch .venv/bin/python bench/latency.py

Other Python processes (the forkserver, workers, the benchmark itself) are left
alone: it only arms itself in a process started as `... cowork serve ...`.
"""

from __future__ import annotations

import sys

if "serve" in sys.orig_argv and "cowork" in sys.orig_argv:
    import asyncio
    import asyncio.base_events
    import os
    import threading
    import time
    import traceback
    from typing import Any

    _LAG_S = float(os.environ.get("LOOPWATCH_MS", "20")) / 1000
    _LOG = os.environ.get("LOOPWATCH_LOG", f"/tmp/loopwatch-{os.getpid()}.log")
    _START = time.perf_counter()

    def _watch(loop: asyncio.AbstractEventLoop, thread_id: int) -> None:
        seen = [time.perf_counter()]

        def beat() -> None:
            seen[0] = time.perf_counter()

        with open(_LOG, "w", buffering=1, encoding="utf-8") as out:
            while not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(beat)
                except RuntimeError:  # the loop is closed
                    return
                time.sleep(0.005)
                lag = time.perf_counter() - seen[0]
                if lag < _LAG_S:
                    continue
                frame = sys._current_frames().get(thread_id)
                stack = traceback.extract_stack(frame)[-14:] if frame is not None else []
                where = " <- ".join(
                    f"{os.path.basename(f.filename)}:{f.lineno}:{f.name}" for f in reversed(stack)
                )
                at = (time.perf_counter() - _START) * 1000
                out.write(f"{at:.0f}ms lag={lag * 1000:.0f} {where}\n")

    _run_forever = asyncio.base_events.BaseEventLoop.run_forever

    def _run_forever_watched(self: Any) -> None:
        threading.Thread(
            target=_watch, args=(self, threading.get_ident()), daemon=True, name="loopwatch"
        ).start()
        _run_forever(self)

    asyncio.base_events.BaseEventLoop.run_forever = _run_forever_watched  # type: ignore[method-assign]
