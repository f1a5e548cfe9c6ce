"""The build's assembly and self-verification: the packet merged (or reused whole from the cache),
its manifest, and the reviewer's checks run on it before anything is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmpacket import __version__
from cmpacket._dates import pdf_date_for
from cmpacket.build._workspace import Workspace
from cmpacket.errors import BuildError
from cmpacket.plan import Content, Piece, file_sha256, prefix, slug
from cmpacket.validators import Checked


def packet_info(checked: Checked, body: str, fingerprint: str, draft: bool) -> Any:
    from cmpacket.assemble import PacketInfo

    data, report = checked.data, checked.report
    assert data is not None
    legal = data.agency.legal_name or data.agency.display_name
    return PacketInfo(
        legal_name=legal,
        prefix=prefix(data),
        draft=draft,
        title=f"{legal} \u2014 Case Management Agency Certification Packet",
        subject=f"Case Management Agency certification packet for {body}, as of {report.as_of}",
        pdf_date=pdf_date_for(report.as_of),
        creator=f"cmpacket {__version__}",
        fingerprint=fingerprint,
    )


@dataclass(frozen=True)
class Assembled:
    """The packet in the work folder, its manifest and page references; `cached` when reused
    whole; `known_digests` are page digests already computed while stamping."""

    packet: Path
    manifest: dict[str, Any]
    refs: dict[str, tuple[int, int]]
    cached: bool
    known_digests: dict[int, str] = field(default_factory=dict)


def assemble(
    ws: Workspace, made: list[tuple[Piece, Content]], info: Any, base: dict[str, Any]
) -> Assembled:
    """Merge, stamp and describe the packet; a packet built before from the same pieces is reused."""
    from cmpacket.assemble import finish, manifest_sections, merge, number_pages

    placed, refs = number_pages(made)
    base = dict(base, evidence=evidence_pages(base.get("evidence") or [], refs))
    total = placed[-1].last_page
    ws.progress.step(f"Assembling {total} pages")
    filename = f"{slug(info.legal_name)}-packet.pdf"
    base = dict(base, packet={"file": filename, "sha256": None, "pages": total})
    layout = [
        (p.key, p.section, p.title, p.kind, p.source, p.source_sha256, p.staff_id, p.cache_key)
        for p in placed
    ]
    key = ws.cache.key(
        "packet", json.dumps([layout, info.__dict__, base], sort_keys=True, default=str)
    )
    packet = ws.work / filename
    hit = ws.cache.get(key + "-manifest", "packet")
    if hit is not None and ws.cache.get_file(key, packet, "packet-pdf"):
        return Assembled(packet, json.loads(hit), refs, cached=True)
    pdf, known = merge(placed, info, refs, ws.cache, ws.work)
    with pdf:
        manifest = dict(base, sections=manifest_sections(pdf, placed, known))
        finish(pdf, manifest, packet)
    manifest["packet"]["sha256"] = file_sha256(packet)
    ws.cache.put_file(key, packet)
    ws.cache.put(key + "-manifest", json.dumps(manifest, sort_keys=True).encode())
    return Assembled(packet, manifest, refs, cached=False, known_digests=known)


def evidence_pages(
    entries: list[dict[str, Any]], refs: dict[str, tuple[int, int]]
) -> list[dict[str, Any]]:
    """The manifest's evidence entries with each proof's first packet page (its path is its
    piece key)."""
    return [dict(e, page=refs.get(f"doc/{e['path']}", (None, 0))[0]) for e in entries]


def self_verify(ws: Workspace, done: Assembled) -> None:
    """The reviewer's checks on the packet just built (a cached packet was checked when built)."""
    from cmpacket.verify import verify_source

    ws.progress.step("Verifying the packet")
    if done.cached:
        return
    name = done.manifest["packet"]["file"]
    result = verify_source(done.packet, name, done.manifest, done.known_digests)
    if not result.ok:
        problems = "; ".join(f"[{f.code}] {f.path}: {f.message}" for f in result.findings[:5])
        raise BuildError(f"the built packet failed its own verification: {problems}")
