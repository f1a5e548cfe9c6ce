"""One pool of forked workers per build, for the steps made of many independent jobs: intake of
uploads (inspect, sanitize, read and match proofs) and layout of documents (WeasyPrint).

The pool starts at the first step that has enough jobs to pay for it and serves every later step;
`cmpacket build` forks one as it starts, to import WeasyPrint meanwhile (`fork_spare`), a
library rebuild one as it validates (`start(1)`); a step with more jobs forks the rest. A few
jobs (fewer than `min_jobs`) run here rather than wait for a busy worker. Each has its own pipe: no
lock is shared between processes, so a worker that dies (a signal to the whole process group, the
kernel's OOM killer) is seen as a closed pipe, never as a wait that does not end. Shutting down
sends each worker a stop, waits a moment, then SIGTERM, then SIGKILL. The caller's `checkpoint`
runs at least every tenth of a second while it waits, so Ctrl-C and SIGTERM stop the work at a
safe point (`cmpacket.interrupt`).

Workers end quietly whatever ends their parent (`start_worker`).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import pickle
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cmpacket.errors import BuildError

J = TypeVar("J")
R = TypeVar("R")
Progress = Callable[[int, int], None]

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WAIT = 0.1  # seconds between checkpoints while waiting for a worker
STOP_GRACE = 2.0  # seconds a worker is given to end before SIGTERM, and again before SIGKILL


def quiet_child() -> None:
    """For a forked worker: the parent decides when to stop it. Ctrl-C at a terminal reaches
    the whole process group: the worker ignores it and the parent stops the pool at its next
    checkpoint. SIGTERM (the parent's shutdown, or a signal to the whole group) ends the worker
    at once and silently, whatever handler it inherited."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_worker(parent: int) -> None:
    """Each worker ends quietly when its parent is gone, whatever ended the parent. Were the
    parent killed outright, the worker would go on with its job, then fail to send it back and
    print a BrokenPipe traceback: on Linux the kernel ends it with SIGTERM the moment the parent
    dies, and anywhere its stderr falls silent once it has no parent to report to."""
    quiet_child()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(0)
    sys.stderr = _Orphaned(sys.stderr, parent)


class _Orphaned:
    """A worker's stderr that drops what is written once the parent process is gone."""

    def __init__(self, stream: Any, parent: int) -> None:
        self._stream = stream
        self._parent = parent

    def _gone(self) -> bool:
        return os.getppid() != self._parent

    def write(self, text: str) -> int:
        return len(text) if self._gone() else int(self._stream.write(text))

    def flush(self) -> None:
        if not self._gone():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _serve(conn: Any, parent: int, tmp: str | None, preload: Sequence[str] = ()) -> None:
    """A worker's loop: run each batch of jobs it is sent, send back the results. Temporary
    files go under `tmp` (the build's work folder, or a `tmp` message's), removed with it;
    `preload` is imported first (a spare worker's WeasyPrint)."""
    start_worker(parent)
    _use_tmp(tmp)
    for name in preload:
        with contextlib.suppress(Exception):  # a job that needs it will say what is wrong
            importlib.import_module(name)
    if preload:  # as a warm-up replies (the pool counts the spare busy until then)
        conn.send(("warm", ("ok", [None])))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        tag, fn, batch = message
        if tag == "tmp":  # no reply
            _use_tmp(batch[0])
            continue
        try:
            reply: tuple[str, Any] = ("ok", [fn(job) for job in batch])
        except BaseException as exc:  # sent to the parent, which raises it
            reply = ("error", _portable(exc))
        try:
            conn.send((tag, reply))
        except (OSError, ValueError):
            break
        except Exception as exc:  # a result that cannot be pickled
            conn.send((tag, ("error", BuildError(f"a worker's result could not be sent: {exc}"))))
    conn.close()


def _use_tmp(tmp: str | None) -> None:
    if tmp is not None:
        os.makedirs(tmp, exist_ok=True)
        tempfile.tempdir = os.environ["TMPDIR"] = tmp


# a worker forked as the command starts, for the first pool: (process, pipe, its own temporary
# folder until the pool gives it the build's; removed when the pool closes)
_spare: list[tuple[Any, Any, str]] = []


def fork_spare(preload: Sequence[str]) -> None:
    """Fork one worker as a build starts, before this process imports the stages (0.5 s): it
    imports `preload` (WeasyPrint, 0.6 s) meanwhile, and the next `Pool` takes it as its first
    worker (none with one core or no fork). `drop_spare` ends it if no pool took it."""
    if _spare or (os.cpu_count() or 1) < 2:
        return
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform
        return
    mine, theirs = context.Pipe(duplex=True)
    folder = tempfile.mkdtemp(prefix="cmpacket-spare-")  # what it writes if a signal ends it
    args = (theirs, os.getpid(), folder, tuple(preload))
    process = context.Process(target=_serve, args=args, daemon=True)
    process.start()
    theirs.close()
    _spare.append((process, mine, folder))


def drop_spare() -> None:
    """End the spare worker if no pool took it (the command failed before it built)."""
    while _spare:
        process, conn, folder = _spare.pop()
        process.kill()  # it holds no job
        process.join(STOP_GRACE)
        conn.close()
        shutil.rmtree(folder, ignore_errors=True)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a BuildError saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return BuildError(f"{type(exc).__name__}: {exc}")


class Pool:
    """Forked workers started at first need and kept for the build (see the module's notes).

    `map(fn, jobs)` returns `fn(job)` for each job in order; `fn` must be a module-level function
    (it is found again in the worker by name). With fewer than `min_jobs` jobs and no worker
    started yet or every worker busy, or one core, or no fork on this platform, the jobs run
    here.
    """

    def __init__(
        self,
        size: int | None = None,
        checkpoint: Callable[[], None] = lambda: None,
        tmp: Path | None = None,
    ) -> None:
        self.size = size or min(os.cpu_count() or 1, 8)
        self.checkpoint = checkpoint
        self.tmp = tmp
        self._workers: list[tuple[Any, Any]] = []  # (process, connection)
        self._busy: dict[int, tuple[int, int]] = {}  # worker index -> (run id, batch index)
        self._runs: dict[int, _Run] = {}  # the maps whose results are not all back, by id
        self._next_run = 1  # run id 0 is a warm-up
        self.started = 0  # times workers were forked (0-2 in a build: one early, the rest later)
        self._folders: list[str] = []  # the spare's own, removed at close
        if self.size >= 2 and _spare:  # forked as the command started (`fork_spare`)
            process, conn, folder = _spare.pop()
            self._folders.append(folder)
            if process.is_alive():  # one a signal has ended is not taken: the pool forks its own
                with contextlib.suppress(OSError):
                    if tmp is not None:
                        conn.send(("tmp", None, [str(tmp / "worker-0")]))
                    self._workers.append((process, conn))
                    self._busy[0] = (0, -1)  # importing: its reply is a warm-up's
            if not self._workers:
                process.kill()
                conn.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(force=exc[0] is not None)

    @property
    def running(self) -> bool:
        return bool(self._workers)

    def map(
        self,
        fn: Callable[[J], R],
        jobs: Sequence[J],
        *,
        min_jobs: int = 2,
        chunk: int = 0,
        progress: Progress | None = None,
        wait: bool = False,
        grow: bool = True,
    ) -> Iterator[R]:
        """`fn(job)` for each job, in order; `chunk` jobs go to a worker at a time (0: a size
        that keeps every worker busy with few messages). `wait`: fewer than `min_jobs` jobs
        wait for a busy worker rather than run here (layout: the worker is importing WeasyPrint
        for it). `grow` False: the workers running take every job (one is forked if none is)."""
        if not jobs:
            return iter(())
        if len(jobs) >= min_jobs and len(self._workers) < min(len(jobs), self.size):
            self._start(0 if grow else 1)  # those not running yet (a rebuild may run one)
        busy = len(self._busy) >= len(self._workers)
        if not self._workers or (len(jobs) < min_jobs and busy and not wait):
            return self._here(fn, jobs, progress)  # a few jobs do not wait for a busy worker
        size = chunk or max(1, min(64, len(jobs) // (self.size * 4)))
        return self._forked(fn, jobs, size, progress)

    def start(self, count: int = 0) -> bool:
        """Fork the workers now if not running (before this process grows: a worker starts at
        its parent's size), `count` of them when given; False where there are none."""
        return self._start(count)

    def warm(self, fn: Callable[[None], object], *, start: bool = False, count: int = 0) -> None:
        """Run `fn(None)` once on every idle worker (the first `count`, when given) in the
        background (WeasyPrint's import); the next `map` waits for it. `start`: fork them first."""
        if start and not self._workers:
            self._start()
        for i, (_, conn) in enumerate(self._workers[: count or None]):
            if i not in self._busy:
                conn.send(("warm", fn, [None]))
                self._busy[i] = (0, -1)

    def _here(
        self, fn: Callable[[J], R], jobs: Sequence[J], progress: Progress | None
    ) -> Iterator[R]:
        for done, job in enumerate(jobs, start=1):
            self.checkpoint()
            yield fn(job)
            if progress:
                progress(done, len(jobs))

    def _start(self, count: int = 0) -> bool:
        want = min(count or self.size, self.size)
        if self.size < 2 or len(self._workers) >= want:
            return bool(self._workers)
        import multiprocessing

        try:
            context = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform
            return False
        for k in range(len(self._workers), want):
            mine, theirs = context.Pipe(duplex=True)
            tmp = str(self.tmp / f"worker-{k}") if self.tmp else None
            process = context.Process(target=_serve, args=(theirs, os.getpid(), tmp), daemon=True)
            process.start()
            theirs.close()
            self._workers.append((process, mine))
        self.started += 1
        return True

    def _forked(
        self, fn: Callable[[J], R], jobs: Sequence[J], size: int, progress: Progress | None
    ) -> Iterator[R]:
        """Send the first batches now (the caller may do other work meanwhile), then collect."""
        run = _Run(self, fn, [jobs[i : i + size] for i in range(0, len(jobs), size)], progress)
        run.id, self._next_run = self._next_run, self._next_run + 1
        self._runs[run.id] = run
        try:
            run.send()
        except BaseException:
            self.close(force=True)
            raise
        return run.results()

    def _receive(self, conn: Any) -> tuple[str, Any]:
        try:
            _tag, reply = conn.recv()
        except (EOFError, OSError):
            self.checkpoint()  # a signal to the whole process group ended the worker too
            raise BuildError(
                "a worker process ended unexpectedly (killed, or out of memory); build again."
            ) from None
        outcome: str = reply[0]
        return outcome, reply[1]

    def close(self, force: bool = False) -> None:
        """Stop every worker: politely when idle, else SIGTERM, and SIGKILL as a last resort;
        never waits more than a few seconds."""
        workers, self._workers = self._workers, []
        busy, self._busy = self._busy, {}
        for i, (_, conn) in enumerate(workers):
            if not force and i not in busy:
                with contextlib.suppress(OSError):
                    conn.send(None)
        for i, (process, _) in enumerate(workers):
            if force or i in busy:
                process.terminate()
        for process, conn in workers:
            process.join(STOP_GRACE)
            if process.is_alive():
                process.terminate()
                process.join(STOP_GRACE)
            if process.is_alive():
                process.kill()
                process.join(STOP_GRACE)
            conn.close()
        while self._folders:
            shutil.rmtree(self._folders.pop(), ignore_errors=True)


class _Run:
    """One `map` on the workers: batches out, results back in order. Several maps may be under
    way at once (the Word copies while the packet is assembled): each worker's reply goes to
    the run that sent the batch, whichever run is waiting."""

    def __init__(
        self,
        pool: Pool,
        fn: Callable[[Any], Any],
        batches: list[Sequence[Any]],
        progress: Progress | None,
    ) -> None:
        self.pool, self.fn, self.batches, self.progress = pool, fn, batches, progress
        self.total = sum(len(b) for b in batches)
        self.sent = self.done = 0
        self.back: dict[int, list[Any]] = {}
        self.id = 0

    def send(self) -> None:
        pool = self.pool
        for i, (_, conn) in enumerate(pool._workers):
            if self.sent < len(self.batches) and i not in pool._busy:
                conn.send(("map", self.fn, self.batches[self.sent]))
                pool._busy[i] = (self.id, self.sent)
                self.sent += 1

    def results(self) -> Iterator[Any]:
        from multiprocessing.connection import wait

        pool, yielded = self.pool, 0
        try:
            while yielded < len(self.batches):
                while yielded in self.back:
                    yield from self.back.pop(yielded)
                    yielded += 1
                if yielded == len(self.batches):
                    break
                ready = wait([pool._workers[i][1] for i in pool._busy], timeout=WAIT)
                pool.checkpoint()
                for conn in ready:
                    i = next(k for k, (_, c) in enumerate(pool._workers) if c is conn)
                    owner, index = pool._busy.pop(i)
                    outcome, value = pool._receive(conn)
                    if outcome == "error":
                        raise value
                    run = pool._runs.get(owner)
                    if run is not None:
                        run.got(index, value)
                self.send()  # the run being waited for first, then any other under way
                for run in list(pool._runs.values()):
                    run.send()
        except BaseException:
            pool.close(force=True)
            raise
        finally:
            pool._runs.pop(self.id, None)

    def got(self, index: int, value: list[Any]) -> None:
        self.back[index] = value
        self.done += len(value)
        if self.progress:
            self.progress(self.done, self.total)
