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
from cmpacket.model import find_response
from cmpacket.pipeline import _stages as stage
from cmpacket.pipeline._packet import make_packet, write_packet
from cmpacket.pipeline._progress import Progress
from cmpacket.pipeline._respond import RespondResult, respond_in
from cmpacket.pipeline._responses import check_responses
from cmpacket.pipeline._sign import PASSWORD_ENV, env_password, prepare_signature
from cmpacket.pipeline._workspace import Options, Workspace
from cmpacket.pipeline._write import BuildResult
from cmpacket.receivers import load_receiver
from cmpacket.validators import Checked
from cmpacket.workers import Pool

__all__ = [
    "PASSWORD_ENV",
    "env_password",
    "BuildResult",
    "Options",
    "RespondResult",
    "build",
    "check",
    "check_responses",
    "respond",
]


def build(folder: Path, options: Options | None = None, *, out: Path | None = None) -> BuildResult:
    """Build the packet of an agency folder; nothing is written to OUT unless every step succeeds."""
    with workspace(folder, options, out, steps=7) as ws:
        return _run(ws)


def respond(
    folder: Path, response: Path, options: Options | None = None, *, out: Path | None = None
) -> RespondResult:
    """Answer the Department (`cmpacket respond`): the cumulative packet, one sequence after the
    packet the letter answers, and the response packet, into `out` (default: the response
    folder's `out/`, so the packet the Department holds is never overwritten); nothing is
    written unless every step of both succeeds."""
    out = out or find_response(folder.resolve(), response) / "out"
    with workspace(folder, options, out, steps=9) as ws:
        return respond_in(ws, response)


def check(folder: Path, options: Options | None = None) -> Checked:
    """`cmpacket validate`: the build's own validate stage — load, intake of every upload with its
    OCR, the proofs' text read, the rules — on the build's cache and workers, so `validate` and
    `build` never disagree; findings never stop it. Writes nothing but cache entries."""
    opts = options or Options()
    with workspace(folder, opts, None, steps=1, writes=False) as ws:
        receiver = load_receiver(opts.receiver, base=Path.cwd())
        return stage.checked(ws, receiver, then_render=False).checked


@contextmanager
def workspace(
    folder: Path, options: Options | None, out: Path | None, steps: int, writes: bool = True
) -> Iterator[Workspace]:
    """The environment of one run: a temporary work folder (removed at the end unless
    --keep-temp), the cache, the workers (ended before the folder goes) and deferred signals.
    `writes` False: a run that writes no OUT (validate)."""
    opts = options or Options()
    cache_dir = None if opts.no_cache else Path(opts.cache_dir or default_dir())
    work = Path(tempfile.mkdtemp(prefix="cmpacket-"))
    try:  # from the folder's making: Ctrl-C as the cache opens leaves no folder behind
        target = (out or folder / "out").resolve() if writes else folder.resolve() / "out"
        # the workers end (their temporary files under `work`) before the cache is closed (its
        # entries still pending written) and the folder removed
        with (
            Cache(cache_dir) as cache,
            Pool(checkpoint=checkpoint, tmp=work / "workers") as pool,
            deferred(),
        ):
            yield Workspace(
                folder.resolve(),
                target,
                opts,
                cache,
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
    validated = prepare_signature(ws, validated)  # the signer's certificate, checked
    validated, base = stage.read_base(ws, validated)  # the packet this one follows, if any
    made = make_packet(ws, validated, receiver, base)  # plan, render, assemble, verify
    ws.progress.step(f"Writing {ws.out}")  # write
    return write_packet(ws, made)
