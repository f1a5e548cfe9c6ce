"""`cmpacket build`: load -> validate -> render -> assemble -> verify -> write."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cmpacket import __version__
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


@dataclass
class Job:
    """Per-run state of one build."""

    folder: Path
    out: Path
    options: dict[str, Any]
    progress: Progress
    checked: Any = None
    registry: TemplateRegistry | None = None
    context: dict[str, Any] = field(default_factory=dict)
    pieces: list[Any] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)
    docx: dict[str, bytes] = field(default_factory=dict)
    converters: set[str] = field(default_factory=set)
    work: Path | None = None


def build(
    folder: Path, out: Path | None = None, *, quiet: bool = False, **options: Any
) -> BuildResult:
    """Build the packet of an agency folder; nothing is written to OUT unless every step succeeds."""
    job = Job(folder.resolve(), (out or folder / "out").resolve(), options, Progress(7, quiet))
    job.work = Path(tempfile.mkdtemp(prefix="cmpacket-"))
    try:
        validate(job)
        plan_pieces(job)
        render_documents(job)
        take_in_uploads(job)
        lay_out(job)
        packet, manifest = assemble(job)
        self_verify(job, packet, manifest)
        return write_outputs(job, packet, manifest)
    finally:
        if options.get("keep_temp"):
            job.progress.quiet or print(
                f"work folder kept: {job.work}", file=__import__("sys").stderr
            )
        else:
            shutil.rmtree(job.work, ignore_errors=True)


def validate(job: Job) -> None:
    from cmpacket.api import check_folder

    job.progress.step("Validating the agency data and uploads")
    o = job.options
    job.checked = check_folder(
        job.folder,
        as_of=o.get("as_of"),
        strict=bool(o.get("strict")),
        profile=o.get("profile"),
        template_dirs=tuple(o.get("template_dirs") or ()),
        limits=o.get("limits"),
    )
    report = job.checked.report
    if job.checked.data is None:
        raise NotReadyError("the agency data has schema errors; nothing was built.", report)
    if not report.ready and not o.get("draft"):
        c = report.counts
        raise NotReadyError(
            f"{c['error']} error finding(s); nothing was written. Fix them (cmpacket validate lists "
            f"them) or build a draft with --draft.",
            report,
        )


def plan_pieces(job: Job) -> None:
    from cmpacket.assemble._plan import file_sha256, plan
    from cmpacket.render import base_context

    data, report = job.checked.data, job.checked.report
    job.registry = TemplateRegistry.for_agency(
        data.folder, tuple(job.options.get("template_dirs") or ())
    )
    job.pieces = plan(data)
    files = {name: data.folder / name for name in data.source_files}
    for piece in job.pieces:
        if piece.upload is not None:
            files[piece.source] = piece.upload
    profile_src = Path(job.checked.profile.source)
    if profile_src.is_file():
        files[_display(profile_src, data.folder)] = profile_src
    job.inputs = [{"path": k, "sha256": file_sha256(v)} for k, v in sorted(files.items())]
    hashes = {i["path"]: i["sha256"] for i in job.inputs}
    for piece in job.pieces:
        if piece.upload is not None:
            piece.source_sha256 = hashes[piece.source]
    job.context = base_context(data, job.checked.profile, report, bool(job.options.get("draft")))
    line = "\n".join(f"{i['path']}:{i['sha256']}" for i in job.inputs)
    job.context["fingerprint"] = hashlib.sha256(line.encode()).hexdigest()[:16]


def _display(path: Path, folder: Path) -> str:
    return (
        path.resolve().relative_to(folder).as_posix()
        if path.resolve().is_relative_to(folder)
        else str(path)
    )


def render_documents(job: Job) -> None:
    from cmpacket.assemble._plan import DEPENDENT
    from cmpacket.render import policy_chapters

    docs = [p for p in job.pieces if p.template and p.kind not in DEPENDENT]
    job.progress.step(f"Rendering {len(docs)} documents")
    job.context["chapters"] = policy_chapters(job.registry, job.context)
    for piece in job.progress.bar(docs, len(docs), "Rendering"):
        render_piece(job, piece)
    word = [
        p
        for p in job.pieces
        if p.word and p.kind not in ("index", "staff-roster", "readiness-report")
    ]
    for piece in word:
        job.docx[docx_name(piece)] = render_word(job, piece)


def docx_name(piece: Any) -> str:
    if piece.kind == "job-description":
        return f"job-description-{piece.extra['position_key']}.docx"
    return f"{piece.kind}.docx"


def piece_context(job: Job, piece: Any) -> dict[str, Any]:
    ctx = dict(job.context)
    if piece.kind == "job-description":
        ctx["position"] = next(
            p for p in job.context["positions"] if p["key"] == piece.extra["position_key"]
        )
    return ctx


def render_word(job: Job, piece: Any) -> bytes:
    from cmpacket.render import render_docx

    return render_docx(job.registry, piece.word, piece_context(job, piece))


def render_piece(job: Job, piece: Any) -> None:
    from cmpacket.assemble._packet import count_pages
    from cmpacket.render import docx_to_pdf, render_pdf

    ctx = piece_context(job, piece)
    wanted = (
        (job.checked.data.documents.get(piece.kind) or {})
        if isinstance(job.checked.data.documents, dict)
        else {}
    )
    if piece.word and isinstance(wanted, dict) and wanted.get("source") == "word":
        docx = render_word(job, piece)
        piece.pdf, converter = docx_to_pdf(docx, job.registry, piece.word)
        job.converters.add(converter)
        piece.source = piece.word
    else:
        piece.pdf = render_pdf(job.registry, piece.template, ctx)
        job.converters.add("weasyprint")
    piece.source_sha256 = job.registry.find(piece.source).sha256
    piece.pages = count_pages(piece.pdf)


def take_in_uploads(job: Job) -> None:
    from cmpacket.assemble._packet import count_pages, sanitize_upload

    uploads = [p for p in job.pieces if p.kind == "upload"]
    job.progress.step(f"Taking in {len(uploads)} uploads")
    facts = {}
    for piece in job.progress.bar(uploads, len(uploads), "Uploads"):
        reason = _unusable(job, piece, facts)
        if reason:
            _placeholder(job, piece, reason)
            continue
        try:
            piece.pdf = sanitize_upload(piece.upload.read_bytes())
        except Exception as exc:  # damaged in a way inspection did not catch
            _placeholder(job, piece, f"could not be taken in ({type(exc).__name__}).")
            continue
        piece.pages = count_pages(piece.pdf)


def _unusable(job: Job, piece: Any, facts: dict[Path, Any]) -> str:
    from cmpacket.assemble import inspect_upload

    if piece.upload is None:
        return "the file is missing or outside the agency folder."
    if piece.upload not in facts:
        facts[piece.upload] = inspect_upload(piece.upload, job.checked.limits)
    fact = facts[piece.upload]
    if not fact.usable:
        return "; ".join(
            m for k, m in fact.problems if k in ("unreadable", "encrypted", "too-large")
        )
    return ""


def _placeholder(job: Job, piece: Any, reason: str) -> None:
    """Only reachable in --draft builds: a page saying which upload is missing and why."""
    from cmpacket.assemble._packet import count_pages
    from cmpacket.render import render_pdf

    ctx = dict(
        job.context, placeholder={"title": piece.title, "file": piece.source, "reason": reason}
    )
    piece.pdf = render_pdf(job.registry, "_placeholder.html.j2", ctx)
    piece.pages = count_pages(piece.pdf)


def lay_out(job: Job) -> None:
    """Render the page-number-dependent pieces until their lengths stop moving pages."""
    from cmpacket.assemble._plan import DEPENDENT

    job.progress.step("Laying out the index, readiness report and roster")
    dependent = [p for p in job.pieces if p.kind in DEPENDENT]
    for p in dependent:
        p.pages = p.pages or 1
    for _ in range(6):
        number_pages(job.pieces)
        before = [p.pages for p in dependent]
        for piece in dependent:
            _render_dependent(job, piece)
        if [p.pages for p in dependent] == before:
            break
    else:
        raise BuildError("the index did not settle on a page count after 6 layouts.")
    number_pages(job.pieces)
    job.docx["readiness-report.docx"] = render_word(
        job, next(p for p in job.pieces if p.kind == "readiness-report")
    )
    job.docx["staff-roster.docx"] = render_word(
        job, next(p for p in job.pieces if p.kind == "staff-roster")
    )


def number_pages(pieces: list[Any]) -> None:
    page = 1
    for piece in pieces:
        piece.first_page = page
        page += piece.pages


def _render_dependent(job: Job, piece: Any) -> None:
    from cmpacket.render._readiness import requirements

    pieces = job.pieces
    firsts: dict[str, int] = {}
    for p in pieces:
        firsts.setdefault(p.section, p.first_page)
    job.context["toc"] = toc(pieces)
    job.context["requirements"] = requirements(
        job.checked.profile, job.context["readiness"], firsts
    )
    for s in job.context["staff"]:
        mine = [p for p in pieces if p.staff_id == s["id"]]
        if mine:
            first, last = mine[0].first_page, mine[-1].last_page
            s["proof_page"] = first
            s["proof_pages"] = f"p. {first}" if first == last else f"pp. {first}–{last}"
    render_piece(job, piece)


def toc(pieces: list[Any]) -> list[dict[str, Any]]:
    from cmpacket.assemble._packet import section_title

    entries: list[dict[str, Any]] = []
    for p in pieces:
        if (
            p.section != "front"
            and (not entries or entries[-1].get("letter") != p.section)
            and not any(e.get("letter") == p.section for e in entries)
        ):
            last = max(x.last_page for x in pieces if x.section == p.section)
            title = f"{p.section}. {section_title(p.section)}"
            entries.append(
                {
                    "level": "section",
                    "title": title,
                    "first": p.first_page,
                    "last": last,
                    "letter": p.section,
                }
            )
        if p.staff_id:
            if entries[-1].get("staff_id") != p.staff_id:
                mine = [x for x in pieces if x.staff_id == p.staff_id]
                name = p.title.split(":", 1)[0]
                title = f"{name} — qualifications and licensure proofs ({len(mine)})"
                entries.append(
                    {
                        "level": "staff",
                        "title": title,
                        "first": mine[0].first_page,
                        "last": mine[-1].last_page,
                        "staff_id": p.staff_id,
                    }
                )
            continue
        level = "doc" if p.section != "front" else "section"
        entries.append(
            {"level": level, "title": p.title, "first": p.first_page, "last": p.last_page}
        )
    return entries


def assemble(job: Job) -> tuple[bytes, dict[str, Any]]:
    from cmpacket.assemble._packet import PacketInfo, finish, manifest_sections, merge
    from cmpacket.assemble._plan import prefix, slug

    data, report = job.checked.data, job.checked.report
    job.progress.step(f"Assembling {job.pieces[-1].last_page} pages")
    legal = data.agency.legal_name or data.agency.display_name
    info = PacketInfo(
        legal_name=legal,
        prefix=prefix(data),
        draft=bool(job.options.get("draft")),
        title=f"{legal} \u2014 Case Management Agency Certification Packet",
        subject=f"Case Management Agency certification packet for {job.context['submission']['body_name']}, as of {report.as_of}",
        pdf_date=_stamp_date(report.as_of),
        creator=f"cmpacket {__version__}",
    )
    with merge(job.pieces, info) as pdf:
        manifest = build_manifest(
            job, manifest_sections(pdf, job.pieces), f"{slug(legal)}-packet.pdf", len(pdf.pages)
        )
        packet = finish(pdf, manifest)
    manifest["packet"]["sha256"] = hashlib.sha256(packet).hexdigest()
    return packet, manifest


def _stamp_date(as_of: Any) -> str:
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


def self_verify(job: Job, packet: bytes, manifest: dict[str, Any]) -> None:
    from cmpacket.verify import verify_bytes

    job.progress.step("Verifying the packet")
    result = verify_bytes(packet, manifest["packet"]["file"], manifest)
    if not result.ok:
        problems = "; ".join(f"{f.path}: {f.message}" for f in result.findings[:5])
        raise BuildError(f"the built packet failed its own verification: {problems}")


@contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C while the outputs are moved into place, so OUT is never half-replaced."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def write_outputs(job: Job, packet: bytes, manifest: dict[str, Any]) -> BuildResult:
    """Write everything into a staging folder inside OUT, then move each file into place."""
    import json

    from cmpacket.assemble._packet import manifest_json

    job.progress.step(f"Writing {job.out}")
    job.out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".cmpacket-", dir=job.out))
    try:
        name = manifest["packet"]["file"]
        (stage / name).write_bytes(packet)
        (stage / "manifest.json").write_bytes(manifest_json(manifest))
        readiness = json.dumps(
            job.checked.report.as_dict(), indent=2, sort_keys=True, ensure_ascii=False
        )
        (stage / "readiness.json").write_text(readiness + "\n", encoding="utf-8")
        docs = stage / "documents"
        docs.mkdir()
        for doc_name, blob in sorted(job.docx.items()):
            (docs / doc_name).write_bytes(blob)
        with _no_interrupt():
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
        packet=job.out / manifest["packet"]["file"],
        manifest=job.out / "manifest.json",
        readiness=job.out / "readiness.json",
        documents=sorted((job.out / "documents").glob("*.docx")),
        pages=manifest["packet"]["pages"],
        draft=manifest["draft"],
    )
