"""`cmpacket respond`: the answer to a letter of the Department (SPEC §16) — the cumulative packet,
one sequence after the packet the letter answers, and the response packet: the cover letter,
the response table, the change table, then the exhibits, every page stamped with the response's
reference, page ids and the items it answers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from cmpacket import intake, lifecycle
from cmpacket._dates import parse_date, pdf_date_for, today
from cmpacket.assemble import Assembled, Layout, assemble, manifest_base, manifest_json, place
from cmpacket.cache import file_sha256
from cmpacket.convert import count_pages
from cmpacket.errors import BuildError, InputError, NotReadyError, UsageError
from cmpacket.findings import Report, ResponseFacts
from cmpacket.model import Response, find_response, load_response
from cmpacket.pipeline import _stages as stage
from cmpacket.pipeline._fit import findings as fit_findings
from cmpacket.pipeline._packet import Made, make_packet, write_packet
from cmpacket.pipeline._responses import base_of
from cmpacket.pipeline._sign import prepare_signature, response_signature, sign_assembled
from cmpacket.pipeline._stages import Validated
from cmpacket.pipeline._workspace import Workspace
from cmpacket.pipeline._write import BuildResult, Extra
from cmpacket.plan import (
    Content,
    Piece,
    Planned,
    doc_keys,
    fingerprint,
    plan_response,
    prefix,
    response_slug,
    slug,
)
from cmpacket.receivers import Receiver, load_receiver
from cmpacket.render import (
    render_pieces,
    resources_digest,
    response_context,
    start_word_copies,
    warm_up,
)
from cmpacket.validators import check_response, with_responses
from cmpacket.verify import verify_source

EMBED = "response-manifest.json"


@dataclass(frozen=True)
class RespondResult:
    """What `respond` wrote: the cumulative packet (as `build` writes it) and the response."""

    packet: BuildResult
    response: Path
    manifest: Path
    pages: int
    documents: list[Path]
    due: str | None


def respond_in(ws: Workspace, given: Path) -> RespondResult:
    # the response packet is always laid out: one worker imports WeasyPrint from the start while
    # this process validates (the other takes the changed uploads' intake meanwhile)
    ws.pool.warm(warm_up, start=True, count=1)
    folder = find_response(ws.folder, given)
    response, problems = load_response(ws.folder, folder)
    if response is None:
        report = Report(today(), "", tuple(problems))
        raise NotReadyError(
            f"{given}: response.yaml has schema errors; nothing was written.", report
        )
    if response.base and (ws.folder / response.base).resolve().parent == ws.out:
        raise UsageError(
            f"{ws.display(ws.out)}: the output folder holds the base packet {response.base}; "
            f"respond would replace it with the updated packet.",
            hint="Give another -o, or keep the packet you sent apart (e.g. sent/) and name it "
            "as the base.",
        )
    # the packet stays the application it was (its as-of date: --as-of, else submission.date);
    # the response is dated its own day: `date:` in response.yaml, else --as-of, else today
    dated = response.date or _as_date(ws.options.as_of) or today()
    receiver = load_receiver(ws.options.receiver, base=Path.cwd())
    validated = stage.validate(ws, receiver)  # the agency
    validated = prepare_signature(ws, validated)  # the signer's certificate, checked
    data, profile = validated.checked.data, validated.checked.profile
    assert data is not None and profile is not None
    state, base = base_of(response, data, ws.cache)
    if state.unreadable:  # nothing to answer after: not a finding to fix in the data
        raise InputError(
            f"response-base-missing: {response.file}: the base packet cannot be read: "
            f"{state.unreadable}",
            hint="Give the packet PDF (or its manifest.json) the Department received, e.g. "
            "base: sent/<agency>-packet.pdf.",
        )
    keys = doc_keys(data)
    found, facts = check_response(response, data, profile, dated, base=state, documents=keys)
    validated = stage.with_findings(
        ws, validated, [*problems, *found], "the response cannot be sent as it is"
    )
    report = with_responses(validated.report, data, (facts,))
    validated = replace(validated, checked=replace(validated.checked, report=report))
    made = make_packet(ws, validated, receiver, base)  # the cumulative packet
    answer = _response_packet(ws, made, response, facts, receiver, dated)
    ws.progress.step(f"Writing {ws.out}")
    name = answer.files[0].name
    extra: Extra = {name: answer.files[0], EMBED: manifest_json(answer.manifest)}
    built = write_packet(ws, made, extra, answer.docx)
    return RespondResult(
        packet=built,
        response=ws.out / name,
        manifest=ws.out / EMBED,
        pages=answer.manifest["packet"]["pages"],
        documents=sorted(ws.out / "documents" / n for n in answer.docx),
        due=facts.due.isoformat() if facts.due else None,
    )


@dataclass(frozen=True)
class _Answer:
    files: list[Path]
    manifest: dict[str, Any]
    docx: dict[str, bytes]


def _response_packet(
    ws: Workspace,
    made: Made,
    response: Response,
    facts: ResponseFacts,
    receiver: Receiver,
    dated: date,
) -> _Answer:
    """Plan, make, assemble and verify the response packet in the work folder."""
    validated = made.validated
    data = validated.checked.data
    assert data is not None
    made_pieces = made.fitted.rendered.made
    documents = {piece.doc_key: piece for piece, _ in made_pieces}
    contents = {piece.doc_key: content for piece, content in made_pieces}
    life = made.fitted.assembled.manifest["lifecycle"]
    ops = life["operations"]
    changed = [op["key"] for op in ops if op["operation"] in ("new", "replace")]
    titles = {ch["key"]: ch["title"] for ch in made.context["chapters"]}
    pieces = plan_response(data, response, documents, changed, titles)
    validated = _with_exhibits(ws, validated, pieces)
    sequence = int(life["sequence"])
    ids = f"{prefix(data)}-R{sequence}"
    counts = lifecycle.summary(ops)
    ctx = dict(
        made.context, lifecycle={"sequence": sequence, "base": life["base"], "counts": counts}
    )
    ctx = response_context(ctx, response, facts, pieces, ops, ids, documents, dated)
    inputs = _inputs(ws, response, pieces)
    planned = Planned(pieces, inputs, fingerprint(inputs), "")
    rendered = render_pieces(
        planned,
        ctx,
        made.registry,
        lambda piece: _content_of(ws, validated, piece, contents, ctx),
        cache=ws.cache,
        pool=ws.pool,
        resources=resources_digest(made.registry),
        wanted={},
        progress=lambda text: None,
        ticker=ws.ticker,
    )
    layout = place(rendered.made)
    copies = start_word_copies(
        pieces,
        ctx,
        rendered.html,
        layout.refs,
        dated,
        registry=made.registry,
        cache=ws.cache,
        pool=ws.pool,
    )
    manifest = _manifest(ws, made, response, facts, planned, rendered.converters, layout)
    if validated.signature is not None:
        manifest["signature"] = response_signature(validated.signature, dated).manifest()
    info = stage.packet_info_of(ws, validated, ctx, receiver)
    reference = response.letter.reference or response.name
    info = replace(
        info,
        prefix=ids,
        title=f"{info.legal_name} \u2014 Response to {reference}",
        subject=f"Response to the Department's letter {reference} of {dated.isoformat()}",
        pdf_date=pdf_date_for(dated),
    )
    name = f"{slug(info.legal_name)}-response-{response_slug(response)}.pdf"
    work = ws.work / "response"
    work.mkdir(exist_ok=True)
    ws.progress.step(f"Assembling the response packet ({layout.pages} pages)")
    done = assemble(
        layout, info, manifest, cache=ws.cache, work=work, filename=name, embed=EMBED, pool=ws.pool
    )
    docx = copies()
    _self_verify(done)
    if validated.signature is not None:  # signed as the packet is, on the response's date
        signature = response_signature(validated.signature, dated)
        done = sign_assembled(ws, signature, done, "response-letter.html.j2", "response")
    too_large = fit_findings(receiver, done.files)
    if too_large and not ws.options.draft:
        raise NotReadyError(
            f"the response packet does not fit its receiver: {too_large[0].message}",
            validated.report.with_findings(tuple(too_large)),
        )
    return _Answer(done.files, done.manifest, {f"response-{k}": v for k, v in docx.items()})


def _as_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return parse_date(value)


def _with_exhibits(ws: Workspace, validated: Validated, pieces: list[Piece]) -> Validated:
    """The agency's uploads with the response's own (the letter, exhibits the packet does not
    hold) taken in the same way: sanitized, OCR'd, cached."""
    known = validated.intaken
    paths = [p.upload for p in pieces if p.upload is not None and p.upload not in known]
    if not paths:
        return validated
    limits = validated.checked.limits
    env: dict[str, Any] = {"cache": ws.cache, "ticker": ws.ticker, "display": ws.display}
    more = intake.take_in_all(sorted(set(paths)), limits, pool=ws.pool, **env)
    more = intake.add_ocr(more, intake.check_mode(ws.options.ocr), limits, note=ws.note, **env)
    return replace(validated, intaken={**known, **more})


