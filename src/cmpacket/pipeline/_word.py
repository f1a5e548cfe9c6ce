"""The build's Word copies: every generated document as an editable .docx — made from the very
HTML its packet pages were laid out from, or from the agency's own Word template — cached by
what each reads."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from cmpacket.pipeline._workspace import Workspace
from cmpacket.plan import Piece
from cmpacket.templates import TemplateRegistry

LATE_WORD = ("readiness-report", "staff-roster")  # their Word templates show page numbers


def docx_name(piece: Piece) -> str:
    if piece.kind == "job-description":
        return f"job-description-{piece.extra['position_key']}.docx"
    return f"{piece.extra.get('document', piece.kind)}.docx"


def word_copies(
    ws: Workspace,
    registry: TemplateRegistry,
    pieces: list[Piece],
    context: dict[str, Any],
    html: dict[str, str],
    refs: dict[str, tuple[int, int]] | None,
    as_of: date,
) -> dict[str, bytes]:
    """The Word copies of `pieces` that have one: without `refs` (page numbers not known yet)
    those that show no page numbers, with `refs` those that do. `html` holds each document's
    HTML as laid out (the roster, laid out in parts, is rendered whole here)."""
    from cmpacket.render import piece_context, with_pages
    from cmpacket.render._word import needs_pages, user_word_template

    out = {}
    for piece in pieces:
        if not piece.word:
            continue
        if user_word_template(registry, piece.word):
            if (piece.kind in LATE_WORD) == (refs is not None):
                ctx = with_pages(context, refs) if refs is not None else context
                out[docx_name(piece)] = render_word(
                    ws, registry, piece.word, piece_context(ctx, piece)
                )
            continue
        source = html.get(piece.key) or _whole_html(registry, piece, context)
        if needs_pages(source) == (refs is not None):
            out[docx_name(piece)] = _html_copy(ws, piece, source, context, refs or {}, as_of)
    return out


def _whole_html(registry: TemplateRegistry, piece: Piece, context: dict[str, Any]) -> str:
    """The HTML of a document whose packet pages are not its own laid-out HTML: the roster (laid
    out in parts) rendered once whole, or a generated document replaced in the packet by its
    signed scan (its Word copy is still the editable generated document)."""
    from cmpacket.plan import chunk
    from cmpacket.render import piece_context, render_template

    ctx = dict(piece_context(context, piece))
    rows = ctx["evidence"] if piece.kind == "readiness-report" else ctx["staff"]
    ctx["chunk"] = chunk(True, rows)
    return render_template(registry, template_of(piece), ctx)


def template_of(piece: Piece) -> str:
    """The HTML template that defines a piece's document (also for a signed scan standing in)."""
    return piece.template or f"{piece.extra['document']}.html.j2"


def _html_copy(
    ws: Workspace,
    piece: Piece,
    html: str,
    values: dict[str, Any],
    refs: dict[str, tuple[int, int]],
    as_of: date,
) -> bytes:
    """The Word copy of the HTML, cached on it and the page numbers and values it shows."""
    from cmpacket.render._word import html_word_copy, word_copy_inputs

    used_refs, fills = word_copy_inputs(html, refs, values)
    key = ws.cache.key(
        "docx-html", html, json.dumps([used_refs, fills, str(as_of)], sort_keys=True)
    )
    blob = ws.cache.get(key, f"docx:{template_of(piece)}")
    if blob is None:
        blob = html_word_copy(html, used_refs, fills, as_of)
        ws.cache.put(key, blob)
    return blob


def render_word(ws: Workspace, registry: TemplateRegistry, name: str, ctx: dict[str, Any]) -> bytes:
    """One Word template rendered (cache first), keyed by exactly the variables it reads."""
    from cmpacket.render import docx_reads, render_docx

    winner = registry.find(name)
    reads_key = ws.cache.key("docx-reads", winner.sha256)
    known = ws.cache.get(reads_key, f"docx-reads:{name}")
    if known is None:
        reads = docx_reads(registry, name)
        ws.cache.put(reads_key, json.dumps(sorted(reads)).encode())
    else:
        reads = frozenset(json.loads(known))
    reads = reads or frozenset(ctx)
    used = {k: ctx[k] for k in sorted(reads) if k in ctx}
    key = ws.cache.key("docx", name, winner.sha256, json.dumps(used, sort_keys=True, default=str))
    blob = ws.cache.get(key, f"docx:{name}")
    if blob is None:
        blob = render_docx(registry, name, ctx)
        ws.cache.put(key, blob)
    return blob
