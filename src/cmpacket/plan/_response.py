"""The plan of a response packet (SPEC §16): the cover letter, the response table and the change
table, then the exhibits — the Department's letter, each item's exhibits in item order (one that
answers several items is placed with the first and names them all), and every document new or
replaced since the base that no item already shows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cmpacket.model import AgencyData, Response, resolve_upload
from cmpacket.plan._pieces import Piece
from cmpacket.plan._plan import slug

FRONT = "front"


def response_slug(response: Response) -> str:
    """The reference as a file name part: `HSP-CM-2027-014` -> `hsp-cm-2027-014`."""
    return slug(response.letter.reference or response.name)


def plan_response(
    data: AgencyData,
    response: Response,
    documents: dict[str, Piece],
    changed: Sequence[str],
    chapters: dict[str, str] | None = None,
) -> list[Piece]:
    """The response packet's pieces. `documents`: the cumulative packet's pieces by document key
    (for exhibits that are documents of the packet); `changed`: the keys of its documents that
    are new or replaced since the base."""
    ref = response.letter.reference or response.name
    said = f"Response to {ref}"
    out = [
        _doc("response-letter", "Cover letter", said),
        _doc("response-table", "Response table", said),
        _doc("change-table", "Changes since the base packet", said),
    ]
    if response.letter.file:
        ref_ = resolve_upload(data.folder, response.letter.file)
        dated = f" of {response.letter.dated.isoformat()}" if response.letter.dated else ""
        out.append(
            Piece(
                "letter",
                "letter",
                f"The Department's letter{dated}",
                "upload",
                source=response.letter.file,
                upload=ref_.path,
                stamp=f"{said}  |  Letter",
                section_title="The Department's letter",
                lineage="response:letter",
            )
        )
    answers = _answering(response)
    placed: set[str] = set()
    for item in response.items:
        for exhibit in item.exhibits:
            identity = _identity(exhibit.file, exhibit.document, exhibit.chapter)
            if identity in placed:
                continue
            placed.add(identity)
            ids = answers[identity]
            label = ("Item " if len(ids) == 1 else "Items ") + ", ".join(ids)
            section = f"item-{item.id}"
            common: dict[str, Any] = {
                "stamp": f"{said}  |  {label}",
                "section_title": f"Item {item.id}: exhibits",
                "extra": {"items": list(ids)},
            }
            if exhibit.file:
                up = resolve_upload(data.folder, exhibit.file)
                title = _upload_title(exhibit.file, documents)
                out.append(
                    Piece(
                        f"exhibit:{identity}", section, title, "upload", source=exhibit.file,
                        upload=up.path, lineage=f"exhibit:{identity}", **common,
                    )
                )  # fmt: skip
            else:
                doc = documents[str(exhibit.document)]
                named = (chapters or {}).get(str(exhibit.chapter), exhibit.chapter)
                title = doc.title + (f", chapter \u201c{named}\u201d" if exhibit.chapter else "")
                extra = dict(common["extra"], document=doc.doc_key, chapter=exhibit.chapter)
                out.append(
                    Piece(
                        f"exhibit:{identity}", section, title, doc.kind, source=doc.source,
                        lineage=f"exhibit:{identity}", stamp=common["stamp"],
                        section_title=common["section_title"], extra=extra,
                    )
                )  # fmt: skip
    shown = {_shown_key(p, documents) for p in out}
    for key in changed:
        same = documents.get(key)
        if same is None or key in shown:
            continue
        out.append(
            Piece(
                f"changed:{key}", "changes", same.title, same.kind, source=same.source,
                stamp=f"{said}  |  Changed document", section_title="New and replaced documents",
                lineage=f"changed:{key}", extra={"document": key, "chapter": None, "items": []},
            )
        )  # fmt: skip
    return out


def _doc(kind: str, title: str, said: str) -> Piece:
    template = f"{kind}.html.j2"
    return Piece(
        kind, FRONT, title, kind, source=template, template=template,
        word=f"word/{kind}.docx", stamp=said,
    )  # fmt: skip


def _identity(file: str | None, document: str | None, chapter: str | None) -> str:
    if file:
        return f"file:{Path(file).as_posix()}"
    return f"document:{document}" + (f"#{chapter}" if chapter else "")


def _answering(response: Response) -> dict[str, list[str]]:
    """Each exhibit -> the ids of the items it answers, in item order."""
    out: dict[str, list[str]] = {}
    for item in response.items:
        for exhibit in item.exhibits:
            ids = out.setdefault(_identity(exhibit.file, exhibit.document, exhibit.chapter), [])
            if item.id not in ids:
                ids.append(item.id)
    return out


def _upload_title(file: str, documents: dict[str, Piece]) -> str:
    """An uploaded exhibit's title: the packet's title for it when the packet holds the file."""
    for doc in documents.values():
        if doc.kind == "upload" and doc.source == file:
            return doc.title
    return Path(file).stem.replace("-", " ").replace("_", " ").strip().capitalize() or file


def _shown_key(piece: Piece, documents: dict[str, Piece]) -> str:
    """The cumulative packet's document an exhibit already shows (whole), if any."""
    if piece.extra.get("document") and not piece.extra.get("chapter"):
        return str(piece.extra["document"])
    if piece.kind == "upload":
        for key, doc in documents.items():
            if doc.kind == "upload" and doc.source == piece.source:
                return key
    return ""
