"""Lay out independent HTML documents on every core: a forked pool of WeasyPrint workers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cmpacket.convert import html_to_pdf
from cmpacket.templates import TemplateRegistry

Task = tuple[str, str]  # (template name, html)
MIN_TASKS = 3  # below this, forking (and warming fonts in each worker) costs more than it saves


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def quiet_child() -> None:
    """For a forked worker: the parent decides when to stop it.

    Ctrl-C at a terminal reaches the whole process group: the worker ignores it and the parent
    stops the pool at its next checkpoint. SIGTERM (what the parent's `pool.terminate()` sends)
    ends the worker at once and silently, whatever handler it inherited from the parent.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_worker(parent: int) -> None:
    """Each worker ends quietly when its parent is gone, whatever ended the parent.

    The parent handles Ctrl-C and SIGTERM and stops the pool itself (`quiet_child`). Were the
    parent killed outright, the worker would go on laying out a document, then fail to send it
    back and print a BrokenPipe traceback: on Linux the kernel ends it with SIGTERM the moment the
    parent dies, and anywhere its stderr falls silent once it has no parent to report to.
    """
    quiet_child()
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

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


_ROOTS: list[Path] = []


def _work(task: Task) -> bytes:
    name, html = task
    return html_to_pdf(html, TemplateRegistry(_ROOTS), name)


def render_all(
    tasks: Sequence[Task],
    registry: TemplateRegistry,
    workers: int | None = None,
    meanwhile: Callable[[], None] = lambda: None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    checkpoint: Callable[[], None] = lambda: None,
) -> list[bytes]:
    """PDF bytes for each (name, html), in order; parallel where it pays and fork is available.

    `meanwhile` runs in this process while the workers lay out (or first, without a pool);
    `checkpoint` is called often, so the caller can stop the work at a safe point.
    """
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers < 2 or len(tasks) < MIN_TASKS:
        meanwhile()
        done: list[bytes] = []
        for name, html in tasks:
            checkpoint()
            done.append(html_to_pdf(html, registry, name))
            progress(len(done), len(tasks))
        return done
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: render here
        meanwhile()
        made = []
        for name, html in tasks:
            checkpoint()
            made.append(html_to_pdf(html, registry, name))
        return made
    import weasyprint  # noqa: F401 - imported once here, inherited by the forked workers

    _ROOTS[:] = registry.roots
    # largest first, so the cores finish together
    order = sorted(range(len(tasks)), key=lambda i: -len(tasks[i][1]))
    pool = context.Pool(min(workers, len(tasks)), initializer=start_worker, initargs=(os.getpid(),))
    try:
        pending = pool.imap(_work, [tasks[i] for i in order], chunksize=1)
        meanwhile()
        results: list[bytes] = []
        while len(results) < len(order):
            try:
                results.append(pending.next(timeout=0.1))
                progress(len(results), len(order))
            except multiprocessing.TimeoutError:
                checkpoint()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
    out: list[bytes] = [b""] * len(tasks)
    for i, pdf in zip(order, results, strict=True):
        out[i] = pdf
    return out
