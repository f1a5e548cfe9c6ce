"""Work spread over every core by forked workers, for steps of many small independent jobs.

Used by intake (inspect, sanitize and, for proofs, read the text of each upload): on a two-core
machine 1,500 proofs taken in and read take about half the time they take in one process
(benchmarks/README.md). Jobs go out in chunks, so the cost of passing them is paid per chunk.
Workers end quietly with the build (`render._pool.start_worker`); the caller's `checkpoint` runs
while it waits, so Ctrl-C stops the work at a safe point.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

from cmpacket.interrupt import checkpoint

J = TypeVar("J")
R = TypeVar("R")
MIN_FORKED = 16  # below this many jobs, starting the workers costs more than it saves


def forked_map(fn: Callable[[J], R], jobs: Sequence[J]) -> Generator[R, None, None]:
    """`fn(job)` for each job, in order: on forked workers when there are enough jobs and cores,
    else here. `fn` must be a module-level function (it is found again in the forked workers)."""
    workers = min(os.cpu_count() or 1, 8)
    context = _fork_context() if workers > 1 and len(jobs) >= MIN_FORKED else None
    if context is None:
        for job in jobs:
            checkpoint()
            yield fn(job)
        return
    import multiprocessing

    from cmpacket.render._pool import start_worker

    pool = context.Pool(workers, initializer=start_worker, initargs=(os.getpid(),))
    try:
        size = max(1, min(64, len(jobs) // (workers * 4)))
        chunks = [(fn, jobs[i : i + size]) for i in range(0, len(jobs), size)]
        pending = pool.imap(_run_chunk, chunks)
        for _ in chunks:
            while True:
                try:
                    results = pending.next(timeout=0.1)
                    break
                except multiprocessing.TimeoutError:
                    checkpoint()
            yield from results
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _run_chunk(work: tuple[Callable[[Any], Any], Sequence[Any]]) -> list[Any]:
    fn, jobs = work
    return [fn(job) for job in jobs]


def _fork_context() -> Any:
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform
        return None
