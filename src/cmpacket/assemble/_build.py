"""The packet assembled: merged and stamped from the made pieces (or reused whole from the
cache), written as one file or as parts, with its manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket import __version__
from cmpacket._dates import pdf_date_for
from cmpacket.assemble._packet import finish, sources, write_packet
from cmpacket.assemble._parts import write_part
from cmpacket.assemble._placed import PacketInfo, Placed, number_pages
from cmpacket.cache import Cache, file_sha256
from cmpacket.model import AgencyData
from cmpacket.plan import Content, Piece, outline_tree, part_name, prefix, slug


def packet_info(
    data: AgencyData,
    as_of: date,
    body: str,
    fingerprint: str,
    draft: bool,
    max_page: tuple[float, float] | None = None,
) -> PacketInfo:
    """What every page and the document's metadata say of the packet."""
    legal = data.agency.legal_name or data.agency.display_name
    return PacketInfo(
        legal_name=legal,
        prefix=prefix(data),
        draft=draft,
        title=f"{legal} \u2014 Case Management Agency Certification Packet",
        subject=f"Case Management Agency certification packet for {body}, as of {as_of}",
        pdf_date=pdf_date_for(as_of),
        creator=f"cmpacket {__version__}",
        fingerprint=fingerprint,
        max_page=max_page,
    )


@dataclass(frozen=True)
class Assembled:
    """The packet in the work folder — one file, or its parts in order — with its manifest and
    page references; `cached` when reused whole; `known_digests` are page digests already
    computed while stamping."""

    files: list[Path]
    manifest: dict[str, Any]
    refs: dict[str, tuple[int, int]]
    cached: bool
    known_digests: dict[int, str] = field(default_factory=dict)

    @property
    def packet(self) -> Path:
        return self.files[0]


@dataclass(frozen=True)
class Layout:
    """The pieces placed on their packet pages, and the page references that makes (a document
    `doc/KEY`, a section, a staff member's proofs, a part `part/K`)."""

    placed: list[Placed]
    refs: dict[str, tuple[int, int]]
    part_of: dict[str, int]

    @property
    def pages(self) -> int:
        return self.placed[-1].last_page

    @property
    def parts(self) -> int:
        return max(self.part_of.values(), default=1)


def place(made: list[tuple[Piece, Content]], part_of: dict[str, int] | None = None) -> Layout:
    """Number the packet's pages: where each piece starts, and every page reference."""
    placed, refs = number_pages(made)
    part_of = part_of or {}
    for p in placed:
        if p.key in part_of:
            ref = f"part/{part_of[p.key]}"
            refs[ref] = (refs.get(ref, (p.first_page, 0))[0], p.last_page)
    return Layout(placed, refs, part_of)


def assemble(
    layout: Layout,
    info: PacketInfo,
    base: dict[str, Any],
    *,
    cache: Cache,
    work: Path,
    announce: Callable[[str], None] = lambda text: None,
    filename: str = "",
    embed: str = "manifest.json",
    pool: Any = None,
    meanwhile: Callable[[], None] = lambda: None,
) -> Assembled:
    """Merge, stamp and describe the packet, as one file or (with parts in the layout) as parts,
    in the folder `work`; a packet built before from the same pieces is reused. Blocks of
    uploads not in the cache are stamped on `pool` (the build's workers) when given;
    `meanwhile` runs once they are sent (or at once), e.g. to give the workers more to do."""
    placed, refs, part_of = layout.placed, layout.refs, layout.part_of
    base = dict(base, evidence=evidence_pages(base.get("evidence") or [], refs))
    total, count = layout.pages, layout.parts
    announce(f"Assembling {total} pages" + (f" in {count} parts" if count > 1 else ""))
    filename = filename or f"{slug(info.legal_name)}-packet.pdf"
    base = dict(base, packet={"file": filename, "sha256": None, "pages": total})
    names = (
        [part_name(filename, k, count) for k in range(1, count + 1)] if count > 1 else [filename]
    )
    pieces = [
        (p.key, p.section, p.title, p.kind, p.source, p.source_sha256, p.staff_id, p.cache_key)
        for p in placed
    ]
    key = cache.key(
        "packet",
        json.dumps([pieces, info.__dict__, base, part_of, embed], sort_keys=True, default=str),
    )
    files = [work / name for name in names]
    hit = cache.get(key + "-manifest", "packet")
    if hit is not None and all(
        cache.get_file(f"{key}-{i}", path, "packet-pdf") for i, path in enumerate(files)
    ):
        meanwhile()
        return Assembled(files, json.loads(hit), refs, cached=True)
    pages, known = sources(placed, info, cache, work, pool, meanwhile)
    if count == 1:
        manifest = write_packet(pages, placed, info, refs, cache, files[0], base, known, embed)
        manifest["packet"]["sha256"] = file_sha256(files[0])
    else:  # the parts are cut from the packet written whole (holding it: a receiver's parts)
        whole = work / "whole.pdf"
        manifest = write_packet(pages, placed, info, refs, cache, whole, base, known, None)
        with pikepdf.open(whole) as pdf:
            _write_parts(pdf, placed, manifest, names, refs, files, embed)
    for i, path in enumerate(files):
        cache.put_file(f"{key}-{i}", path)
    cache.put(key + "-manifest", json.dumps(manifest, sort_keys=True).encode())
    return Assembled(files, manifest, refs, cached=False, known_digests=known)


def _write_parts(
    pdf: Any,
    placed: list[Any],
    manifest: dict[str, Any],
    names: list[str],
    refs: dict[str, tuple[int, int]],
    files: list[Path],
    embed: str,
) -> None:
    """Each part's file from the assembled packet, each with the manifest (whose `parts` lists
    every part: sha256 and bytes in the sidecar only, a file cannot hold its own)."""
    count = len(names)
    ranges = [refs[f"part/{k}"] for k in range(1, count + 1)]
    manifest["parts"] = [
        {"file": n, "sha256": None, "first_page": a, "last_page": b, "bytes": None}
        for n, (a, b) in zip(names, ranges, strict=True)
    ]
    first = {p.key: p.first_page for p in placed}
    tree = outline_tree([p.piece for p in placed], lambda x: first[x.key])
    spans = [(n, a, b) for n, (a, b) in zip(names, ranges, strict=True)]
    info = {k: str(v) for k, v in pdf.docinfo.items()}
    for k, (path, (a, b)) in enumerate(zip(files, ranges, strict=True), start=1):
        docinfo = dict(info, **{"/Title": f"{info.get('/Title', '')} \u2014 Part {k} of {count}"})
        with write_part(pdf, a, b, tree, spans, docinfo) as part:
            finish(part, manifest, path, embed)
    for entry, path in zip(manifest["parts"], files, strict=True):
        entry["sha256"], entry["bytes"] = file_sha256(path), path.stat().st_size


def evidence_pages(
    entries: list[dict[str, Any]], refs: dict[str, tuple[int, int]]
) -> list[dict[str, Any]]:
    """The manifest's evidence entries with each proof's first packet page (its path is its
    piece key)."""
    return [dict(e, page=refs.get(f"doc/{e['path']}", (None, 0))[0]) for e in entries]
