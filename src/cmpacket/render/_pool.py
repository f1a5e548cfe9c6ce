"""Lay out independent HTML documents on every core: a forked pool of WeasyPrint workers."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from cmpacket.render._pdf import html_to_pdf
from cmpacket.templates import TemplateRegistry

Task = tuple[str, str]  # (template name, html)
MIN_TASKS = 3  # below this, forking (and warming fonts in each worker) costs more than it saves


def _ignore_sigint() -> None:
    # The parent handles Ctrl-C and terminates the pool; workers must not print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    pool = context.Pool(min(workers, len(tasks)), initializer=_ignore_sigint)
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
