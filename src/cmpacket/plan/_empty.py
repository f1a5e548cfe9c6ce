"""A draft shows what is missing: a required section with nothing in it gets one page saying so,
where the section would be, instead of a packet that fails its own verification."""

from __future__ import annotations

from collections.abc import Sequence

from cmpacket.plan._pieces import Piece
from cmpacket.plan._plan import SECTIONS, section_title

WHY = {
    "A": "the agency data gives no application summary to show.",
    "B": "the agency data gives no written agreement or statement of assurances to show.",
    "C": "agency.yaml lists no positions (`positions:`), so there is no job description to show.",
    "D": "the profile names no policy topics, so there is no manual to show.",
    "E": "agency.yaml describes no service settings (`service_settings:`).",
    "F": "agency.yaml describes no participant records system (`records_system:`).",
    "G": "agency.yaml lists no staff (`staff:` or a roster file).",
}


def with_empty_sections(pieces: Sequence[Piece], required: Sequence[str]) -> list[Piece]:
    """The pieces with a page for each required section that has none (drafts only: a final
    build with an empty required section has error findings and stops before planning)."""
    present = {p.section for p in pieces}
    missing = [letter for letter in required if letter not in present]
    if not missing:
        return list(pieces)
    order = [letter for letter, _ in SECTIONS]
    out = list(pieces)
    for letter in missing:
        empty = Piece(
            f"empty-section:{letter}",
            letter,
            f"{section_title(letter)}: nothing to show yet",
            "empty-section",
            source="_empty-section.html.j2",
            template="_empty-section.html.j2",
            extra={"why": WHY.get(letter, "the agency data gives nothing for this section.")},
        )
        rank = order.index(letter) if letter in order else len(order)
        at = next(
            (i for i, p in enumerate(out) if p.section in order and order.index(p.section) > rank),
            len(out),
        )
        out.insert(at, empty)
    return out
