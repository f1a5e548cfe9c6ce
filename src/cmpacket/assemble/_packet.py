"""Write the pieces as the packet: links, outline, labels, stamps, metadata, manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Dictionary, Name

from cmpacket._json import encode as encode_json
from cmpacket.assemble._blocks import (
    BLOCK,
    BlockJob,
    block_job,
    build_block,
    cached_block,
    note_digests,
)
from cmpacket.assemble._pdfops import (
    PacketFont,
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
from cmpacket.assemble._writer import CATALOG, PAGE_TREE, PacketWriter
from cmpacket.pdfread import page_digest
from cmpacket.plan import Content, Piece, outline_tree, section_title

INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")  # what a page may inherit


def sources(
    pieces: list[Placed],
    info: PacketInfo,
    cache: Any,
    work: Path,
    pool: Any = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> tuple[list[Path], dict[int, str]]:
    """The packet's pages as files in order, and the page digests already known.

    Runs of uploads are stamped in blocks kept in `cache` (with their page digests): when an
    agency changes one field, the thousands of proof pages that did not move are reused, not
    re-merged, re-stamped and re-hashed. Blocks not in the cache are built on the build's
    workers (`pool`), each from files in `work`, in parallel; `meanwhile` runs once they are
    sent (they come first: this process waits for them). Every generated part is a file in
    `work`.
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
    return files, digests


def write_packet(
    files: list[Path],
    pieces: list[Placed],
    info: PacketInfo,
    refs: dict[str, tuple[int, int]],
    cache: Any,
    target: Path,
    base: dict[str, Any],
    known: dict[int, str],
    embed: str | None = "manifest.json",
) -> dict[str, Any]:
    """Write the packet to `target` from its page `files` in order, one at a time: references
    filled and linked, every page stamped (the stamp font's objects written once), outline,
    labels, metadata, and the manifest (`base` with its sections, from every page's digest:
    those `known`, the rest computed here on the stamped pages) embedded as `embed` (none when
    None). Returns the manifest."""
    total = pieces[-1].last_page
    piece_at: list[Placed] = []
    for piece in pieces:
        piece_at += [piece] * (piece.last_page - piece.first_page + 1)
    fills = {"fingerprint": info.fingerprint, "page_id_prefix": info.prefix}
    digests = dict(known)
    # the stamp font is made once, written once, and copied into each file for its stamps and
    # digests (making it again for each file cost 1 ms a file; a copy, 0.2 ms)
    with PacketWriter(target, total) as writer, pikepdf.new() as scratch:
        shared = stamp_font(scratch, stamp_charset(info), cache)
        numbers = writer.copy(scratch, [(writer.number(), o) for o in shared.objects.values()], {})
        first = 1
        for path in files:
            with pikepdf.open(path) as src:
                pages = list(src.pages)
                if piece_at[first - 1].kind != "upload":  # a laid-out document's pages share
                    for page in pages:  # their resources: each keeps what it shows, as qpdf's
                        page.remove_unreferenced_resources()  # page copying did (auto mode)
                copies = {name: src.copy_foreign(obj) for name, obj in shared.objects.items()}
                font = PacketFont(shared.text, copies)
                preset = {copies[k].objgen: numbers[o.objgen] for k, o in shared.objects.items()}
                preset.update(_placed_pages(pages, first))
                resolve_links(src, pages, refs, font, fills, Targets(src, preset, total))
                memo: dict[tuple[int, int], bytes] = {}
                for k, page in enumerate(pages):
                    n, piece = first + k, piece_at[first + k - 1]
                    if piece.kind != "upload":
                        stamp_page(
                            src, page, font, stamp_text(info, piece.piece, n, total), info.draft
                        )
                    else:  # one font object for the whole packet, not one per stamped block
                        add_font(page, font)
                    if n not in digests:
                        digests[n] = page_digest(page, memo=memo)
                roots = [(writer.page(first + k), page.obj) for k, page in enumerate(pages)]
                writer.copy(src, roots, preset)
                first += len(pages)
        manifest = dict(base, sections=manifest_sections(pieces, digests))
        starts = {p.key: p.first_page for p in pieces}
        tree = outline_tree([p.piece for p in pieces], lambda x: starts[x.key])
        with pikepdf.new() as skeleton:
            info_number = _catalog(writer, skeleton, info, tree, manifest, embed)
        writer.close(info_number)
    return manifest


