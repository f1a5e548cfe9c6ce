"""Stage 4, planning: which pieces the packet holds, in which section and order, and its table of
contents. Plain data for rendering and assembly; nothing is rendered or read here."""

from cmpacket.plan._empty import with_empty_sections
from cmpacket.plan._index import contents, index_entries, outline_tree
from cmpacket.plan._inputs import fingerprint, packet_inputs
from cmpacket.plan._pages import (
    chunk,
    evidence_parts,
    index_parts,
    manual_chunk,
    pack,
    roster_parts,
    wrapped,
)
from cmpacket.plan._parts import Cut, PartsPlan, cover_key, with_parts
from cmpacket.plan._pieces import Content, Piece
from cmpacket.plan._plan import (
    ATTACHMENT_SECTIONS,
    FRONT,
    REPORT_TITLES,
    SECTIONS,
    attachment_keys,
    doc_keys,
    plan,
    prefix,
    section_title,
    slug,
)
from cmpacket.plan._planned import Planned, in_parts, part_name, plan_packet
from cmpacket.plan._response import plan_response, response_slug

__all__ = [
    "ATTACHMENT_SECTIONS",
    "FRONT",
    "REPORT_TITLES",
    "chunk",
    "evidence_parts",
    "index_parts",
    "manual_chunk",
    "pack",
    "roster_parts",
    "wrapped",
    "SECTIONS",
    "Content",
    "Cut",
    "PartsPlan",
    "Piece",
    "attachment_keys",
    "doc_keys",
    "Planned",
    "in_parts",
    "part_name",
    "plan_packet",
    "plan_response",
    "response_slug",
    "contents",
    "cover_key",
    "fingerprint",
    "index_entries",
    "outline_tree",
    "packet_inputs",
    "plan",
    "prefix",
    "section_title",
    "slug",
    "with_empty_sections",
    "with_parts",
]