def _content_of(
    ws: Workspace,
    validated: Validated,
    piece: Piece,
    contents: dict[str, Content],
    ctx: dict[str, Any],
) -> Content | str:
    """An exhibit's content: an upload as intake left it; a document of the cumulative packet
    as it was laid out there (one chapter of the manual: that chapter's own pages)."""
    document = piece.extra.get("document")
    if document is None:
        return stage.upload_content(ws, validated, piece)
    content = contents[str(document)]
    chapter = piece.extra.get("chapter")
    if not chapter:
        return content
    keys = [ch["key"] for ch in ctx["chapters"]]
    parts = content.pdfs()
    if len(parts) != len(keys) or chapter not in keys:  # an override laid out whole
        return content
    part = parts[keys.index(str(chapter))]
    return Content(
        pages=count_pages(part),
        cache_key=file_sha256(part),
        source=content.source,
        source_sha256=content.source_sha256,
        parts=(part,),
        size=len(part),
    )


def _inputs(ws: Workspace, response: Response, pieces: list[Piece]) -> list[dict[str, str]]:
    """The response file and every upload the response packet holds, with their sha256."""
    files = {response.file: response.folder / "response.yaml"}
    for piece in pieces:
        if piece.upload is not None:
            files[piece.source] = piece.upload
    return [{"path": k, "sha256": file_sha256(v)} for k, v in sorted(files.items())]


