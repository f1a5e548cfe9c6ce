"""Runs of uploads stamped in blocks on the build's workers, each block cached with its page
digests: when an agency changes one field, the thousands of proof pages that did not move are
reused, not re-merged, re-stamped and re-hashed."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket.assemble._geometry import fit_page
from cmpacket.assemble._pdfops import (
    PacketFont,
    band_height,
    stamp_font,
    stamp_page,
    stamp_size,
)
from cmpacket.assemble._placed import PacketInfo, Placed, stamp_charset, stamp_text
from cmpacket.cache import shared
from cmpacket.errors import BuildError
from cmpacket.pdfread import page_digest

BLOCK = 64  # uploads per separately stamped and cached block
STAMP_FORMAT = 2  # bump when stamping or page fitting changes: cached blocks are keyed by it


@dataclass(frozen=True)
class BlockJob:
    """One block of uploads to stamp, as a worker receives it: each upload as the key of its
    entry in the cache at `cache` (the worker reads it there) or as a file in the work folder,
    each page's stamp text, and where the block goes."""

    inputs: tuple[Path | str, ...]
    stamps: tuple[str, ...]
    info: PacketInfo
    out: Path
    first_page: int
    cache: Path | None = None


def cached_block(
    run: list[Placed], info: PacketInfo, total: int, cache: Any, work: Path
) -> tuple[Path, str, bytes | None]:
    """Where the block of these uploads goes, its cache key, and its page digests when the
    cache holds it (then the file is already in place)."""
    layout = [[p.cache_key, p.section, p.piece.stamp, p.first_page, p.pages] for p in run]
    key = cache.key(
        "block",
        json.dumps(
            [STAMP_FORMAT, layout, total, info.legal_name, info.prefix, info.draft, info.max_page]
        ),
    )
    path = work / f"block-{run[0].first_page:06d}.pdf"
    known = cache.get(key + "-digests", "block")
    if known is not None and cache.get_file(key, path, "block-pdf"):
        return path, key, known
    return path, key, None


def block_job(run: list[Placed], info: PacketInfo, total: int, path: Path, cache: Any) -> BlockJob:
    """The block's uploads, by their cache entries where the cache holds them (the worker reads
    them: a build's thousands of uploads are never copied here first), else written to the work
    folder one file at a time (never all in memory); and its stamps."""
    inputs: list[Path | str] = []
    stamps: list[str] = []
    n = run[0].first_page
    for piece in run:
        content = piece.content
        if content.entry and cache.size(content.cache_key):
            inputs.append(content.cache_key)
        else:
            for k, part in enumerate(content.pdfs()):
                copy = path.with_name(f"in-{piece.first_page:06d}-{k}.pdf")
                copy.write_bytes(part)
                inputs.append(copy)
        for _ in range(piece.pages):
            stamps.append(stamp_text(info, piece.piece, n, total))
            n += 1
    return BlockJob(tuple(inputs), tuple(stamps), info, path, run[0].first_page, cache.root)


def note_digests(digests: dict[int, str], first: int, known: bytes) -> None:
    for offset, value in enumerate(json.loads(known)):
        digests[first + offset] = value


def build_block(job: BlockJob) -> bytes:
    """Stamp one block of uploads into `job.out` (on a worker); returns its page digests as
    JSON."""
    block = pikepdf.new()
    made: list[Path] = []  # entries copied out of the cache (the large ones), removed after
    sources = [_open_input(job, k, item, made) for k, item in enumerate(job.inputs)]
    try:
        for src in sources:
            block.pages.extend(src.pages)
        subsets = shared(job.cache) if job.cache else None  # the font's subset, when kept
        font = stamp_font(block, stamp_charset(job.info), subsets)
        for page, text in zip(block.pages, job.stamps, strict=True):
            fit_upload_page(block, page, font, text, job.info.max_page)
            stamp_page(block, page, font, text, job.info.draft)
        block.save(job.out, deterministic_id=True)
    finally:
        block.close()
        for src in sources:
            src.close()
        for path in made:
            path.unlink(missing_ok=True)
    with pikepdf.open(job.out) as saved:
        memo: dict[tuple[int, int], bytes] = {}
        return json.dumps([page_digest(page, memo=memo) for page in saved.pages]).encode()


def _open_input(job: BlockJob, k: int, item: Path | str, made: list[Path]) -> pikepdf.Pdf:
    """One upload of a block: a file of the work folder, or the cache entry of that key."""
    if isinstance(item, Path):
        return pikepdf.open(item)
    dest = job.out.with_name(f"{job.out.stem}-in-{k}.pdf")
    got = shared(job.cache).fetch(item, dest)
    if got is None:  # removed since the build looked (cmpacket cache clear, meanwhile)
        raise BuildError("an upload's cache entry vanished during assembly; build again.")
    if isinstance(got, Path):
        made.append(got)
        return pikepdf.open(got)
    return pikepdf.open(io.BytesIO(got))


def fit_upload_page(
    pdf: pikepdf.Pdf,
    page: pikepdf.Page,
    font: PacketFont,
    text: str,
    max_page: tuple[float, float] | None = None,
) -> None:
    """Odd-sized pages (and pages over the receiver's page size) onto Letter; content shrunk
    just enough to clear the stamp band."""
    fit_page(pdf, page, lambda width: band_height(stamp_size(font, text, width)), max_page)
