"""The packet's table of contents, in one place: the index page's entries and the PDF outline
are two views of the same grouping (front matter, sections, documents, each person's proofs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmpacket.plan._pieces import Piece
from cmpacket.plan._plan import FRONT, section_title


@dataclass
class Node:
    """A front-matter document, a section, a document, a staff member's proofs or one proof."""

    level: str  # front | section | doc | staff | proof
    title: str
    ref: str
    piece: Piece
    children: list[Node] = field(default_factory=list)


def contents(pieces: Sequence[Piece]) -> list[Node]:
    """Pieces grouped: front documents and sections at the top; documents and staff members in a
    section; each staff member's proofs under them."""
    tree: list[Node] = []
    section: Node | None = None
    staff: Node | None = None
    for p in pieces:
        # a part's cover sheet is no entry of its own, but a section may begin with it
        cover = p.kind == "part-cover"
        if cover and (p.section == FRONT[0] or (section and section.piece.section == p.section)):
            continue
        if p.section == FRONT[0]:
            tree.append(Node("front", p.title, f"doc/{p.key}", p))
            section = staff = None
            continue
        if section is None or section.piece.section != p.section:
            title = p.section_title or f"{p.section}. {section_title(p.section)}"
            section = Node("section", title, f"section/{p.section}", p)
            tree.append(section)
            staff = None
        if cover:
            continue
        if not p.staff_id:
            section.children.append(Node("doc", p.title, f"doc/{p.key}", p))
            staff = None
            continue
        if staff is None or staff.piece.staff_id != p.staff_id:
            staff = Node("staff", p.title.split(":", 1)[0], f"staff/{p.staff_id}", p)
            section.children.append(staff)
        staff.children.append(Node("proof", p.title.split(": ", 1)[-1], f"doc/{p.key}", p))
    return tree


def index_entries(
    pieces: Sequence[Piece], part_of: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """The index page's rows (page numbers are references the assembler fills in); with parts,
    `part` is the part holding the row's (first) document, else 0."""
    part_of = part_of or {}
    proofs: dict[str, int] = {}
    for p in pieces:
        if p.staff_id:
            proofs[p.staff_id] = proofs.get(p.staff_id, 0) + 1
    rows: list[dict[str, Any]] = []
    for node in contents(pieces):
        part = part_of.get(node.piece.key, 0)
        key = node.piece.doc_key if node.level == "front" else ""
        rows.append(
            {"level": "section", "title": node.title, "ref": node.ref, "part": part, "key": key}
        )
        for child in node.children:
            part = part_of.get(child.piece.key, 0)
            if child.level == "staff":
                count = proofs[child.piece.staff_id or ""]
                title = f"{child.title} — qualifications and licensure proofs ({count})"
                key = f"staff:{child.piece.staff_id}"  # the prefix of each of their proofs' keys
                rows.append(
                    {"level": "staff", "title": title, "ref": child.ref, "part": part, "key": key}
                )
            else:
                key = child.piece.doc_key
                rows.append(
                    {
                        "level": "doc",
                        "title": child.title,
                        "ref": child.ref,
                        "part": part,
                        "key": key,
                    }
                )
    return rows


def outline_tree(
    pieces: Sequence[Piece], first_page: Callable[[Piece], int]
) -> list[dict[str, Any]]:
    """The PDF outline: sections at level 1, documents at level 2, each person's proofs at level
    3; `page` is 0-based."""

    def entry(node: Node) -> dict[str, Any]:
        title = node.title
        if node.level == "staff":
            title = f"{node.title} ({node.piece.staff_id})"
        out: dict[str, Any] = {"title": title, "page": first_page(node.piece) - 1}
        if node.level in ("section", "staff"):
            out["children"] = [entry(child) for child in node.children]
        return out

    return [entry(node) for node in contents(pieces)]
