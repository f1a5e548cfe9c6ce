"""What `verify` reads from every page, once: its stamp, its images over the pixel cap and the
hash of its content. This is most of the work on a large packet; on a packet file of many pages
it is shared out by page range over the worker processes (`cmpacket.workers`), each opening the
same file for itself (pikepdf objects cannot cross processes) and checking that it is the same
file, unchanged, that this process opened. The checks then read the facts in page order, so
their findings are those of reading every page here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket.pdfread import (
    STAMP_MARK,
    StreamTooLarge,
    StreamUnreadable,
    page_digest,
    read_bounded,
    read_stamp,
)
from cmpacket.verify._limits import VerifyLimits
from cmpacket.verify._result import PDF_ERRORS, first_line
from cmpacket.verify._structure import large_images
from cmpacket.workers import Pool

SHARED_FROM = 1500  # pages: fewer are read here (forking and reopening would cost more)
BLOCK = 64  # pages a worker reads in a row (its next block is `count` blocks on)
SHARED_BYTES = 4 * 1024 * 1024  # a file this large likely has SHARED_FROM pages (4-5 KB a page)
_STAMP_PARENS = 64  # more "(" than this in a stamp stream: not a cmpacket stamp (and slow to scan)


@dataclass(frozen=True)
class PageFacts:
    """One page as the checks need it. `stamp` is its stamp's text (None: `why` says why there
    is none); `images` the images over the pixel cap (name, width, height); `digest` the hash of
    its content, None when it was not wanted (known already) or cannot be computed, in which
    case `problem` is the finding (code, message) to report."""

    stamp: str | None
    why: str
    images: tuple[tuple[str, int, int], ...]
    digest: str | None
    problem: tuple[str, str] | None


@dataclass(frozen=True)
class _Range:
    """The pages of `spans` (first, last: 1-based, in the file) to read from the file at
    `path`, which must still be the file of `identity` (device, inode, size, modification
    time)."""

    path: str
    identity: tuple[int, int, int, int]
    spans: tuple[tuple[int, int], ...]
    limits: VerifyLimits
    version: int
    skip: frozenset[int]  # pages whose digest is known already


class FileChanged(Exception):
    """The packet file a worker opened is not the one this process is verifying (or the worker
    cannot open it): the pages are read here instead."""


@dataclass(frozen=True)
class Sharing:
    """Where a packet file's pages may be read besides here: on `pool`'s workers, from the file
    at `path` as it was when this process opened it (`identity`, see `file_identity`)."""

    pool: Pool
    path: str
    identity: tuple[int, int, int, int]


def page_facts(
    pdf: pikepdf.Pdf,
    n: int,
    limits: VerifyLimits,
    version: int,
    skip: frozenset[int],
    sharing: Sharing | None = None,
    shared_from: int | None = None,
) -> list[PageFacts]:
    """The facts of pages 1..n of `pdf`, in order; shared out over the workers of `sharing` when
    the file has `shared_from` (SHARED_FROM) pages or more, else read here."""
    if sharing is not None and n >= (shared_from or SHARED_FROM):
        # blocks of pages dealt out in turn: the front's generated pages cost more than uploads
        count = max(2, sharing.pool.size)
        blocks = [(a, min(a + BLOCK, n + 1) - 1) for a in range(1, n + 1, BLOCK)]
        jobs = [
            _Range(sharing.path, sharing.identity, tuple(blocks[k::count]), limits, version, skip)
            for k in range(count)
        ]
        by_page: dict[int, PageFacts] = {}
        try:
            for job, part in zip(jobs, sharing.pool.map(_read_range, jobs, chunk=1), strict=True):
                by_page.update(zip(_numbers(job.spans), part, strict=True))
            return [by_page[p] for p in range(1, n + 1)]
        except FileChanged:
            pass  # read here, from the file this process opened
    return read_pages(enumerate(pdf.pages, start=1), limits, version, skip)


def worth_sharing(path: Path) -> bool:
    """Whether the file is large enough that its pages will likely be read on workers: then the
    workers are best forked before this process opens it and reads its manifest, or each starts
    with that memory counted as its own."""
    try:
        return path.stat().st_size >= SHARED_BYTES
    except OSError:
        return False


def read_pages(
    pages: Iterable[tuple[int, pikepdf.Page]],
    limits: VerifyLimits,
    version: int,
    skip: frozenset[int],
) -> list[PageFacts]:
    """The facts of `pages` (page number in the file, page), in the order given."""
    maps: dict[Any, dict[int, str]] = {}  # the stamp font's ToUnicode map, parsed once
    memo: dict[tuple[int, int], bytes] = {}  # fonts and images the pages share, hashed once
    facts = []
    for p, page in pages:
        decoded: dict[tuple[int, int], bytes] = {}  # the stamp's stream, decoded once
        try:
            stamp, why = _stamp_of(page, limits, maps, decoded)
        except PDF_ERRORS as exc:
            stamp, why = None, f"no readable cmpacket stamp ({first_line(exc)})"
        try:
            images = tuple(large_images(page, limits.image_pixels))
        except PDF_ERRORS:
            images = ()  # the content check reports a damaged page
        digest, problem = None, None
        if p not in skip:
            digest, problem = _digest(page, limits, memo, version, decoded)
        facts.append(PageFacts(stamp, why, images, digest, problem))
    return facts


def _read_range(job: _Range) -> list[PageFacts]:
    """(On a worker) the facts of one range of pages, from the file opened again: the same file
    before and after it is opened, else FileChanged."""
    if file_identity(job.path) != job.identity:
        raise FileChanged(job.path)
    try:
        pdf = pikepdf.open(job.path)
    except (*PDF_ERRORS, OSError, RecursionError) as exc:  # opened here, so read here
        raise FileChanged(job.path) from exc
    with pdf:
        if file_identity(job.path) != job.identity:
            raise FileChanged(job.path)
        pages = list(pdf.pages)  # indexing pdf.pages walks the tree each time; a list does not
        numbered = ((p, pages[p - 1]) for p in _numbers(job.spans))
        return read_pages(numbered, job.limits, job.version, job.skip)


def _numbers(spans: Iterable[tuple[int, int]]) -> Iterator[int]:
    """The page numbers of `spans` (first, last), in order."""
    for first, last in spans:
        yield from range(first, last + 1)


def file_identity(path: str | Path) -> tuple[int, int, int, int] | None:
    """The regular file at `path` as the system knows it (device, inode, size, modification
    time); None when there is none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


