"""`cmpacket build`: load -> validate -> render -> take in uploads -> assemble -> verify -> write.

Every document is laid out once: page numbers are filled in by the assembler (see
`render._filters.pageref`). Rendered pieces, sanitized uploads, Word copies and the finished
packet are kept in a content-addressed cache (`_cache`), so a rebuild redoes only what changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cmpacket import __version__
from cmpacket._cache import Cache, default_dir, digest
from cmpacket._interrupt import checkpoint, deferred
from cmpacket._progress import Progress
from cmpacket.errors import BuildError, NotReadyError
from cmpacket.templates import TemplateRegistry


@dataclass
class BuildResult:
    """What a build wrote."""

    out: Path
    packet: Path
    manifest: Path
    readiness: Path
    documents: list[Path]
    pages: int
    draft: bool
    cache_hits: int = 0
    rebuilt: list[str] = field(default_factory=list)  # what was made afresh (cache misses)


@dataclass
class Job:
    """Per-run state of one build."""

    folder: Path
    out: Path
    options: dict[str, Any]
    progress: Progress
    cache: Cache
    checked: Any = None
    registry: TemplateRegistry = field(default_factory=lambda: TemplateRegistry([]))
    context: dict[str, Any] = field(default_factory=dict)
    pieces: list[Any] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)
    uploads: dict[Path, tuple[Any, bytes | None, str]] = field(default_factory=dict)
    docx: dict[str, bytes] = field(default_factory=dict)
    converters: set[str] = field(default_factory=set)
    resources: str = ""
    refs: dict[str, tuple[int, int]] = field(default_factory=dict)
    hashes: dict[Path, str] = field(default_factory=dict)  # sha256 of files already read
    shared: dict[str, Any] = field(default_factory=dict)  # the validation rules' per-run cache
    packet_cached: bool = False
    upload_count: int = 0
    work: Path = Path()
    known_digests: dict[int, str] = field(default_factory=dict)


def build(
    folder: Path, out: Path | None = None, *, quiet: bool = False, **options: Any
) -> BuildResult:
    """Build the packet of an agency folder; nothing is written to OUT unless every step succeeds."""
    cache_dir = None if options.get("no_cache") else Path(options.get("cache_dir") or default_dir())
    job = Job(
        folder.resolve(),
        (out or folder / "out").resolve(),
        options,
        Progress(7, quiet),
        Cache(cache_dir),
    )
    work = job.work = Path(tempfile.mkdtemp(prefix="cmpacket-"))
    try:
        with deferred():
            return _run(job, work)
    finally:
        if options.get("keep_temp"):
            if not quiet:
                print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


# Planning a large packet takes long enough to hide most of WeasyPrint's import; for a small one
# the import would only compete with a no-change rebuild that never renders.
PRELOAD_STAFF = 100


def _preload_renderer() -> Any:
    """Import WeasyPrint on a thread while the packet is planned (the import takes about half a
    second, mostly loading native libraries); rendering then finds it ready."""
    import threading

    def load() -> None:
        with contextlib.suppress(Exception):  # reported where rendering imports it
            import weasyprint  # noqa: F401

    thread = threading.Thread(target=load, name="cmpacket-preload", daemon=True)
    thread.start()
    return thread


def _run(job: Job, work: Path) -> BuildResult:
    """The pipeline, a step at a time (Ctrl-C takes effect between steps and pieces)."""
    validate(job)
    if len(job.checked.data.staff) >= PRELOAD_STAFF:
        _preload_renderer()
    plan_pieces(job)
    render_documents(job)
    take_in_uploads(job)
    packet, manifest = assemble(job)
    render_word_documents(job)
    self_verify(job, packet, manifest)
    if job.options.get("keep_temp"):
        _keep(job, work)
    return write_outputs(job, packet, manifest)


def _keep(job: Job, work: Path) -> None:
    """--keep-temp: every piece's PDF beside the blocks and the packet, for inspection."""
    for i, piece in enumerate(job.pieces):
        for k, part in enumerate(piece.parts or (piece.load() if piece.load else [])):
            name = "".join(c if c.isalnum() else "-" for c in piece.key)[:60]
            (work / f"{i:04d}-{name}-{k}.pdf").write_bytes(part)
    # the packet itself is already in the work folder


# -- 1. validate ------------------------------------------------------------------------------


