"""`cmpacket build`: the pipeline, read top to bottom.

load -> intake -> validate -> plan -> render -> assemble -> verify -> write. Each stage is a
package that owns its work; this package only orders them, gives them the build's cache, workers
and progress, and writes nothing to OUT until every stage has succeeded. Rendered documents,
sanitized uploads, stamped blocks, Word copies and the packet are kept in a content-addressed
cache (`cmpacket.cache`), so a rebuild redoes only what changed. Ctrl-C and SIGTERM take effect
at safe checkpoints between steps, documents and uploads (`cmpacket.interrupt`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cmpacket.cache import Cache, default_dir
from cmpacket.interrupt import checkpoint, deferred
from cmpacket.pipeline import _stages as stage
from cmpacket.pipeline._fit import assemble_to_fit
from cmpacket.pipeline._progress import Progress
from cmpacket.pipeline._workspace import Options, Workspace
from cmpacket.pipeline._write import BuildResult, write_outputs
from cmpacket.receivers import load_receiver
from cmpacket.render import with_plan
from cmpacket.templates import TemplateRegistry
from cmpacket.validators import Checked
from cmpacket.workers import Pool

__all__ = ["BuildResult", "Options", "build", "check"]
STEPS = 7  # the build's named steps (`Step 3/7 - ...`)


def build(folder: Path, options: Options | None = None, *, out: Path | None = None) -> BuildResult:
    """Build the packet of an agency folder; nothing is written to OUT unless every step succeeds."""
    opts = options or Options()
    with _workspace(folder, (out or folder / "out").resolve(), opts, STEPS) as ws:
        return _run(ws)


def check(folder: Path, options: Options | None = None) -> Checked:
    """`cmpacket validate`: the build's own validate stage — load, intake of every upload with its
    OCR, the proofs' text read, the rules — on the build's cache and workers, so `validate` and
    `build` never disagree; findings never stop it. Writes nothing but cache entries."""
    opts = options or Options()
    with _workspace(folder, None, opts, 1) as ws:
        receiver = load_receiver(opts.receiver, base=Path.cwd())
        return stage.checked(ws, receiver, then_render=False).checked


@contextmanager
def _workspace(folder: Path, out: Path | None, opts: Options, steps: int) -> Iterator[Workspace]:
    """One run's workspace: its work folder (removed at the end unless --keep-temp), cache and
    workers (ended before the folder is removed), with Ctrl-C deferred to safe checkpoints."""
    cache_dir = None if opts.no_cache else Path(opts.cache_dir or default_dir())
    work = Path(tempfile.mkdtemp(prefix="cmpacket-"))
    try:
        # the workers end (their temporary files under `work`) before the folder is removed
        with Pool(checkpoint=checkpoint, tmp=work / "workers") as pool, deferred():
            yield Workspace(
                folder.resolve(),
                out or folder.resolve() / "out",
                opts,
                Cache(cache_dir),
                Progress(steps, opts.quiet),
                work,
                pool,
            )
    finally:
        if opts.keep_temp:
            if not opts.quiet:
                print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run(ws: Workspace) -> BuildResult:
    receiver = load_receiver(ws.options.receiver, base=Path.cwd())
    validated = stage.validate(ws, receiver)  # load, intake, validate
    planned = stage.plan(ws, validated)  # plan
    registry = TemplateRegistry.for_agency(ws.folder, ws.options.template_dirs)
    ctx = stage.context(ws, validated, registry, receiver)
    parts_later = receiver.max_file_bytes is not None and receiver.split == "parts"
    here = with_plan(ctx, planned)
    first = stage.render(ws, validated, planned, registry, here, late=not parts_later)  # render
    fitted = assemble_to_fit(ws, validated, planned, registry, ctx, first, receiver)  # assemble
    validated = stage.with_findings(ws, validated, fitted.findings)
    stage.self_verify(ws, fitted.assembled)  # verify (the reviewer's checks, on our own output)
    if ws.options.keep_temp:
        stage.keep_pieces(ws, fitted.rendered)
    ws.progress.step(f"Writing {ws.out}")  # write
    report = validated.report.with_pages(fitted.assembled.refs)  # evidence: proofs' pages
    done = fitted.assembled
    files = write_outputs(ws.out, done.files, done.manifest, report, fitted.docx)
    return BuildResult(
        out=ws.out,
        packet=files[0],
        parts=files if len(files) > 1 else [],
        manifest=ws.out / "manifest.json",
        readiness=ws.out / "readiness.json",
        documents=sorted((ws.out / "documents").glob("*.docx")),
        pages=done.manifest["packet"]["pages"],
        draft=done.manifest["draft"],
        cache_hits=ws.cache.hits,
        rebuilt=list(ws.cache.missed),
        report=report,
    )