def _stamp_of(
    page: pikepdf.Page,
    limits: VerifyLimits,
    maps: dict[Any, dict[int, str]],
    decoded: dict[tuple[int, int], bytes],
) -> tuple[str | None, str]:
    """(stamp text or None, why there is none) -- bounded: the stream is sized first. The
    stream read is kept in `decoded`, for the page's hash."""
    contents = page.obj.get("/Contents")
    if contents is None:
        return None, "no cmpacket stamp"
    last = contents[-1] if isinstance(contents, pikepdf.Array) and len(contents) else contents
    if not isinstance(last, pikepdf.Stream):
        return None, "no cmpacket stamp"
    try:
        data = read_bounded(last, limits.stamp_bytes)
    except StreamTooLarge as exc:
        return None, f"no cmpacket stamp (the stream where it belongs {exc})"
    except StreamUnreadable as exc:
        return None, f"no cmpacket stamp (the stream where it belongs cannot be decoded: {exc})"
    if last.is_indirect:
        decoded[last.objgen] = data
    if data.count(STAMP_MARK) > 1 or data.count(b"(") > _STAMP_PARENS:
        return None, "no cmpacket stamp (the stream where it belongs holds something else)"
    return read_stamp(page, maps, data), "no cmpacket stamp"


def _digest(
    page: pikepdf.Page,
    limits: VerifyLimits,
    memo: dict[tuple[int, int], bytes],
    version: int,
    decoded: dict[tuple[int, int], bytes],
) -> tuple[str | None, tuple[str, str] | None]:
    try:
        digest = page_digest(page, limits.stream_bytes, limits.page_bytes, memo, version, decoded)
        return digest, None
    except StreamTooLarge as exc:
        what = "its content streams together" if exc.scope == "page" else "a content stream"
        return None, (
            "packet-stream-too-large",
            f"{what} {exc} (a decompression bomb, or not a cmpacket page); its content was "
            f"not checked.",
        )
    except (StreamUnreadable, *PDF_ERRORS, RecursionError) as exc:
        return None, (
            "page-unreadable",
            f"its content cannot be read ({first_line(exc)}); the page is damaged or was altered.",
        )