def validate(job: Job) -> None:
    from cmpacket.api import check_folder

    job.progress.step("Validating the agency data and uploads")
    o = job.options
    job.shared["inspect"] = _intake(job)
    job.upload_count = _count_uploads(job.folder)
    job.checked = check_folder(
        job.folder,
        as_of=o.get("as_of"),
        strict=bool(o.get("strict")),
        profile=o.get("profile"),
        template_dirs=tuple(o.get("template_dirs") or ()),
        limits=o.get("limits"),
        cache=job.shared,
        ocr=o.get("ocr"),
    )
    report = job.checked.report
    if job.checked.data is None:
        raise NotReadyError("the agency data has schema errors; nothing was built.", report)
    if not report.ready and not o.get("draft"):
        c = report.counts
        raise NotReadyError(
            f"{c['error']} error finding(s); nothing was written. Fix them "
            f"(cmpacket validate lists them) or build a draft with --draft.",
            report,
        )


def _count_uploads(folder: Path) -> int:
    """How many files the uploads folder holds (the progress bar's total; 0 if unknown)."""
    uploads = folder / "uploads"
    if not uploads.is_dir():
        return 0
    return sum(1 for p in uploads.rglob("*") if p.is_file() and not p.name.startswith("."))


def _intake(job: Job) -> Any:
    """Inspect and sanitize each upload once, through the cache; validation reads the facts."""
    from cmpacket.assemble._intake import facts_from_json, facts_to_json, intake_tag, take_in
    from cmpacket.assemble._plan import file_sha256

    def run(path: Path, limits: dict[str, Any]) -> Any:
        sha = file_sha256(path)
        shown = _display(path, job.folder)
        tag = intake_tag(path)  # the converter a non-PDF goes through
        limits_json = json.dumps(limits, sort_keys=True, default=str)
        facts_key = digest("upload-facts", sha, limits_json, tag)
        pdf_key = digest("upload-pdf", sha, tag)
        hit = job.cache.get(facts_key, f"upload:{shown}")
        pdf = None
        if hit is not None:
            facts = facts_from_json(path, json.loads(hit))
        else:
            facts, pdf = take_in(path, limits)
            if pdf is not None:
                job.cache.put(pdf_key, pdf)
            job.cache.put(facts_key, json.dumps(facts_to_json(facts)).encode())
        # With a cache, sanitized PDFs are not held in memory: they are read back only when a
        # block of the packet must be (re)built, so memory does not grow with the uploads.
        keep = pdf if job.cache.root is None else None
        job.uploads[path] = (facts, keep, pdf_key if facts.usable else "")
        job.hashes[path] = sha
        job.progress.update("Uploads", len(job.uploads), job.upload_count)
        checkpoint()
        return facts

    return run


# -- 2. plan and render -----------------------------------------------------------------------


def plan_pieces(job: Job) -> None:
    from cmpacket.assemble._plan import file_sha256, plan
    from cmpacket.render import base_context

    data, report = job.checked.data, job.checked.report
    job.registry = TemplateRegistry.for_agency(
        data.folder, tuple(job.options.get("template_dirs") or ())
    )
    resolved = {use.ref.given: use.ref for use in job.shared.get("upload_uses", [])}
    job.pieces = plan(data, resolved)
    files = {name: data.folder / name for name in data.source_files}
    for piece in job.pieces:
        if piece.upload is not None:
            files[piece.source] = piece.upload
    profile_src = Path(job.checked.profile.source)
    if profile_src.is_file():
        files[_display(profile_src, data.folder)] = profile_src
    job.inputs = [
        {"path": k, "sha256": job.hashes.get(v) or file_sha256(v)} for k, v in sorted(files.items())
    ]
    hashes = {i["path"]: i["sha256"] for i in job.inputs}
    for piece in job.pieces:
        if piece.upload is not None:
            piece.source_sha256 = hashes[piece.source]
    job.context = base_context(data, job.checked.profile, report, bool(job.options.get("draft")))
    line = "\n".join(f"{i['path']}:{i['sha256']}" for i in job.inputs)
    job.context["fingerprint"] = hashlib.sha256(line.encode()).hexdigest()[:16]
    job.resources = _resources_digest(job.registry)


