"""Merge the pieces into the packet: links, outline, labels, stamps, metadata, manifest."""

from __future__ import annotations

import ctypes
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Name

from cmpacket._json import dumps as readable_json
from cmpacket.assemble._blocks import (
    BLOCK,
    BlockJob,
    block_job,
    build_block,
    cached_block,
    note_digests,
)
from cmpacket.assemble._pdfops import (
    add_font,
    add_outline,
    resolve_links,
    set_page_labels,
    stamp_font,
    stamp_page,
)
from cmpacket.assemble._placed import (
    PacketInfo,
    Placed,
    stamp_charset,
    stamp_text,
)
from cmpacket.pdfread import page_digest
from cmpacket.plan import Content, Piece, outline_tree, section_title


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
    # the workers read the uploads' entries: written first, so an entry counts as held only
    # once it is (a cache that cannot be written holds none, and the uploads go as files)
    cache.flush()
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
            path, key, known = cached_block(run, info, total, cache, work)
            if known is None:
                missing.append((key, block_job(run, info, total, path, cache)))
            else:
                note_digests(digests, run[0].first_page, known)
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
        note_digests(digests, job.first_page, known)
        for item in job.inputs:
            if isinstance(item, Path):
                item.unlink(missing_ok=True)
    merged = work / "merged.pdf"
    job_args = ["qpdf", "--deterministic-id", "--empty", "--pages", *map(str, files), "--"]
    pikepdf.Job([*job_args, str(merged)]).run()
    release_freed_memory()  # the join's copies of every object (GBs at 40,000 pages) are freed
    pdf = pikepdf.open(merged)
    font = stamp_font(pdf, stamp_charset(info), cache)
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
    return (readable_json(manifest) + "\n").encode("utf-8")


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
