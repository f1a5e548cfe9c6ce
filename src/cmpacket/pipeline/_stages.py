"""The build's stages, each a call into the stage package that owns the work, with the build's
cache, workers and progress (see `pipeline.build`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cmpacket import intake, validators
from cmpacket.assemble import (
    Assembled,
    Layout,
    PacketInfo,
    Signature,
    assemble,
    manifest_base,
    packet_info,
)
from cmpacket.cache import file_sha256
from cmpacket.errors import BuildError, InputError, NotReadyError, PacketError
from cmpacket.findings import Finding, Report
from cmpacket.pipeline._responses import check_responses, verified_key
from cmpacket.pipeline._workspace import Workspace
from cmpacket.plan import Content, Piece, Planned, plan_packet
from cmpacket.receivers import Receiver
from cmpacket.render import (
    Rendered,
    packet_context,
    render_pieces,
    resources_digest,
    start_word_copies,
    warm_up,
)
from cmpacket.templates import TemplateRegistry
from cmpacket.validators import Checked, UploadUse
from cmpacket.verify import Base, verify_parts, verify_source
from cmpacket.verify import read_base as read_base_packet


@dataclass(frozen=True)
class Validated:
    """The validated agency with every upload as intake left it, and where the data uses each."""

    checked: Checked
    intaken: dict[Path, intake.Intaken]
    uses: list[UploadUse]
    signature: Signature | None = None  # digital signing (SPEC §18): who signs, with what key

    @property
    def report(self) -> Report:
        return self.checked.report


def validate(ws: Workspace, receiver: Receiver) -> Validated:
    """Load the folder, take in every upload once, run the rules; stop unless ready or a draft."""
    validated = checked(ws, receiver)
    report = validated.report
    if validated.checked.data is None:
        raise NotReadyError("the agency data has schema errors; nothing was built.", report)
    if not report.ready and not ws.options.draft:
        c = report.counts
        raise NotReadyError(
            f"{c['error']} error finding(s); nothing was written. Fix them "
            f"(cmpacket validate lists them) or build a draft with --draft.",
            report,
        )
    return validated


def checked(ws: Workspace, receiver: Receiver, *, then_render: bool = True) -> Validated:
    """Load the folder, take in every upload once (OCR and --compress-scans included), read the
    proofs' text, run the rules: the same for `build` and `validate` (`pipeline.check`).
    `then_render`: the idle workers import WeasyPrint meanwhile, for the layout to come."""
    o = ws.options
    ocr = intake.check_mode(o.ocr)  # --ocr always without an engine: a usage error, up front
    ws.progress.step("Validating the agency data and uploads")
    prepared = validators.prepare(
        ws.folder, as_of=o.as_of, profile=o.profile, template_dirs=o.template_dirs, limits=o.limits
    )
    limits = prepared.limits
    uses = validators.upload_uses(prepared.data) if prepared.data is not None else []
    proofs = validators.proof_checks(prepared.data, prepared.profile, uses)
    cache, ticker, display = ws.cache, ws.ticker, ws.display
    intaken = intake.take_in_all(
        validators.upload_paths(uses),
        limits,
        cache=cache,
        pool=ws.pool,
        ticker=ticker,
        display=display,
        proofs=proofs,
        matcher=validators.match_payload,
        complete=validators.shows_every_field,
    )
    if then_render:  # WeasyPrint imported meanwhile; a rebuild forks one worker for it
        ws.pool.start(1)
        ws.pool.warm(warm_up)
    if o.compress_scans:
        intaken = intake.compress(intaken, limits, cache=cache, ticker=ticker, display=display)
    intaken = intake.add_ocr(
        intaken, ocr, limits, cache=cache, ticker=ticker, display=display, note=ws.note
    )
    sizes = intake.packet_sizes(ws.cache, intaken)  # each upload's weight after --compress-scans

    def run(intaken: dict[Path, intake.Intaken]) -> Checked:
        facts = {path: i.facts for path, i in intaken.items()}
        matches = {path: i.matches for path, i in intaken.items()}
        return validators.check(
            prepared,
            facts,
            strict=o.strict,
            uses=uses,
            receiver=receiver,
            ocr=ocr,
            sizes=sizes,
            matches=matches,
        )

    found = run(intaken)
    facts = {path: i.facts for path, i in intaken.items()}
    if wanted := validators.more_pages_wanted(found.report.evidence, facts, uses):
        # proofs whose first page did not show every field: their next page too
        intaken = intake.read_more(
            intaken,
            wanted,
            limits,
            cache=ws.cache,
            display=ws.display,
            pool=ws.pool,
            proofs=proofs,
            matcher=validators.match_payload,
        )
        found = run(intaken)
    if found.data is not None and found.profile is not None:
        # the packet lists the open responses and their due dates; they are checked by
        # `validate` and `respond`, and never stop a build of the packet
        _, listed = check_responses(found.data, found.profile, found.report.as_of, bases=False)
        report = validators.with_responses(found.report, found.data, listed)
        found = replace(found, report=report)
    return Validated(found, intake.without_text(intaken), uses)  # the rules have read the text


def read_base(ws: Workspace, validated: Validated) -> tuple[Validated, Base | None]:
    """The packet this build is one sequence after (`--base`), read as untrusted input: one that
    cannot be read at all stops the build (exit 2); another agency's, one that fails `verify`
    or is not the file its sidecar names is the finding `response-base-mismatch`."""
    if ws.options.base is None:
        return validated, None
    path = Path(ws.options.base)
    try:
        base = read_base_packet(path)
    except PacketError as exc:
        raise InputError(
            f"response-base-missing: the base packet cannot be read: {exc}",
            hint="Give the packet PDF (or its manifest.json) the Department received.",
        ) from None
    data = validated.checked.data
    assert data is not None
    problems = list(base.problems)
    if base.fein != data.agency.fein:
        problems.insert(
            0, f"it is the packet of FEIN {base.fein!r}, not this agency's {data.agency.fein!r}"
        )
    found = [
        Finding(
            "response-base-mismatch",
            "error",
            "base",
            f"{ws.display(path)} cannot be the base of this packet: {why}. Give the packet this "
            f"agency sent the Department, unchanged.",
            "see docs/responses.md",
        )
        for why in problems
    ]
    return with_findings(ws, validated, found, "the base packet does not fit"), base


def plan(ws: Workspace, validated: Validated) -> Planned:
    """The pieces in packet order, the inputs and their fingerprint."""
    data, profile = validated.checked.data, validated.checked.profile
    assert data is not None and profile is not None
    shas = {path: i.sha256 for path, i in validated.intaken.items()}
    return plan_packet(
        data,
        {use.ref.given: use.ref for use in validated.uses},
        Path(profile.source),
        ws.display,
        lambda path: shas.get(path) or file_sha256(path),
        profile.required_sections if ws.options.draft else (),
        draft=ws.options.draft,
    )


def context(
    ws: Workspace, validated: Validated, registry: TemplateRegistry, receiver: Receiver
) -> dict[str, Any]:
    """The context of every document of the packet, but the plan's part (`render.with_plan`)."""
    checked = validated.checked
    assert checked.data is not None and checked.profile is not None
    return packet_context(
        checked.data,
        checked.profile,
        checked.report,
        registry,
        draft=ws.options.draft,
        receiver=receiver.as_dict(),
    )


