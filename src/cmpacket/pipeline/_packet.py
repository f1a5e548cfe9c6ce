"""The build's assembly and self-verification: the packet merged (or reused whole from the cache),
its manifest, and the reviewer's checks run on it before anything is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmpacket import __version__
from cmpacket._dates import pdf_date_for
from cmpacket.assemble import part_name
from cmpacket.errors import BuildError
from cmpacket.pipeline._workspace import Workspace
from cmpacket.plan import Content, Piece, file_sha256, prefix, slug
from cmpacket.validators import Checked


def packet_info(
    checked: Checked,
    body: str,
    fingerprint: str,
    draft: bool,
    max_page: tuple[float, float] | None = None,
) -> Any:
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


def assemble(
    ws: Workspace,
    made: list[tuple[Piece, Content]],
    info: Any,
    base: dict[str, Any],
    part_of: dict[str, int] | None = None,
) -> Assembled:
    """Merge, stamp and describe the packet, as one file or (with `part_of`) as parts; a packet
    built before from the same pieces is reused."""
    from cmpacket.assemble import dedupe_images, finish, manifest_sections, merge, number_pages

    placed, refs = number_pages(made)
    part_of = part_of or {}
    for p in placed:
        if p.key in part_of:
            ref = f"part/{part_of[p.key]}"
            refs[ref] = (refs.get(ref, (p.first_page, 0))[0], p.last_page)
    base = dict(base, evidence=evidence_pages(base.get("evidence") or [], refs))
    total = placed[-1].last_page
    count = max(part_of.values(), default=1)
    ws.progress.step(f"Assembling {total} pages" + (f" in {count} parts" if count > 1 else ""))
    filename = f"{slug(info.legal_name)}-packet.pdf"
    base = dict(base, packet={"file": filename, "sha256": None, "pages": total})
    names = (
        [part_name(filename, k, count) for k in range(1, count + 1)] if count > 1 else [filename]
    )
    layout = [
        (p.key, p.section, p.title, p.kind, p.source, p.source_sha256, p.staff_id, p.cache_key)
        for p in placed
    ]
    key = ws.cache.key(
        "packet", json.dumps([layout, info.__dict__, base, part_of], sort_keys=True, default=str)
    )
    files = [ws.work / name for name in names]
    hit = ws.cache.get(key + "-manifest", "packet")
    if hit is not None and all(
        ws.cache.get_file(f"{key}-{i}", path, "packet-pdf") for i, path in enumerate(files)
    ):
        return Assembled(files, json.loads(hit), refs, cached=True)
    pdf, known = merge(placed, info, refs, ws.cache, ws.work)
    with pdf:
        dedupe_images(pdf)
        manifest = dict(base, sections=manifest_sections(pdf, placed, known))
        if count == 1:
            finish(pdf, manifest, files[0])
            manifest["packet"]["sha256"] = file_sha256(files[0])
        else:
            _write_parts(pdf, placed, manifest, names, refs, files)
    for i, path in enumerate(files):
        ws.cache.put_file(f"{key}-{i}", path)
    ws.cache.put(key + "-manifest", json.dumps(manifest, sort_keys=True).encode())
    return Assembled(files, manifest, refs, cached=False, known_digests=known)


def _write_parts(
    pdf: Any,
    placed: list[Any],
    manifest: dict[str, Any],
    names: list[str],
    refs: dict[str, tuple[int, int]],
    files: list[Path],
) -> None:
    """Each part's file from the assembled packet, each with the manifest (whose `parts` lists
    every part: sha256 and bytes in the sidecar only, a file cannot hold its own)."""
    from cmpacket.assemble import finish, write_part
    from cmpacket.plan import outline_tree

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
            finish(part, manifest, path)
    for entry, path in zip(manifest["parts"], files, strict=True):
        entry["sha256"], entry["bytes"] = file_sha256(path), path.stat().st_size


def evidence_pages(
    entries: list[dict[str, Any]], refs: dict[str, tuple[int, int]]
) -> list[dict[str, Any]]:
    """The manifest's evidence entries with each proof's first packet page (its path is its
    piece key)."""
    return [dict(e, page=refs.get(f"doc/{e['path']}", (None, 0))[0]) for e in entries]


def self_verify(ws: Workspace, done: Assembled) -> None:
    """The reviewer's checks on the packet just built (a cached packet was checked when built)."""
    from cmpacket.verify import verify_parts, verify_source

    ws.progress.step("Verifying the packet")
    if done.cached:
        return
    if len(done.files) > 1:
        result = verify_parts(done.files, done.manifest, done.known_digests)
    else:
        name = done.manifest["packet"]["file"]
        result = verify_source(done.packet, name, done.manifest, done.known_digests)
    if not result.ok:
        problems = "; ".join(f"[{f.code}] {f.path}: {f.message}" for f in result.findings[:5])
        raise BuildError(f"the built packet failed its own verification: {problems}")
