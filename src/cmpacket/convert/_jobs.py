"""One document laid out, as the build's workers run it: a job found by name in a worker that
has imported only WeasyPrint and this package, so a worker forked as the command starts lays out
before the build's stages are imported (`workers.fork_spare`). `html_to_pdf` here is the seam
the tests' fake renderer replaces."""

from __future__ import annotations

import functools
from pathlib import Path

from cmpacket.convert._pdf import html_to_pdf
from cmpacket.templates import TemplateRegistry

LayoutJob = tuple[str, str, tuple[Path, ...]]  # (template name, html, template roots)


@functools.cache
def _registry(roots: tuple[Path, ...]) -> TemplateRegistry:
    return TemplateRegistry(list(roots))


def lay_out_job(job: LayoutJob) -> bytes:
    """One document's PDF: runs in a worker (or in the build's process)."""
    name, html, roots = job
    return html_to_pdf(html, _registry(roots), name)
