"""The build's stages, each a function of the previous stages' results (see `build._run`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmpacket.build._documents import Renderer
from cmpacket.build._packet import Assembled, packet_info
from cmpacket.build._packet import assemble as merge_pieces
from cmpacket.build._uploads import Intaken, take_in_all, upload_content
from cmpacket.build._word import word_copies
from cmpacket.build._workspace import Workspace
from cmpacket.errors import NotReadyError
from cmpacket.plan import Content, Piece
from cmpacket.templates import TemplateRegistry
from cmpacket.validators import Checked, UploadUse

# Planning a large packet takes long enough to hide most of WeasyPrint's import; for a small one
# the import would only compete with a no-change rebuild that never renders.
PRELOAD_STAFF = 100


def validate(ws: Workspace) -> tuple[Checked, dict[Path, Intaken], list[UploadUse]]:
    """Load the folder, take in every upload once, run the rules; stop unless ready or a draft."""
    from cmpacket.validators import check, prepare, upload_paths, upload_uses

    ws.progress.step("Validating the agency data and uploads")
    o = ws.options
    prepared = prepare(
        ws.folder, as_of=o.as_of, profile=o.profile, template_dirs=o.template_dirs, limits=o.limits
    )
    uses = upload_uses(prepared.data) if prepared.data is not None else []
    intaken = take_in_all(ws, upload_paths(uses), prepared.limits)
    facts = {path: i.facts for path, i in intaken.items()}
    checked = check(prepared, facts, strict=o.strict, uses=uses)
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
    """The pieces in packet order, the template registry and the one context they render with."""

    pieces: list[Piece]
    registry: TemplateRegistry
    context: dict[str, Any]
    inputs: list[dict[str, str]]
    fingerprint: str
    resources: str


def plan_packet(
    ws: Workspace, checked: Checked, intaken: dict[Path, Intaken], uses: list[UploadUse]
) -> Planned:
    from cmpacket.plan import file_sha256, fingerprint, packet_inputs, plan
    from cmpacket.render import build_context

    data, profile = checked.data, checked.profile
    assert data is not None and profile is not None
    if len(data.staff) >= PRELOAD_STAFF:
        _preload_renderer()
    registry = TemplateRegistry.for_agency(data.folder, ws.options.template_dirs)
    pieces = plan(data, {use.ref.given: use.ref for use in uses})
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
    )
    return Planned(pieces, registry, ctx, inputs, print_, resources)


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

    from cmpacket.build._cache import digest

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


def render(
    ws: Workspace, checked: Checked, planned: Planned, intaken: dict[Path, Intaken]
) -> Rendered:
    """Every piece's content (documents laid out, uploads taken in, a draft's placeholders) and
    the Word copies that need no page numbers."""
    assert checked.data is not None
    wanted = checked.data.documents if isinstance(checked.data.documents, dict) else {}
    renderer = Renderer(ws, planned.registry, planned.context, planned.resources, wanted)
    docs = [p for p in planned.pieces if p.template]
    ws.progress.step(f"Rendering {len(docs)} documents")
    docx: dict[str, bytes] = {}

    def early_word() -> None:
        docx.update(word_copies(ws, planned.registry, planned.pieces, planned.context, None))

    contents = renderer.render(docs, meanwhile=early_word)
    uploads = [p for p in planned.pieces if p.kind == "upload"]
    ws.progress.step(f"Taking in {len(uploads)} uploads")
    for piece in uploads:
        got = (
            upload_content(ws, piece, intaken[piece.upload], checked.limits)
            if piece.upload is not None
            else "the file is missing or outside the agency folder."
        )
        if isinstance(got, str):  # only reachable in --draft builds
            placeholder = {"title": piece.title, "file": piece.source, "reason": got}
            ctx = dict(planned.context, placeholder=placeholder)
            got = renderer.html("_placeholder.html.j2", ctx)
        contents[piece.key] = got
    made = [(p, contents[p.key]) for p in planned.pieces]
    return Rendered(made, docx, frozenset(renderer.converters))


def assemble_packet(
    ws: Workspace, checked: Checked, planned: Planned, rendered: Rendered
) -> Assembled:
    from cmpacket.assemble import manifest_base

    data, report = checked.data, checked.report
    assert data is not None
    body = planned.context["submission"]["body_name"]
    info = packet_info(checked, body, planned.fingerprint, ws.options.draft)
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
    return merge_pieces(ws, rendered.made, info, base)


def late_word_copies(
    ws: Workspace, planned: Planned, refs: dict[str, tuple[int, int]]
) -> dict[str, bytes]:
    """The Word copies that show packet page numbers, now that the pages are numbered."""
    ws.progress.step(f"Writing {sum(1 for p in planned.pieces if p.word)} Word documents")
    return word_copies(ws, planned.registry, planned.pieces, planned.context, refs)


def keep_pieces(ws: Workspace, rendered: Rendered) -> None:
    """--keep-temp: every piece's PDF beside the blocks and the packet, for inspection."""
    for i, (piece, content) in enumerate(rendered.made):
        for k, part in enumerate(content.pdfs()):
            name = "".join(c if c.isalnum() else "-" for c in piece.key)[:60]
            (ws.work / f"{i:04d}-{name}-{k}.pdf").write_bytes(part)


def write(ws: Workspace, checked: Checked, done: Assembled, docx: dict[str, bytes]) -> Any:
    from cmpacket.build._write import BuildResult, write_outputs

    ws.progress.step(f"Writing {ws.out}")
    report = checked.report.with_pages(done.refs)  # evidence: proofs' packet pages
    packet = write_outputs(ws.out, done.packet, done.manifest, report, docx)
    return BuildResult(
        out=ws.out,
        packet=packet,
        manifest=ws.out / "manifest.json",
        readiness=ws.out / "readiness.json",
        documents=sorted((ws.out / "documents").glob("*.docx")),
        pages=done.manifest["packet"]["pages"],
        draft=done.manifest["draft"],
        cache_hits=ws.cache.hits,
        rebuilt=list(ws.cache.missed),
    )
