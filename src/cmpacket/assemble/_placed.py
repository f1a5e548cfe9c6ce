"""The pieces placed in the packet: where each starts, the page references templates use, and
what each page's stamp says."""

from __future__ import annotations

from dataclasses import dataclass

from cmpacket.plan import Content, Piece


@dataclass
class PacketInfo:
    """What the assembler needs besides the pieces."""

    legal_name: str
    prefix: str
    draft: bool
    title: str
    subject: str
    pdf_date: str
    creator: str
    fingerprint: str = ""
    max_page: tuple[float, float] | None = None  # the receiver's page size: larger pages shrink


@dataclass(frozen=True)
class Placed:
    """A planned piece, its content and where it starts in the packet."""

    piece: Piece
    content: Content
    first_page: int

    @property
    def last_page(self) -> int:
        return self.first_page + self.content.pages - 1

    # what assembly and the manifest read, named as in the plan and the content
    key = property(lambda self: self.piece.key)
    section = property(lambda self: self.piece.section)
    title = property(lambda self: self.piece.title)
    kind = property(lambda self: self.piece.kind)
    staff_id = property(lambda self: self.piece.staff_id)
    pages = property(lambda self: self.content.pages)
    cache_key = property(lambda self: self.content.cache_key)
    source = property(lambda self: self.content.source)
    source_sha256 = property(lambda self: self.content.source_sha256)


def number_pages(
    made: list[tuple[Piece, Content]],
) -> tuple[list[Placed], dict[str, tuple[int, int]]]:
    """Give every piece its first page; returns the placed pieces and the page references
    (`doc/KEY`, `section/LETTER`, `staff/ID` -> first and last page) templates may use."""
    page = 1
    placed: list[Placed] = []
    refs: dict[str, tuple[int, int]] = {}
    for piece, content in made:
        p = Placed(piece, content, page)
        placed.append(p)
        page += content.pages
        refs[f"doc/{piece.key}"] = (p.first_page, p.last_page)
        for key in (
            f"section/{piece.section}",
            f"staff/{piece.staff_id}" if piece.staff_id else "",
        ):
            if key:
                refs[key] = (refs.get(key, (p.first_page, 0))[0], p.last_page)
    return placed, refs


def stamp_text(info: PacketInfo, piece: Piece, n: int, total: int) -> str:
    """`Agency  |  Section D  |  Page 41 of 65  |  PCC-000041` (a response packet's pieces say
    where they are themselves: `Response to HSP-CM-2027-014  |  Item 3`)."""
    letter = piece.section
    where = piece.stamp or ("Front matter" if letter == "front" else f"Section {letter}")
    draft = "DRAFT \u2014 " if info.draft else ""
    return f"{draft}{info.legal_name}  |  {where}  |  Page {n} of {total}  |  {info.prefix}-{n:06d}"


def stamp_charset(info: PacketInfo) -> str:
    """The text the stamp font must cover beyond ASCII (blocks and the merge use the same)."""
    return info.legal_name + info.prefix