def render(
    ws: Workspace,
    validated: Validated,
    planned: Planned,
    registry: TemplateRegistry,
    ctx: dict[str, Any],
    *,
    late: bool,
    done: Rendered | None = None,
) -> Rendered:
    """Every piece's content (documents laid out, uploads taken in, a draft's placeholders);
    with `late` False, all but the index and part covers (they wait for the parts)."""
    data = validated.checked.data
    assert data is not None
    wanted = data.documents if isinstance(data.documents, dict) else {}
    return render_pieces(
        planned,
        ctx,
        registry,
        lambda piece: upload_content(ws, validated, piece),
        cache=ws.cache,
        pool=ws.pool,
        resources=resources_digest(registry),
        wanted=wanted,
        late=late,
        done=done,
        progress=ws.progress.step,
        ticker=ws.ticker,
    )


def upload_content(ws: Workspace, validated: Validated, piece: Piece) -> Content | str:
    """The content of an upload piece, or why it cannot be used (for a draft's placeholder)."""
    if piece.upload is None:
        return "the file is missing or outside the agency folder."
    it = validated.intaken[piece.upload]
    if not it.pdf_key:
        reasons = [m for k, m in it.facts.problems if k in ("unreadable", "encrypted", "too-large")]
        return "; ".join(reasons) or "the file could not be taken in."
    limits = validated.checked.limits
    return Content(
        pages=it.facts.pages,
        cache_key=it.pdf_key,
        source=piece.source,
        source_sha256=it.sha256,
        parts=(it.pdf,) if it.pdf is not None else (),
        load=intake.loader(piece.upload, it, limits, cache=ws.cache, display=ws.display),
        size=len(it.pdf) if it.pdf is not None else ws.cache.size(it.pdf_key),
        entry=it.pdf is None,
    )


