"""The build's stages, each a function of the previous stages' results (see `build._run`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmpacket.cache import digest
from cmpacket.errors import NotReadyError
from cmpacket.intake import UploadFacts
from cmpacket.pipeline._documents import Renderer
from cmpacket.pipeline._packet import Assembled, packet_info
from cmpacket.pipeline._packet import assemble as merge_pieces
from cmpacket.pipeline._uploads import (
    Intaken,
    add_ocr,
    compress,
    packet_sizes,
    read_more,
    take_in_all,
    upload_content,
)
from cmpacket.pipeline._word import word_copies
from cmpacket.pipeline._workspace import Workspace
from cmpacket.plan import Content, Cut, PartsPlan, Piece
from cmpacket.receivers import Receiver
from cmpacket.templates import TemplateRegistry
from cmpacket.validators import Checked, UploadUse

# Planning a large packet takes long enough to hide most of WeasyPrint's import; for a small one
# the import would only compete with a no-change rebuild that never renders.
PRELOAD_STAFF = 100


def validate(
    ws: Workspace, receiver: Receiver | None = None
) -> tuple[Checked, dict[Path, Intaken], list[UploadUse]]:
    """Load the folder, take in every upload once, run the rules; stop unless ready or a draft."""
    from cmpacket import validators as v
    from cmpacket.intake._ocr import check_mode

    o = ws.options
    ocr = check_mode(o.ocr)  # --ocr always without an engine: a usage error, up front
    ws.progress.step("Validating the agency data and uploads")
    prepared = v.prepare(
        ws.folder, as_of=o.as_of, profile=o.profile, template_dirs=o.template_dirs, limits=o.limits
    )
    uses = v.upload_uses(prepared.data) if prepared.data is not None else []
    proofs = v.proof_checks(prepared.data, prepared.profile, uses)
    intaken = take_in_all(ws, v.upload_paths(uses), prepared.limits, proofs)
    if o.compress_scans:
        intaken = compress(ws, intaken, prepared.limits)
    intaken = add_ocr(ws, intaken, ocr, prepared.limits)
    sizes = packet_sizes(ws, intaken)  # what each upload will weigh (after --compress-scans)

    def run(facts: dict[Path, UploadFacts]) -> Checked:
        return v.check(
            prepared, facts, strict=o.strict, uses=uses, receiver=receiver, ocr=ocr, sizes=sizes
        )

    checked = run(facts := {path: i.facts for path, i in intaken.items()})
    if wanted := v.more_pages_wanted(checked.report.evidence, facts, uses):
        # proofs whose first page did not show every field: their next page too
        intaken = read_more(ws, intaken, wanted, prepared.limits)
        checked = run({path: i.facts for path, i in intaken.items()})
    report = checked.report
    if checked.data is None:
        raise NotReadyError("the agency data has schema errors; nothing was built.", report)
    if not report.ready and not o.draft:
        c = report.counts
        raise NotReadyError(
            f"{c['error']} error finding(s); nothing was written. Fix them "
            f"(cmpacket validate lists them) or build a draft with --draft.",
            report,
        )
    return checked, intaken, uses


@dataclass(frozen=True)
class Planned:
    """The pieces in packet order, the template registry and the one context they render with;
    with parts, the part of each piece and the pieces split across parts."""

    pieces: list[Piece]
    registry: TemplateRegistry
    context: dict[str, Any]
    inputs: list[dict[str, str]]
    fingerprint: str
    resources: str
    receiver: Receiver
    part_of: dict[str, int] = field(default_factory=dict)
    split: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    whole: dict[str, Piece] = field(default_factory=dict)  # the plan's pieces before parts
    compressed: list[dict[str, Any]] = field(default_factory=list)  # --compress-scans' changes

    @property
    def parts(self) -> int:
        return max(self.part_of.values(), default=1)


def plan_packet(
    ws: Workspace,
    checked: Checked,
    intaken: dict[Path, Intaken],
    uses: list[UploadUse],
    receiver: Receiver,
    cuts: list[list[Cut]] | None = None,
) -> Planned:
    """The pieces, their inputs and the template context; with `cuts`, the packet as parts."""
    from cmpacket.plan import file_sha256, fingerprint, packet_inputs, plan, slug, with_parts
    from cmpacket.render import build_context

    data, profile = checked.data, checked.profile
    assert data is not None and profile is not None
    if len(data.staff) >= PRELOAD_STAFF and cuts is None:
        _preload_renderer()
    registry = TemplateRegistry.for_agency(data.folder, ws.options.template_dirs)
    whole = plan(data, {use.ref.given: use.ref for use in uses})
    pieces, part_of, split, parts = whole, {}, {}, []
    if cuts:
        laid = with_parts(whole, cuts)
        pieces, part_of, split = laid.pieces, laid.part_of, laid.split
        name = f"{slug(data.agency.legal_name or data.agency.display_name)}-packet.pdf"
        parts = _parts_context(whole, cuts, laid, name)
    shas = {path: i.sha256 for path, i in intaken.items()}
    inputs = packet_inputs(
        data,
        pieces,
        Path(profile.source),
        ws.display,
        lambda path: shas.get(path) or file_sha256(path),
    )
    print_ = fingerprint(inputs)
    resources = _resources_digest(registry)
    ctx = build_context(
        data,
        profile,
        checked.report,
        pieces,
        registry,
        draft=ws.options.draft,
        fingerprint=print_,
        parts=parts,
        part_of=part_of,
        receiver=receiver.as_dict(),
    )
    return Planned(
        pieces,
        registry,
        ctx,
        inputs,
        print_,
        resources,
        receiver,
        part_of,
        split,
        {p.key: p for p in whole},
        [
            {"path": ws.display(path), "pages": it.compressed, "jpeg_dpi": 200}
            for path, it in intaken.items()
            if it.compressed
        ],
    )


def _parts_context(
    whole: list[Piece], cuts: list[list[Cut]], laid: PartsPlan, packet_file: str
) -> list[dict[str, Any]]:
    """What a part cover says of each part: its file, page range, first document and any
    document split across parts."""
    from cmpacket.assemble import part_name

    out = []
    for k, part in enumerate(cuts, start=1):
        first = whole[part[0].index]
        notes = [
            f"{whole[c.index].title} is too large for one file: its pages {c.first}\u2013{c.last} "
            f"are in this part, the rest in the next or previous part."
            for c in part
            if not c.whole
        ]
        out.append(
            {
                "number": k,
                "file": part_name(packet_file, k, laid.count),
                "ref": f"part/{k}",
                "begins": first.title,
                "note": " ".join(notes),
            }
        )
    return out


def _preload_renderer() -> None:
    """Import WeasyPrint on a thread while the packet is planned (the import takes about half a
    second, mostly loading native libraries); rendering then finds it ready."""
    import threading

    def load() -> None:
        with contextlib.suppress(Exception):  # reported where rendering imports it
            import weasyprint  # noqa: F401

    threading.Thread(target=load, name="cmpacket-preload", daemon=True).start()


def _resources_digest(registry: TemplateRegistry) -> str:
    """A digest of every file a stylesheet or page could load (CSS, images, fonts) and WeasyPrint."""
    from importlib.metadata import version

    from cmpacket.cache import digest

    parts = [version("weasyprint")]  # not `import weasyprint`: a warm rebuild never needs it
    for name in registry.names(suffixes=None):
        if not name.endswith((".j2", ".docx")):
            # find() also records the file as used, so the manifest lists every file a page could
            # load whether or not this build had to lay any page out
            parts += [name, registry.find(name).sha256]
    return digest("resources", *parts)


@dataclass(frozen=True)
class Rendered:
    """Every piece with its content, the Word copies made so far and the converters that ran."""

    made: list[tuple[Piece, Content]]
    docx: dict[str, bytes]
    converters: frozenset[str]
    html: dict[str, str] = field(default_factory=dict)  # each document's HTML as laid out


LATE = ("index", "part-cover")  # rendered once the packet's parts are known


def render(
    ws: Workspace,
    checked: Checked,
    planned: Planned,
    intaken: dict[Path, Intaken],
    done: Rendered | None = None,
) -> Rendered:
    """Every piece's content (documents laid out, uploads taken in, a draft's placeholders) and
    the Word copies that need no page numbers.

    In two passes: first everything but the index (which names the part of each document) and
    the part covers; then, with `done` from the first pass and the parts decided, just those.
    """
    assert checked.data is not None
    wanted = checked.data.documents if isinstance(checked.data.documents, dict) else {}
    renderer = Renderer(ws, planned.registry, planned.context, planned.resources, wanted)
    reuse = {piece.key: content for piece, content in done.made} if done else {}
    todo = [p for p in planned.pieces if p.key not in reuse and (done or p.kind not in LATE)]
    docs = [p for p in todo if p.template]
    docx: dict[str, bytes] = dict(done.docx) if done else {}
    as_of = checked.report.as_of

    def early_word() -> None:
        copies = word_copies(
            ws, planned.registry, planned.pieces, planned.context, renderer.html, None, as_of
        )
        docx.update(copies)

    if done is None:
        ws.progress.step(f"Rendering {len(docs)} documents")
    contents = renderer.render(docs, meanwhile=early_word if done is None else lambda: None)
    uploads = [p for p in todo if p.kind == "upload"]
    if done is None:
        ws.progress.step(f"Taking in {len(uploads)} uploads")
    for piece in uploads:
        contents[piece.key] = _upload(ws, checked, planned, intaken, renderer, piece)
    contents = reuse | contents
    made = [(p, contents[p.key]) for p in planned.pieces if p.key in contents]
    converters = renderer.converters | (done.converters if done else set())
    html = (done.html if done else {}) | renderer.html
    return Rendered(made, docx, frozenset(converters), html)


def _upload(
    ws: Workspace,
    checked: Checked,
    planned: Planned,
    intaken: dict[Path, Intaken],
    renderer: Renderer,
    piece: Piece,
) -> Content:
    """An upload's content, a page range of it (split across parts), or in a draft the
    placeholder page standing in for it."""
    got = (
        upload_content(ws, piece, intaken[piece.upload], checked.limits)
        if piece.upload is not None
        else "the file is missing or outside the agency folder."
    )
    if piece.key in planned.split and not isinstance(got, str):
        _, first, last = planned.split[piece.key]
        got = got.pages_between(first, last, digest(got.cache_key, str(first), str(last)))
    if isinstance(got, str):  # only reachable in --draft builds
        placeholder = {"title": piece.title, "file": piece.source, "reason": got}
        ctx = dict(planned.context, placeholder=placeholder)
        got = renderer.one("_placeholder.html.j2", ctx)
    return got


def assemble_packet(
    ws: Workspace, checked: Checked, planned: Planned, rendered: Rendered
) -> Assembled:
    from cmpacket.assemble import manifest_base

    data, report = checked.data, checked.report
    assert data is not None
    body = planned.context["submission"]["body_name"]
    box = planned.receiver.page_box
    info = packet_info(checked, body, planned.fingerprint, ws.options.draft, box)
    templates = [
        {
            "name": w.name,
            "origin": "built-in" if w.builtin else ws.display(w.root),
            "sha256": w.sha256,
        }
        for w in planned.registry.winners_used()
    ]
    base = manifest_base(
        data,
        checked.profile,
        report,
        draft=ws.options.draft,
        filename="",
        pages=0,
        inputs=planned.inputs,
        fingerprint=planned.fingerprint,
        templates=templates,
        converters=set(rendered.converters),
    )
    if planned.compressed:  # lossy, so said in the manifest
        base["compressed_scans"] = planned.compressed
    return merge_pieces(ws, rendered.made, info, base, planned.part_of)


def with_findings(ws: Workspace, checked: Checked, found: list[Any]) -> Checked:
    """The report with what assembly found (the receiver's fit); stop unless a draft."""
    from cmpacket.findings import Report

    if not found:
        return checked
    r = checked.report
    report = Report(r.as_of, r.profile, r.findings + tuple(found), r.strict)
    if not report.ready and not ws.options.draft:
        raise NotReadyError(
            f"the packet does not fit its receiver: {found[0].message} Nothing was written.",
            report,
        )
    return Checked(checked.data, checked.profile, report, checked.limits)


def late_word_copies(
    ws: Workspace,
    checked: Checked,
    planned: Planned,
    rendered: Rendered,
    refs: dict[str, tuple[int, int]],
) -> dict[str, bytes]:
    """The Word copies that show packet page numbers, now that the pages are numbered."""
    ws.progress.step(f"Writing {sum(1 for p in planned.pieces if p.word)} Word documents")
    return word_copies(
        ws,
        planned.registry,
        planned.pieces,
        planned.context,
        rendered.html,
        refs,
        checked.report.as_of,
    )


def keep_pieces(ws: Workspace, rendered: Rendered) -> None:
    """--keep-temp: every piece's PDF beside the blocks and the packet, for inspection."""
    for i, (piece, content) in enumerate(rendered.made):
        for k, part in enumerate(content.pdfs()):
            name = "".join(c if c.isalnum() else "-" for c in piece.key)[:60]
            (ws.work / f"{i:04d}-{name}-{k}.pdf").write_bytes(part)


def write(ws: Workspace, checked: Checked, done: Assembled, docx: dict[str, bytes]) -> Any:
    from cmpacket.pipeline._write import BuildResult, write_outputs

    ws.progress.step(f"Writing {ws.out}")
    report = checked.report.with_pages(done.refs)  # evidence: proofs' packet pages
    files = write_outputs(ws.out, done.files, done.manifest, report, docx)
    return BuildResult(
        out=ws.out,
        packet=files[0],
        parts=files if len(files) > 1 else [],
        manifest=ws.out / "manifest.json",
        readiness=ws.out / "readiness.json",
        documents=sorted((ws.out / "documents").glob("*.docx")),
        pages=done.manifest["packet"]["pages"],
        draft=done.manifest["draft"],
        cache_hits=ws.cache.hits,
        rebuilt=list(ws.cache.missed),
    )