def _resources_digest(registry: TemplateRegistry) -> str:
    """A digest of every file a stylesheet or page could load (CSS, images, fonts) and WeasyPrint."""
    from importlib.metadata import version

    parts = [version("weasyprint")]  # not `import weasyprint`: a warm rebuild never needs it
    for name in registry.names(suffixes=None):
        if not name.endswith((".j2", ".docx")):
            # find() also records the file as used, so the manifest lists every file a page could
            # load whether or not this build had to lay any page out
            parts += [name, registry.find(name).sha256]
    return digest("resources", *parts)


def _display(path: Path, folder: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(folder).as_posix() if resolved.is_relative_to(folder) else str(path)


def render_documents(job: Job) -> None:
    from cmpacket.render import policy_chapters
    from cmpacket.render._pool import render_all
    from cmpacket.render._readiness import requirements

    docs = [p for p in job.pieces if p.template]
    job.progress.step(f"Rendering {len(docs)} documents")
    job.context["chapters"] = policy_chapters(job.registry, job.context)
    job.context["toc"] = toc(job.pieces)
    job.context["requirements"] = requirements(job.checked.profile, job.context["readiness"])
    proofs = {p.staff_id for p in job.pieces if p.staff_id}
    for s in job.context["staff"]:
        s["ref"] = f"staff/{s['id']}" if s["id"] in proofs else ""
    pending = {piece.key: prepare_piece(job, piece) for piece in docs}
    todo = [part for parts in pending.values() for part in parts if part.pdf is None]
    rendered = render_all(
        [(p.name, p.html) for p in todo],
        job.registry,
        meanwhile=lambda: _early_word(job),
        progress=lambda done, total: job.progress.update("Laying out", done, total),
    )
    for part, pdf in zip(todo, rendered, strict=True):
        part.pdf = pdf
        job.cache.put(part.key, pdf)
    for piece in docs:
        if pending[piece.key]:
            _set_parts(job, piece, [(part.pdf or b"", part.key) for part in pending[piece.key]])


@dataclass
class Part:
    """One HTML document waiting for layout; `pdf` is set from the cache or after rendering."""

    name: str
    html: str
    key: str
    pdf: bytes | None


def piece_context(job: Job, piece: Any) -> dict[str, Any]:
    ctx = dict(job.context)
    if piece.kind == "job-description":
        ctx["position"] = next(
            p for p in job.context["positions"] if p["key"] == piece.extra["position_key"]
        )
    return ctx


def prepare_piece(job: Job, piece: Any) -> list[Part]:
    """Render a piece's template(s) to HTML and look each up in the cache (layout comes later)."""
    ctx = piece_context(job, piece)
    wanted = (
        job.checked.data.documents.get(piece.kind)
        if isinstance(job.checked.data.documents, dict)
        else None
    )
    if piece.word and isinstance(wanted, dict) and wanted.get("source") == "word":
        _render_from_word(job, piece, ctx)  # sets piece.source to the Word template
        piece.source_sha256 = job.registry.find(piece.source).sha256
        return []
    piece.source_sha256 = job.registry.find(piece.source).sha256
    if piece.kind == "staff-roster":
        from cmpacket.assemble._plan import ROSTER_CHUNK

        staff = ctx["staff"]
        chunks = [staff[i : i + ROSTER_CHUNK] for i in range(0, len(staff), ROSTER_CHUNK)] or [[]]
        return [
            _prepare(
                job,
                piece.template,
                dict(ctx, staff=chunk, chunk={"first": i == 0, "total": len(staff)}),
            )
            for i, chunk in enumerate(chunks)
        ]
    return [_prepare(job, piece.template, ctx)]


def _prepare(job: Job, name: str, ctx: dict[str, Any]) -> Part:
    from cmpacket.render import render_template

    html = render_template(job.registry, name, ctx)
    key = digest("pdf", name, html, job.resources)
    job.converters.add("weasyprint")
    return Part(name, html, key, job.cache.get(key, f"pdf:{name}"))


def _html_part(job: Job, name: str, ctx: dict[str, Any]) -> tuple[bytes, str]:
    """Render one HTML document now (cache first)."""
    from cmpacket.render import html_to_pdf

    part = _prepare(job, name, ctx)
    if part.pdf is None:
        part.pdf = html_to_pdf(part.html, job.registry, name)
        job.cache.put(part.key, part.pdf)
    return part.pdf, part.key


def _render_from_word(job: Job, piece: Any, ctx: dict[str, Any]) -> None:
    from cmpacket.render import docx_to_pdf

    docx = _docx(job, piece.word, ctx)
    key = digest("word-pdf", hashlib.sha256(docx).hexdigest(), job.resources)
    pdf = job.cache.get(key, f"word-pdf:{piece.word}")
    converter = (
        "libreoffice" if pdf is not None and b"LibreOffice" in pdf[:4000] else "builtin-docx-html"
    )
    if pdf is None:
        pdf, converter = docx_to_pdf(docx, job.registry, piece.word)
        job.cache.put(key, pdf)
    job.converters.add(converter)
    piece.source = piece.word
    _set_parts(job, piece, [(pdf, key)])


def _set_parts(job: Job, piece: Any, parts: list[tuple[bytes, str]]) -> None:
    from cmpacket.assemble._packet import count_pages

    piece.parts = [pdf for pdf, _ in parts]
    piece.pages = sum(count_pages(pdf) for pdf in piece.parts)
    piece.cache_key = digest(*(key for _, key in parts))


def toc(pieces: list[Any]) -> list[dict[str, Any]]:
    """Index entries (page numbers are references the assembler fills in)."""
    from cmpacket.assemble._packet import section_title

    entries: list[dict[str, Any]] = []
    seen_sections: set[str] = set()
    seen_staff: set[str] = set()
    for p in pieces:
        if p.section != "front" and p.section not in seen_sections:
            seen_sections.add(p.section)
            title = f"{p.section}. {section_title(p.section)}"
            entries.append({"level": "section", "title": title, "ref": f"section/{p.section}"})
        if p.staff_id:
            if p.staff_id not in seen_staff:
                seen_staff.add(p.staff_id)
                count = sum(1 for x in pieces if x.staff_id == p.staff_id)
                name = p.title.split(":", 1)[0]
                title = f"{name} — qualifications and licensure proofs ({count})"
                entries.append({"level": "staff", "title": title, "ref": f"staff/{p.staff_id}"})
            continue
        level = "doc" if p.section != "front" else "section"
        entries.append({"level": level, "title": p.title, "ref": f"doc/{p.key}"})
    return entries


# -- 3. uploads -------------------------------------------------------------------------------


def take_in_uploads(job: Job) -> None:
    uploads = [p for p in job.pieces if p.kind == "upload"]
    job.progress.step(f"Taking in {len(uploads)} uploads")
    for piece in uploads:
        if piece.upload is None:
            _placeholder(job, piece, "the file is missing or outside the agency folder.")
            continue
        if piece.upload not in job.uploads:
            _intake(job)(piece.upload, job.checked.limits)
        facts, pdf, key = job.uploads[piece.upload]
        if not key:
            reason = "; ".join(
                m for k, m in facts.problems if k in ("unreadable", "encrypted", "too-large")
            )
            _placeholder(job, piece, reason or "the file could not be taken in.")
            continue
        piece.parts = [pdf] if pdf is not None else []
        piece.load = _loader(job, piece.upload, key)
        piece.pages, piece.cache_key = facts.pages, key
    from cmpacket.assemble._ocr import ocr_pieces

    ocr_pieces(job)  # text layers on pages without text (--ocr), through the cache


def _loader(job: Job, path: Path, key: str) -> Any:
    """Read a sanitized upload from the cache, or take it in again if the entry is gone."""
    from cmpacket.assemble._intake import take_in

    def load() -> list[bytes]:
        pdf = job.cache.get(key, f"upload-pdf:{_display(path, job.folder)}")
        if pdf is None:
            _, pdf = take_in(path, job.checked.limits)
            if pdf is None:
                raise BuildError(
                    f"{_display(path, job.folder)}: could not be taken in on a second reading."
                )
            job.cache.put(key, pdf)
        return [pdf]

    return load


def _placeholder(job: Job, piece: Any, reason: str) -> None:
    """Only reachable in --draft builds: a page saying which upload is missing and why."""
    ctx = dict(
        job.context, placeholder={"title": piece.title, "file": piece.source, "reason": reason}
    )
    _set_parts(job, piece, [_html_part(job, "_placeholder.html.j2", ctx)])


# -- 4. assemble ------------------------------------------------------------------------------


def number_pages(pieces: list[Any]) -> dict[str, tuple[int, int]]:
    """Give every piece its first page; returns the page references templates may use."""
    page = 1
    refs: dict[str, tuple[int, int]] = {}
    for piece in pieces:
        piece.first_page = page
        page += piece.pages
        refs[f"doc/{piece.key}"] = (piece.first_page, piece.last_page)
        for key in (
            f"section/{piece.section}",
            f"staff/{piece.staff_id}" if piece.staff_id else "",
        ):
            if key:
                first = refs.get(key, (piece.first_page, 0))[0]
                refs[key] = (first, piece.last_page)
    return refs


def assemble(job: Job) -> tuple[Path, dict[str, Any]]:
    from cmpacket.assemble._packet import PacketInfo, finish, manifest_sections, merge
    from cmpacket.assemble._plan import file_sha256, prefix, slug

    data, report = job.checked.data, job.checked.report
    refs = job.refs = number_pages(job.pieces)
    total = job.pieces[-1].last_page
    job.progress.step(f"Assembling {total} pages")
    legal = data.agency.legal_name or data.agency.display_name
    body = job.context["submission"]["body_name"]
    info = PacketInfo(
        legal_name=legal,
        prefix=prefix(data),
        draft=bool(job.options.get("draft")),
        title=f"{legal} \u2014 Case Management Agency Certification Packet",
        subject=f"Case Management Agency certification packet for {body}, as of {report.as_of}",
        pdf_date=_pdf_date(report.as_of),
        creator=f"cmpacket {__version__}",
        fingerprint=job.context["fingerprint"],
    )
    filename = f"{slug(legal)}-packet.pdf"
    base = build_manifest(job, [], filename, total)
    layout = [
        (p.key, p.section, p.title, p.kind, p.source, p.source_sha256, p.staff_id, p.cache_key)
        for p in job.pieces
    ]
    key = digest("packet", json.dumps([layout, info.__dict__, base], sort_keys=True, default=str))
    packet = job.work / filename
    hit = job.cache.get(key + "-manifest", "packet")
    if hit is not None and job.cache.get_file(key, packet, "packet-pdf"):
        job.packet_cached = True
        return packet, json.loads(hit)
    pdf, known = merge(job.pieces, info, refs, job.cache, job.work)
    job.known_digests = known
    with pdf:
        manifest = dict(base, sections=manifest_sections(pdf, job.pieces, known))
        finish(pdf, manifest, packet)
    manifest["packet"]["sha256"] = file_sha256(packet)
    job.cache.put_file(key, packet)
    job.cache.put(key + "-manifest", json.dumps(manifest, sort_keys=True).encode())
    return packet, manifest


def _pdf_date(as_of: Any) -> str:
    from cmpacket._dates import pdf_date

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return f"D:{datetime.fromtimestamp(int(epoch), tz=UTC):%Y%m%d%H%M%S}Z"
    return pdf_date(as_of)


def build_manifest(
    job: Job, sections: list[dict[str, Any]], filename: str, pages: int
) -> dict[str, Any]:
    from cmpacket._summary import data_summary

    data, report, profile = job.checked.data, job.checked.report, job.checked.profile
    templates = [
        {
            "name": w.name,
            "origin": "built-in" if w.builtin else _display(w.root, data.folder),
            "sha256": w.sha256,
        }
        for w in job.registry.winners_used()
    ]
    return {
        "cmpacket_version": __version__,
        "profile": profile.name,
        "profile_sha256": profile.sha256,
        "required_sections": list(profile.required_sections),
        "as_of": report.as_of.isoformat(),
        "draft": bool(job.options.get("draft")),
        "agency": {"legal_name": data.agency.legal_name, "fein": data.agency.fein},
        "packet": {"file": filename, "sha256": None, "pages": pages},
        "sections": sections,
        "inputs": job.inputs,
        "input_fingerprint": job.context["fingerprint"],
        "templates": templates,
        "converter": {
            "html": "weasyprint" if "weasyprint" in job.converters else None,
            "docx": next((c for c in sorted(job.converters) if c != "weasyprint"), None),
        },
        "findings": report.counts,
        "data": data_summary(data, report.as_of),
    }


# -- 5. Word copies ---------------------------------------------------------------------------


LATE_WORD = ("readiness-report", "staff-roster")  # their Word copies show packet page numbers


def _early_word(job: Job) -> None:
    """Word copies that need no page numbers, made while the render pool lays out documents."""
    for piece in job.pieces:
        if piece.word and piece.kind not in LATE_WORD:
            job.docx[docx_name(piece)] = _docx(job, piece.word, piece_context(job, piece))


def render_word_documents(job: Job) -> None:
    job.progress.step(f"Writing {sum(1 for p in job.pieces if p.word)} Word documents")
    refs = job.refs
    for req in job.context["requirements"]:
        req["page"] = refs.get(req["ref"], (0, 0))[0]
    for s in job.context["staff"]:
        first, last = refs.get(s["ref"], (0, 0)) if s["ref"] else (0, 0)
        s["proof_pages"] = (
            "" if not first else (f"p. {first}" if first == last else f"pp. {first}-{last}")
        )
    for piece in job.pieces:
        if piece.word and docx_name(piece) not in job.docx:
            job.docx[docx_name(piece)] = _docx(job, piece.word, piece_context(job, piece))


def docx_name(piece: Any) -> str:
    if piece.kind == "job-description":
        return f"job-description-{piece.extra['position_key']}.docx"
    return f"{piece.kind}.docx"


def _docx(job: Job, name: str, ctx: dict[str, Any]) -> bytes:
    from cmpacket.render import render_docx
    from cmpacket.render._docx import docx_reads

    winner = job.registry.find(name)
    reads_key = digest("docx-reads", winner.sha256)
    known = job.cache.get(reads_key, f"docx-reads:{name}")
    if known is None:
        reads = docx_reads(job.registry, name)
        job.cache.put(reads_key, json.dumps(sorted(reads)).encode())
    else:
        reads = frozenset(json.loads(known))
    reads = reads or frozenset(ctx)
    used = {k: ctx[k] for k in sorted(reads) if k in ctx}
    key = digest("docx", name, winner.sha256, json.dumps(used, sort_keys=True, default=str))
    blob = job.cache.get(key, f"docx:{name}")
    if blob is None:
        blob = render_docx(job.registry, name, ctx)
        job.cache.put(key, blob)
    return blob


# -- 6. verify and 7. write -------------------------------------------------------------------


def self_verify(job: Job, packet: Path, manifest: dict[str, Any]) -> None:
    from cmpacket.verify import verify_source

    job.progress.step("Verifying the packet")
    if job.packet_cached:
        return  # verified when it was built; the cache entry's sha256 was checked on read
    result = verify_source(packet, manifest["packet"]["file"], manifest, job.known_digests)
    if not result.ok:
        problems = "; ".join(f"{f.path}: {f.message}" for f in result.findings[:5])
        raise BuildError(f"the built packet failed its own verification: {problems}")


def write_outputs(job: Job, packet: Path, manifest: dict[str, Any]) -> BuildResult:
    """Write everything into a staging folder inside OUT, then move each file into place."""
    from cmpacket.assemble._packet import manifest_json

    job.progress.step(f"Writing {job.out}")
    job.out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".cmpacket-", dir=job.out))
    try:
        name = manifest["packet"]["file"]
        shutil.copyfile(packet, stage / name)
        (stage / "manifest.json").write_bytes(manifest_json(manifest))
        readiness = json.dumps(
            job.checked.report.as_dict(), indent=2, sort_keys=True, ensure_ascii=False
        )
        (stage / "readiness.json").write_text(readiness + "\n", encoding="utf-8")
        docs = stage / "documents"
        docs.mkdir()
        for doc_name, blob in sorted(job.docx.items()):
            (docs / doc_name).write_bytes(blob)
        # Ctrl-C is deferred (see _interrupt): the moves below always complete together
        for stale in job.out.glob("*-packet.pdf"):
            if stale.name != name:
                stale.unlink()
        for fname in (name, "manifest.json", "readiness.json"):
            os.replace(stage / fname, job.out / fname)
        old = job.out / "documents"
        if old.exists():
            os.replace(old, stage / "old-documents")
        os.replace(docs, old)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return BuildResult(
        out=job.out,
        packet=job.out / name,
        manifest=job.out / "manifest.json",
        readiness=job.out / "readiness.json",
        documents=sorted((job.out / "documents").glob("*.docx")),
        pages=manifest["packet"]["pages"],
        draft=manifest["draft"],
        cache_hits=job.cache.hits,
        rebuilt=list(job.cache.missed),
    )
