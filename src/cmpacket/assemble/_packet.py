"""Merge the pieces into the packet: links, outline, labels, stamps, metadata, manifest."""

from __future__ import annotations

import ctypes
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Name

from cmpacket.assemble._geometry import fit_page
from cmpacket.assemble._pdfops import (
    PacketFont,
    add_font,
    add_outline,
    band_height,
    page_digest,
    resolve_links,
    set_page_labels,
    stamp_font,
    stamp_page,
    stamp_size,
)
from cmpacket.plan import Content, Piece, outline_tree, section_title


@dataclass
class PacketInfo:
    """What the assembler needs besides the pieces."""

    legal_name: str
    prefix: str
    draft: bool
    title: str
    subject: str
    pdf_date: str
    creator: str
    fingerprint: str = ""
    max_page: tuple[float, float] | None = None  # the receiver's page size: larger pages shrink


@dataclass(frozen=True)
class Placed:
    """A planned piece, its content and where it starts in the packet."""

    piece: Piece
    content: Content
    first_page: int

    @property
    def last_page(self) -> int:
        return self.first_page + self.content.pages - 1

    # what assembly and the manifest read, named as in the plan and the content
    key = property(lambda self: self.piece.key)
    section = property(lambda self: self.piece.section)
    title = property(lambda self: self.piece.title)
    kind = property(lambda self: self.piece.kind)
    staff_id = property(lambda self: self.piece.staff_id)
    pages = property(lambda self: self.content.pages)
    cache_key = property(lambda self: self.content.cache_key)
    source = property(lambda self: self.content.source)
    source_sha256 = property(lambda self: self.content.source_sha256)


def number_pages(
    made: list[tuple[Piece, Content]],
) -> tuple[list[Placed], dict[str, tuple[int, int]]]:
    """Give every piece its first page; returns the placed pieces and the page references
    (`doc/KEY`, `section/LETTER`, `staff/ID` -> first and last page) templates may use."""
    page = 1
    placed: list[Placed] = []
    refs: dict[str, tuple[int, int]] = {}
    for piece, content in made:
        p = Placed(piece, content, page)
        placed.append(p)
        page += content.pages
        refs[f"doc/{piece.key}"] = (p.first_page, p.last_page)
        for key in (
            f"section/{piece.section}",
            f"staff/{piece.staff_id}" if piece.staff_id else "",
        ):
            if key:
                refs[key] = (refs.get(key, (p.first_page, 0))[0], p.last_page)
    return placed, refs


def stamp_text(info: PacketInfo, piece: Piece, n: int, total: int) -> str:
    """`Agency  |  Section D  |  Page 41 of 65  |  PCC-000041` (a response packet's pieces say
    where they are themselves: `Response to HSP-CM-2027-014  |  Item 3`)."""
    letter = piece.section
    where = piece.stamp or ("Front matter" if letter == "front" else f"Section {letter}")
    draft = "DRAFT \u2014 " if info.draft else ""
    return f"{draft}{info.legal_name}  |  {where}  |  Page {n} of {total}  |  {info.prefix}-{n:06d}"


def stamp_charset(info: PacketInfo) -> str:
    """The text the stamp font must cover beyond ASCII (blocks and the merge use the same)."""
    return info.legal_name + info.prefix


BLOCK = 64  # uploads per separately stamped and cached block
STAMP_FORMAT = 2  # bump when stamping or page fitting changes: cached blocks are keyed by it


