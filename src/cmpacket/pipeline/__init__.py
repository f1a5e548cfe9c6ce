"""`cmpacket build`: the pipeline, read top to bottom.

load -> intake -> validate -> plan -> render -> assemble -> verify -> write. Each stage takes the
previous stage's result and returns its own; nothing is written to OUT until every stage has
succeeded. Rendered documents, sanitized uploads, stamped blocks, Word copies and the packet are
kept in a content-addressed cache (`_cache`), so a rebuild redoes only what changed. Ctrl-C and
SIGTERM take effect at safe checkpoints between steps, documents and uploads (`_interrupt`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from cmpacket.cache import Cache, default_dir
from cmpacket.interrupt import deferred
from cmpacket.pipeline._progress import Progress
from cmpacket.pipeline._workspace import Options, Workspace
from cmpacket.pipeline._write import BuildResult

__all__ = ["BuildResult", "Options", "build"]


def build(
    folder: Path, out: Path | None = None, *, quiet: bool = False, **options: Any
) -> BuildResult:
    """Build the packet of an agency folder; nothing is written to OUT unless every step succeeds."""
    opts = Options(**options)
    cache_dir = None if opts.no_cache else Path(opts.cache_dir or default_dir())
    work = Path(tempfile.mkdtemp(prefix="cmpacket-"))
    ws = Workspace(
        folder.resolve(),
        (out or folder / "out").resolve(),
        opts,
        Cache(cache_dir),
        Progress(7, quiet),
        work,
    )
    try:
        with deferred():
            return _run(ws)
    finally:
        if opts.keep_temp:
            if not quiet:
                print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run(ws: Workspace) -> BuildResult:
    from cmpacket.pipeline import _stages as stage
    from cmpacket.pipeline._fit import assemble_to_fit
    from cmpacket.pipeline._packet import self_verify
    from cmpacket.receivers import load_receiver

    receiver = load_receiver(ws.options.receiver, base=Path.cwd())
    checked, intaken, uses = stage.validate(ws, receiver)  # load, intake, validate
    planned = stage.plan_packet(ws, checked, intaken, uses, receiver)  # plan
    first = stage.render(ws, checked, planned, intaken)  # render (but the index)
    planned, rendered, done, unfit = assemble_to_fit(  # the index; assemble (parts if too large)
        ws, checked, intaken, uses, planned, first, receiver
    )
    checked = stage.with_findings(ws, checked, unfit)
    docx = rendered.docx | stage.late_word_copies(ws, checked, planned, rendered, done.refs)
    self_verify(ws, done)  # verify (the reviewer's checks, on our own output)
    if ws.options.keep_temp:
        stage.keep_pieces(ws, rendered)
    return stage.write(ws, checked, done, docx)  # write