def manifest(
    ws: Workspace,
    validated: Validated,
    planned: Planned,
    registry: TemplateRegistry,
    rendered: Rendered,
) -> dict[str, Any]:
    """Every manifest key but what assembly adds (sections, packet, parts)."""
    checked = validated.checked
    assert checked.data is not None
    templates = [
        {
            "name": w.name,
            "origin": "built-in" if w.builtin else ws.display(w.root),
            "sha256": w.sha256,
        }
        for w in registry.winners_used()
    ]
    base = manifest_base(
        checked.data,
        checked.profile,
        checked.report,
        draft=ws.options.draft,
        filename="",
        pages=0,
        inputs=planned.inputs,
        fingerprint=planned.fingerprint,
        templates=templates,
        converters=set(rendered.converters),
    )
    compressed = [
        {"path": ws.display(path), "pages": it.compressed, "jpeg_dpi": 200}
        for path, it in validated.intaken.items()
        if it.compressed
    ]
    if compressed:  # lossy, so said in the manifest
        base["compressed_scans"] = compressed
    if validated.signature is not None:  # in the embedded copy too: a removed signature shows
        base["signature"] = validated.signature.manifest()
    return base


def assemble_packet(
    ws: Workspace,
    validated: Validated,
    layout: Layout,
    base: dict[str, Any],
    ctx: dict[str, Any],
    receiver: Receiver,
    meanwhile: Callable[[], None] = lambda: None,
) -> Assembled:
    """The packet merged, stamped and described, in the work folder; `meanwhile` runs once the
    workers have assembly's own jobs (see `assemble`)."""
    info = packet_info_of(ws, validated, ctx, receiver)
    return assemble(
        layout,
        info,
        base,
        cache=ws.cache,
        work=ws.work,
        announce=ws.progress.step,
        pool=ws.pool,
        meanwhile=meanwhile,
    )


def packet_info_of(
    ws: Workspace, validated: Validated, ctx: dict[str, Any], receiver: Receiver
) -> PacketInfo:
    """What every page and the metadata of the packet say of it."""
    checked = validated.checked
    assert checked.data is not None
    return packet_info(
        checked.data,
        checked.report.as_of,
        ctx["submission"]["body_name"],
        ctx["fingerprint"],
        ws.options.draft,
        receiver.page_box,
    )


def word_copies(
    ws: Workspace,
    validated: Validated,
    planned: Planned,
    registry: TemplateRegistry,
    rendered: Rendered,
    ctx: dict[str, Any],
    layout: Layout,
) -> Callable[[], dict[str, bytes]]:
    """Start every Word copy on the workers; returns a function that waits for them."""
    return start_word_copies(
        planned.pieces,
        ctx,
        rendered.html,
        layout.refs,
        validated.report.as_of,
        registry=registry,
        cache=ws.cache,
        pool=ws.pool,
    )


def with_findings(
    ws: Workspace,
    validated: Validated,
    found: list[Finding],
    why: str = "the packet does not fit its receiver",
) -> Validated:
    """The report with what a later step found (the receiver's fit, the base); stop unless draft."""
    if not found:
        return validated
    report = validated.report.with_findings(tuple(found))
    if not report.ready and not ws.options.draft:
        raise NotReadyError(f"{why}: {found[0].message} Nothing was written.", report)
    c = validated.checked
    return replace(validated, checked=Checked(c.data, c.profile, report, c.limits))


def self_verify(ws: Workspace, done: Assembled) -> None:
    """The reviewer's checks on the packet just built (a cached packet was checked when built),
    before it is signed: a digital signature is added, then checked, after this."""
    ws.progress.step("Verifying the packet")
    if done.cached:  # and recorded as verified then
        return
    sha = done.manifest["packet"].get("sha256") if len(done.files) == 1 else None
    name, known, pool = done.manifest["packet"]["file"], done.known_digests, ws.pool
    if len(done.files) > 1:
        result = verify_parts(done.files, done.manifest, known, signatures=False, pool=pool)
    else:
        result = verify_source(done.packet, name, done.manifest, known, signatures=False, pool=pool)
    if not result.ok:
        problems = "; ".join(f"[{f.code}] {f.path}: {f.message}" for f in result.findings[:5])
        raise BuildError(f"the built packet failed its own verification: {problems}")
    if sha:  # a later `respond` naming these bytes as its base need not check them again
        ws.cache.put(verified_key(sha), b"verified")
