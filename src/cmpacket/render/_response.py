"""What a response packet's cover letter, response table and change table show: the letter
answered and its due date, each item with its answer (a CAP item's cause, correction, owner,
date and how it is sustained) and its exhibits, and the documents changed since the base."""

from __future__ import annotations

from datetime import date
from typing import Any

from cmpacket.findings import ResponseFacts
from cmpacket.model import Response
from cmpacket.plan import Piece
from cmpacket.render._signature import signature_statement

KIND_TITLES = {"rfi": "request for information", "cap": "corrective action plan"}


def response_context(
    ctx: dict[str, Any],
    response: Response,
    facts: ResponseFacts,
    pieces: list[Piece],
    ops: list[dict[str, Any]],
    page_id_prefix: str,
    documents: dict[str, Piece],
    dated: date,
) -> dict[str, Any]:
    """The packet's context (the agency, signatures, program) with the response's: `response`,
    `items`, `changes`, and the page ids' prefix (`PCC-R1`). The response is signed as the
    agency's `signatures` say, on its own date."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    shown: dict[str, str] = {}  # a cumulative packet's document key -> its exhibit's ref here
    for piece in pieces:
        if piece.section == "front":
            continue
        ref = f"doc/{piece.key}"
        document = piece.extra.get("document")
        if document and not piece.extra.get("chapter"):
            shown[str(document)] = ref
        elif piece.kind == "upload":
            shown.setdefault(f"file:{piece.source}", ref)
        for item_id in piece.extra.get("items") or []:
            by_item.setdefault(item_id, []).append({"title": piece.title, "ref": ref})
    letter = response.letter
    items = []
    for item in response.items:
        items.append(
            {
                "id": item.id,
                "request": item.request or "",
                "citation": item.citation or "",
                "answer": item.answer or "",
                "cause": item.cause or "",
                "correction": item.correction or "",
                "owner": {"name": item.owner.name or "", "title": item.owner.title or ""}
                if item.owner
                else None,
                "completed": item.completed,
                "target": item.target,
                "sustain": item.sustain or "",
                "exhibits": _exhibits(item, by_item),
            }
        )
    changes = [
        {
            "operation": op["operation"],
            "title": op["title"],
            "base_pages": op["base_pages"],
            "pages": op["pages"],
            "ref": shown.get(op["key"]) or _upload_ref(op["key"], documents, shown),
        }
        for op in ops
        if op["operation"] in ("new", "replace", "delete")
    ]
    life = ctx.get("lifecycle") or {}
    signature = dict(ctx["signature"])
    if signature["signed"]:
        signature["date"] = dated
        signature["statement"] = signature_statement(
            signature["name"], signature["title"], dated, bool(signature.get("digital"))
        )
    return dict(
        ctx,
        signature=signature,
        page_id_prefix=page_id_prefix,
        response={
            "name": response.name,
            "date": dated,
            "kind": response.kind,
            "kind_title": KIND_TITLES.get(response.kind, response.kind),
            "reference": letter.reference or "",
            "sender": letter.sender or "",
            "dated": letter.dated,
            "received": letter.received,
            "due": facts.due,
            "due_basis": facts.due_basis,
            "has_letter": bool(letter.file),
            "letter_ref": "doc/letter" if letter.file else "",
            "base": (life.get("base") or {}).get("file", ""),
            "sequence": life.get("sequence", 0),
            "counts": life.get("counts") or {},
        },
        items=items,
        changes=changes,
    )


def _upload_ref(key: str, documents: dict[str, Piece], shown: dict[str, str]) -> str:
    """Where a changed upload is enclosed as an item's exhibit (the same file)."""
    doc = documents.get(key)
    return shown.get(f"file:{doc.source}", "") if doc is not None and doc.kind == "upload" else ""


def _exhibits(item: Any, by_item: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return by_item.get(item.id, [])
