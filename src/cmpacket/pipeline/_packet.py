"""The packet made from a validated agency (plan, render, assemble for the receiver, verify) and
written into OUT: the steps `build` and `respond` share."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cmpacket.findings import contradicted_proofs
from cmpacket.pipeline import _stages as stage
from cmpacket.pipeline._fit import Fitted, assemble_to_fit
from cmpacket.pipeline._fit import findings as fit_findings
from cmpacket.pipeline._sign import sign_assembled
from cmpacket.pipeline._stages import Validated
from cmpacket.pipeline._workspace import Workspace
from cmpacket.pipeline._write import BuildResult, Extra, write_outputs
from cmpacket.plan import Planned
from cmpacket.receivers import Receiver
from cmpacket.render import Rendered, with_plan
from cmpacket.templates import TemplateRegistry
from cmpacket.verify import Base


@dataclass(frozen=True)
class Made:
    """The packet made and verified in the work folder, and what it was made from."""

    validated: Validated
    planned: Planned
    registry: TemplateRegistry
    context: dict[str, Any]
    fitted: Fitted


def make_packet(ws: Workspace, validated: Validated, receiver: Receiver, base: Base | None) -> Made:
    """Plan, render, assemble (as parts for the receiver) and verify the packet."""
    planned = stage.plan(ws, validated)  # plan
    registry = TemplateRegistry.for_agency(ws.folder, ws.options.template_dirs)
    ctx = stage.context(ws, validated, registry, receiver)
    # the index waits for the parts (it names each document's part) and for the base (it marks
    # what changed since)
    later = (receiver.max_file_bytes is not None and receiver.split == "parts") or bool(base)
    here = with_plan(ctx, planned)
    first = stage.render(ws, validated, planned, registry, here, late=not later)  # render
    fitted = assemble_to_fit(ws, validated, planned, registry, ctx, first, receiver, base)
    stage.self_verify(ws, fitted.assembled)  # verify (the reviewer's checks, on our own output)
    if validated.signature is not None:  # sign (SPEC §18): the packet, or each part
        signed = sign_assembled(
            ws, validated.signature, fitted.assembled, "application-summary.html.j2", "packet"
        )
        # a signature adds some kilobytes: the receiver's caps are checked on the signed files
        fitted = replace(fitted, assembled=signed, findings=fit_findings(receiver, signed.files))
    validated = stage.with_findings(ws, validated, fitted.findings)
    if ws.options.keep_temp:
        _keep_pieces(ws, fitted.rendered)
    return Made(validated, planned, registry, ctx, fitted)


def _keep_pieces(ws: Workspace, rendered: Rendered) -> None:
    """--keep-temp: every piece's PDF beside the blocks and the packet, for inspection."""
    for i, (piece, content) in enumerate(rendered.made):
        for k, part in enumerate(content.pdfs()):
            name = "".join(c if c.isalnum() else "-" for c in piece.key)[:60]
            (ws.work / f"{i:04d}-{name}-{k}.pdf").write_bytes(part)


def write_packet(
    ws: Workspace, made: Made, extra: Extra | None = None, docx: dict[str, bytes] | None = None
) -> BuildResult:
    """Write the packet, its manifest, readiness report and Word copies (and `extra` files:
    name -> bytes, e.g. a response packet) into OUT, all together or nothing."""
    done = made.fitted.assembled
    report = made.validated.report.with_pages(done.refs)  # evidence: proofs' pages
    copies = made.fitted.docx | (docx or {})
    files = write_outputs(ws.out, done.files, done.manifest, report, copies, extra)
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
        report=report,
        contradicted=_contradicted(made, report),
    )


def _contradicted(made: Made, report: Any) -> list[str]:
    data = made.validated.checked.data
    names = [s.name or s.id for s in data.staff] if data is not None else []
    return contradicted_proofs(report.evidence, names)
