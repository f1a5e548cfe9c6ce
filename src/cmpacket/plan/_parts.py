"""A packet planned as parts: a cover sheet starts each part, and a document split across parts
(only an upload that alone is over the receiver's cap) becomes one piece per part."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cmpacket.plan._pieces import Piece


@dataclass(frozen=True)
class Cut:
    """Pages `first`..`last` (1-based, within the piece) of the plan's piece at `index`."""

    index: int
    first: int
    last: int
    whole: bool


@dataclass(frozen=True)
class PartsPlan:
    """The pieces with part covers; `part_of` maps each piece key to its part (1-based)."""

    pieces: list[Piece]
    part_of: dict[str, int]
    count: int
    split: dict[str, tuple[str, int, int]] = field(
        default_factory=dict
    )  # key -> (whole key, first, last)


def cover_key(k: int) -> str:
    return f"part-cover:{k}"


def with_parts(pieces: Sequence[Piece], parts: Sequence[Sequence[Cut]]) -> PartsPlan:
    """The pieces in `parts` order with a cover sheet first in each part."""
    out: list[Piece] = []
    part_of: dict[str, int] = {}
    split: dict[str, tuple[str, int, int]] = {}
    n = len(parts)
    for k, cuts in enumerate(parts, start=1):
        first = pieces[cuts[0].index]
        cover = Piece(
            cover_key(k),
            first.section,
            f"Part {k} of {n}",
            "part-cover",
            source="part-cover.html.j2",
            template="part-cover.html.j2",
            extra={"part": k},
        )
        out.append(cover)
        part_of[cover.key] = k
        for cut in cuts:
            piece = pieces[cut.index]
            if not cut.whole:
                key = f"{piece.key}#{cut.first}-{cut.last}"
                split[key] = (piece.key, cut.first, cut.last)
                piece = Piece(
                    key,
                    piece.section,
                    f"{piece.title} (its pages {cut.first}\u2013{cut.last})",
                    piece.kind,
                    source=piece.source,
                    template=piece.template,
                    word=piece.word,
                    extra=dict(piece.extra),
                    upload=piece.upload,
                    staff_id=piece.staff_id,
                    lineage=f"{piece.doc_key}#{cut.first}-{cut.last}",
                )
            out.append(piece)
            part_of[piece.key] = k
    return PartsPlan(out, part_of, n, split)
