"""Layout of independent HTML documents with WeasyPrint, on the build's workers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cmpacket.convert import LayoutJob, lay_out_job
from cmpacket.templates import TemplateRegistry
from cmpacket.workers import Pool, Progress

Task = tuple[str, str]  # (template name, html)
MIN_TASKS = 3  # below this, forking (and warming fonts in each worker) costs more than it saves
# A worker forked for layout imports WeasyPrint first (half a second, the layout of about
# 20,000 characters of HTML): a worker is forked only when the documents hold twice that, so it
# saves more than it costs (a rebuild's or `respond`'s few pages go to the worker running)
GROW_CHARS = 40_000


def warm_up(_: object = None) -> None:
    """Import WeasyPrint (most of a second, loading native libraries), e.g. on an idle worker."""
    import weasyprint  # noqa: F401


def lay_out(
    tasks: Sequence[Task],
    registry: TemplateRegistry,
    pool: Pool,
    *,
    meanwhile: Callable[[], None] = lambda: None,
    progress: Progress | None = None,
) -> list[bytes]:
    """PDF bytes for each (name, html), in order, laid out on `pool`'s workers where it pays.

    `meanwhile` runs in this process while the workers lay out; the largest documents go first,
    so the cores finish together.
    """
    roots = tuple(registry.roots)
    order = sorted(range(len(tasks)), key=lambda i: -len(tasks[i][1]))
    jobs: list[LayoutJob] = [(tasks[i][0], tasks[i][1], roots) for i in order]
    # once workers run, layout goes to them however few the documents: they have imported
    # WeasyPrint (or are importing it), which this process has not
    grow = sum(len(html) for _, html, _ in jobs) > GROW_CHARS
    pending = pool.map(
        lay_out_job, jobs, min_jobs=MIN_TASKS, chunk=1, progress=progress, wait=True, grow=grow
    )
    meanwhile()  # while the workers lay out (the jobs were sent); without workers, before them
    made = list(pending)
    out: list[bytes] = [b""] * len(tasks)
    for i, pdf in zip(order, made, strict=True):
        out[i] = pdf
    return out