class Targets:
    """Objects of one source standing for packet pages (what a link or bookmark goes to), each
    written as the page's object number: a page can be linked before it is written."""

    def __init__(self, pdf: pikepdf.Pdf, preset: dict[tuple[int, int], int], pages: int) -> None:
        self.pdf, self.preset, self.pages = pdf, preset, pages
        self.made: dict[int, Any] = {}

    def __call__(self, n: int) -> Any:
        """The object standing for page `n` (1-based), None for no page of the packet."""
        if not 1 <= n <= self.pages:
            return None
        if n not in self.made:
            self.made[n] = self.pdf.make_indirect(Dictionary())
            self.preset[self.made[n].objgen] = PacketWriter.page(n)
        return self.made[n]


def _placed_pages(pages: list[pikepdf.Page], first: int) -> dict[tuple[int, int], int]:
    """The numbers of a source's pages in the packet (from packet page `first` on); their page
    tree nodes are the packet's page tree, and what a page inherits from them is its own."""
    preset: dict[tuple[int, int], int] = {}
    for k, page in enumerate(pages):
        parent = page.obj.get("/Parent")
        node = parent
        while isinstance(node, Dictionary) and any(key not in page.obj for key in INHERITED):
            for key in INHERITED:
                if key not in page.obj and key in node:
                    page.obj[key] = node[key]
            node = node.get("/Parent")
        if isinstance(parent, Dictionary) and parent.is_indirect:
            preset[parent.objgen] = PAGE_TREE
        preset[page.obj.objgen] = PacketWriter.page(first + k)
    return preset


def _catalog(
    writer: PacketWriter,
    pdf: pikepdf.Pdf,
    info: PacketInfo,
    tree: list[dict[str, Any]],
    manifest: dict[str, Any],
    embed: str | None,
) -> int:
    """The catalogue (outline, page labels, language, the manifest attached) and the document
    information, made in the empty `pdf` and written; returns the information's number."""
    preset = {pdf.Root.Pages.objgen: PAGE_TREE}
    targets = Targets(pdf, preset, writer.pages)
    add_outline(pdf, tree, lambda index: targets(index + 1))
    set_page_labels(pdf)
    set_docinfo(pdf, info)
    if embed:
        attach_manifest(pdf, manifest, embed)
    pdf.Root.PageMode = Name.UseOutlines
    number = writer.number()
    writer.copy(pdf, [(CATALOG, pdf.Root), (number, pdf.docinfo)], preset)
    return number


def set_docinfo(pdf: pikepdf.Pdf, info: PacketInfo) -> None:
    """The document information and language every packet file carries."""
    pdf.docinfo["/Title"] = info.title
    pdf.docinfo["/Author"] = info.legal_name
    pdf.docinfo["/Subject"] = info.subject
    pdf.docinfo["/Creator"] = info.creator
    pdf.docinfo["/Producer"] = info.creator
    pdf.docinfo["/CreationDate"] = info.pdf_date
    pdf.docinfo["/ModDate"] = info.pdf_date
    pdf.Root.Lang = pikepdf.String("en-US")


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


def document_hashes(piece: Placed, digests: dict[int, str]) -> tuple[str, list[str]]:
    """(content_sha256, per-page short hashes) over the final, stamped pages of one document
    (`digests`: every page's, by packet page number)."""
    pages = [digests[n] for n in range(piece.first_page, piece.last_page + 1)]
    return hashlib.sha256("".join(pages).encode()).hexdigest(), [p[:16] for p in pages]


def manifest_sections(pieces: list[Placed], digests: dict[int, str]) -> list[dict[str, Any]]:
    """The manifest's sections and documents (`digests`: every page's, by page number)."""
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
        digest, hashes = document_hashes(piece, digests)
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
    return encode_json(manifest)


def finish(
    pdf: pikepdf.Pdf, manifest: dict[str, Any], target: Path, embed: str = "manifest.json"
) -> None:
    """Embed the manifest (packet.sha256 null) as `embed` and save deterministically to
    `target`."""
    attach_manifest(pdf, manifest, embed)
    pdf.Root.PageMode = Name.UseOutlines
    pdf.save(
        target,
        deterministic_id=True,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )


def attach_manifest(pdf: pikepdf.Pdf, manifest: dict[str, Any], embed: str) -> None:
    """The manifest attached to `pdf` as `embed` (with packet.sha256 null: a file cannot hold
    its own hash, nor a part its own size)."""
    # copied only where it differs (a deep copy of a 2,000-staff manifest took 100 MB)
    embedded = dict(manifest, packet=dict(manifest["packet"], sha256=None))
    if manifest.get("parts"):  # a file cannot hold its own hash or size
        embedded["parts"] = [dict(p, sha256=None, bytes=None) for p in manifest["parts"]]
    spec = pikepdf.AttachedFileSpec(
        pdf,
        manifest_json(embedded),
        mime_type="application/json",
        filename=embed,
        description="cmpacket manifest",
    )
    pdf.attachments[embed] = spec
