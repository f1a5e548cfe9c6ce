"""The build's Word copies: every generated document as an editable .docx, cached by the
template and the variables it reads."""

from __future__ import annotations

import json
from typing import Any

from cmpacket.build._workspace import Workspace
from cmpacket.plan import Piece
from cmpacket.templates import TemplateRegistry

LATE_WORD = ("readiness-report", "staff-roster")  # their Word copies show packet page numbers


def docx_name(piece: Piece) -> str:
    if piece.kind == "job-description":
        return f"job-description-{piece.extra['position_key']}.docx"
    return f"{piece.extra.get('document', piece.kind)}.docx"


def word_copies(
    ws: Workspace,
    registry: TemplateRegistry,
    pieces: list[Piece],
    context: dict[str, Any],
    refs: dict[str, tuple[int, int]] | None,
) -> dict[str, bytes]:
    """The Word copies of `pieces` that have one: without `refs` (page numbers not known yet)
    those that show no page numbers, with `refs` those that do."""
    from cmpacket.render import piece_context, with_pages

    ctx = with_pages(context, refs) if refs is not None else context
    return {
        docx_name(piece): render_word(ws, registry, piece.word, piece_context(ctx, piece))
        for piece in pieces
        if piece.word and (piece.kind in LATE_WORD) == (refs is not None)
    }


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