def _manifest(
    ws: Workspace,
    made: Made,
    response: Response,
    facts: ResponseFacts,
    planned: Planned,
    converters: frozenset[str],
    layout: Layout,
) -> dict[str, Any]:
    """The response manifest: a packet manifest (so `verify` checks it as one) with the
    cumulative packet's lifecycle and `response`: the letter and each item's exhibits' pages."""
    checked = made.validated.checked
    assert checked.data is not None
    report = replace(checked.report, evidence=())
    base = manifest_base(
        checked.data,
        checked.profile,
        report,
        draft=ws.options.draft,
        filename="",
        pages=0,
        inputs=planned.inputs,
        fingerprint=planned.fingerprint,
        templates=[
            {
                "name": w.name,
                "origin": "built-in" if w.builtin else ws.display(w.root),
                "sha256": w.sha256,
            }
            for w in made.registry.winners_used()
        ],
        converters=set(converters),
    )
    pages = {p.key: (p.first_page, p.last_page) for p in layout.placed}
    items = []
    for item in response.items:
        exhibits = []
        for piece in planned.pieces:
            if item.id not in (piece.extra.get("items") or []):
                continue
            first, last = pages[piece.key]
            what: dict[str, Any] = (
                {"file": piece.source}
                if piece.extra.get("document") is None
                else {"document": piece.extra["document"], "chapter": piece.extra.get("chapter")}
            )
            exhibits.append({**what, "first_page": first, "last_page": last})
        items.append({"id": item.id, "exhibits": exhibits})

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    base["kind"] = "response"
    base["required_sections"] = []
    base["lifecycle"] = made.fitted.assembled.manifest["lifecycle"]
    base["packet_of"] = made.fitted.assembled.manifest["packet"]["file"]
    base["response"] = {
        "kind": response.kind,
        "reference": response.letter.reference,
        "from": response.letter.sender,
        "dated": day(response.letter.dated),
        "received": day(response.letter.received),
        "due": day(facts.due),
        "items": items,
    }
    return base


def _self_verify(done: Assembled) -> None:
    name = done.manifest["packet"]["file"]
    result = verify_source(done.packet, name, done.manifest, done.known_digests, signatures=False)
    if not result.ok:
        problems = "; ".join(f"[{f.code}] {f.path}: {f.message}" for f in result.findings[:5])
        raise BuildError(f"the response packet failed its own verification: {problems}")