def merge(
    pieces: list[Placed],
    info: PacketInfo,
    refs: dict[str, tuple[int, int]],
    cache: Any,
    work: Path,
    pool: Any = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> tuple[pikepdf.Pdf, dict[int, str]]:
    """All pieces in order, references filled and linked, every page stamped, outline and labels.

    Runs of uploads are stamped in blocks kept in `cache` (with their page digests): when an
    agency changes one field, the thousands of proof pages that did not move are reused, not
    re-merged, re-stamped and re-hashed. Blocks not in the cache are built on the build's
    workers (`pool`), each from files in `work`, in parallel. Every part is a file in `work`;
    qpdf's own page concatenation (QPDFJob, in process) joins them without loading their
    content, and the result is opened lazily, so memory holds the page tree, not the pages.
    `meanwhile` runs once the blocks are sent to the workers (they come first: this process
    waits for them). Returns the PDF (backed by a file in `work`) and the page digests already
    known.
    """
    digests: dict[int, str] = {}
    files: list[Path] = []
    total = pieces[-1].last_page
    missing: list[tuple[str, BlockJob]] = []
    i = 0
    while i < len(pieces):
        if pieces[i].kind == "upload":
            run = [pieces[i]]
            while (
                i + len(run) < len(pieces)
                and pieces[i + len(run)].kind == "upload"
                and len(run) < BLOCK
            ):
                run.append(pieces[i + len(run)])
            path, key, known = _cached_block(run, info, total, cache, work)
            if known is None:
                missing.append((key, _block_job(run, info, total, path)))
            else:
                _note_digests(digests, run[0].first_page, known)
            files.append(path)
            i += len(run)
            continue
        for k, part in enumerate(pieces[i].content.parts):
            path = work / f"part-{pieces[i].first_page:06d}-{k}.pdf"
            path.write_bytes(part)
            files.append(path)
        i += 1
    jobs = [job for _, job in missing]
    built = pool.map(build_block, jobs, min_jobs=2, chunk=1) if pool else map(build_block, jobs)
    meanwhile()
    for (key, job), known in zip(missing, built, strict=True):
        cache.put_file(key, job.out)
        cache.put(key + "-digests", known)
        _note_digests(digests, job.first_page, known)
        for path in job.inputs:
            path.unlink(missing_ok=True)
    merged = work / "merged.pdf"
    job_args = ["qpdf", "--deterministic-id", "--empty", "--pages", *map(str, files), "--"]
    pikepdf.Job([*job_args, str(merged)]).run()
    release_freed_memory()  # the join's copies of every object (GBs at 40,000 pages) are freed
    pdf = pikepdf.open(merged)
    font = stamp_font(pdf, stamp_charset(info))
    resolve_links(pdf, refs, font, {"fingerprint": info.fingerprint, "page_id_prefix": info.prefix})
    pages = list(pdf.pages)  # pikepdf's pages[i] costs time in the page count: look up here
    for piece in pieces:
        for n in range(piece.first_page, piece.last_page + 1):
            if piece.kind != "upload":
                text = stamp_text(info, piece.piece, n, total)
                stamp_page(pdf, pages[n - 1], font, text, info.draft)
            else:  # one font object for the whole packet, not one per stamped block
                add_font(pages[n - 1], font)
    set_page_labels(pdf)
    first = {p.key: p.first_page for p in pieces}
    add_outline(pdf, outline_tree([p.piece for p in pieces], lambda x: first[x.key]))
    pdf.docinfo["/Title"] = info.title
    pdf.docinfo["/Author"] = info.legal_name
    pdf.docinfo["/Subject"] = info.subject
    pdf.docinfo["/Creator"] = info.creator
    pdf.docinfo["/Producer"] = info.creator
    pdf.docinfo["/CreationDate"] = info.pdf_date
    pdf.docinfo["/ModDate"] = info.pdf_date
    pdf.Root.Lang = pikepdf.String("en-US")
    return pdf, digests


def release_freed_memory() -> None:
    """Hand memory the C++ side has freed back to the system (glibc keeps freed heap for reuse
    and the process's resident size stays at its peak): qpdf's page concatenation copies every
    object of the packet and frees the copies when it ends, about 345 MB at 16,000 pages, which
    stayed resident through the rest of assembly. Nothing happens where there is no glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


@dataclass(frozen=True)
class BlockJob:
    """One block of uploads to stamp, as a worker receives it: the uploads as files in the work
    folder, each page's stamp text, and where the block goes."""

    inputs: tuple[Path, ...]
    stamps: tuple[str, ...]
    info: PacketInfo
    out: Path
    first_page: int


def _cached_block(
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


def _block_job(run: list[Placed], info: PacketInfo, total: int, path: Path) -> BlockJob:
    """The block's uploads written to the work folder, one file at a time (never all in
    memory), and its stamps."""
    inputs: list[Path] = []
    stamps: list[str] = []
    n = run[0].first_page
    for piece in run:
        for k, part in enumerate(piece.content.pdfs()):
            inputs.append(path.with_name(f"in-{piece.first_page:06d}-{k}.pdf"))
            inputs[-1].write_bytes(part)
        for _ in range(piece.pages):
            stamps.append(stamp_text(info, piece.piece, n, total))
            n += 1
    return BlockJob(tuple(inputs), tuple(stamps), info, path, run[0].first_page)


def _note_digests(digests: dict[int, str], first: int, known: bytes) -> None:
    for offset, value in enumerate(json.loads(known)):
        digests[first + offset] = value


def build_block(job: BlockJob) -> bytes:
    """Stamp one block of uploads into `job.out` (on a worker); returns its page digests as
    JSON."""
    block = pikepdf.new()
    sources = [pikepdf.open(path) for path in job.inputs]
    try:
        for src in sources:
            block.pages.extend(src.pages)
        font = stamp_font(block, stamp_charset(job.info))
        for page, text in zip(block.pages, job.stamps, strict=True):
            fit_upload_page(block, page, font, text, job.info.max_page)
            stamp_page(block, page, font, text, job.info.draft)
        block.save(job.out, deterministic_id=True)
    finally:
        block.close()
        for src in sources:
            src.close()
    with pikepdf.open(job.out) as saved:
        memo: dict[tuple[int, int], bytes] = {}
        return json.dumps([page_digest(page, memo=memo) for page in saved.pages]).encode()


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


def unstamped_sha256(piece: Piece, content: Content) -> str:
    """What a document holds before it is stamped and placed, compared across sequences of the
    packet (a document that only moved is unchanged): an upload by its file (and page range),
    a generated document by its laid-out pages. Page numbers the assembler writes into page
    references are placement, not content."""
    if piece.kind == "upload":
        if "#" in piece.doc_key:  # a page range of an upload split across parts
            rng = piece.doc_key.rsplit("#", 1)[1]
            return hashlib.sha256(f"{content.source_sha256}#{rng}".encode()).hexdigest()
        return content.source_sha256
    h = hashlib.sha256()
    for part in content.pdfs():
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def document_hashes(
    pages: list[pikepdf.Page],
    piece: Placed,
    known: dict[int, str],
    memo: dict[tuple[int, int], bytes] | None = None,
) -> tuple[str, list[str]]:
    """(content_sha256, per-page short hashes) over the final, stamped pages of one document
    (`pages`: the packet's pages, in order)."""
    digests = [
        known.get(n) or page_digest(pages[n - 1], memo=memo)
        for n in range(piece.first_page, piece.last_page + 1)
    ]
    return hashlib.sha256("".join(digests).encode()).hexdigest(), [p[:16] for p in digests]


def manifest_sections(
    pdf: pikepdf.Pdf, pieces: list[Placed], known: dict[int, str]
) -> list[dict[str, Any]]:
    memo: dict[tuple[int, int], bytes] = {}  # objects the pages share, hashed once
    pages = list(pdf.pages)
    sections: list[dict[str, Any]] = []
    for piece in pieces:
        if not sections or sections[-1]["letter"] != piece.section:
            sections.append(
                {
                    "letter": piece.section,
                    "title": piece.piece.section_title or section_title(piece.section),
                    "first_page": piece.first_page,
                    "last_page": piece.last_page,
                    "documents": [],
                    # a section of its own (a response's exhibits): its bookmark, to verify by
                    **(
                        {"bookmark": piece.piece.section_title} if piece.piece.section_title else {}
                    ),
                }
            )
        digest, hashes = document_hashes(pages, piece, known, memo)
        sections[-1]["last_page"] = piece.last_page
        sections[-1]["documents"].append(
            {
                "key": piece.piece.doc_key,
                "title": piece.title,
                "kind": piece.kind,
                "source": piece.source,
                "source_sha256": piece.source_sha256,
                "first_page": piece.first_page,
                "last_page": piece.last_page,
                "content_sha256": digest,
                "unstamped_sha256": unstamped_sha256(piece.piece, piece.content),
                "page_sha256": hashes,
                **({"staff_id": piece.staff_id} if piece.staff_id else {}),
            }
        )
    return sections


def manifest_json(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def finish(
    pdf: pikepdf.Pdf, manifest: dict[str, Any], target: Path, embed: str = "manifest.json"
) -> None:
    """Embed the manifest (packet.sha256 null) as `embed` and save deterministically to
    `target`."""
    embedded = json.loads(json.dumps(manifest))
    embedded["packet"]["sha256"] = None
    for part in embedded.get("parts") or []:  # a file cannot hold its own hash or size
        part["sha256"] = part["bytes"] = None
    spec = pikepdf.AttachedFileSpec(
        pdf,
        manifest_json(embedded),
        mime_type="application/json",
        filename=embed,
        description="cmpacket manifest",
    )
    pdf.attachments[embed] = spec
    pdf.Root.PageMode = Name.UseOutlines
    pdf.save(
        target,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
