"""Stage 5, rendering: the template context, Jinja -> HTML -> PDF (WeasyPrint, on the build's
workers) and -> Word copy (python-docx), a user's docxtpl Word templates -> DOCX, and every
piece's content for assembly. Takes the plan and the rules' results as data; returns bytes;
knows nothing of assembly."""

from cmpacket.render._check import check_all
from cmpacket.render._context import (
    base_context,
    build_context,
    packet_context,
    piece_context,
    policy_chapters,
    with_lifecycle,
    with_pages,
    with_plan,
)
from cmpacket.render._copies import docx_name, start_word_copies
from cmpacket.render._documents import resources_digest
from cmpacket.render._docx import docx_reads, render_docx
from cmpacket.render._jinja import chapter_blocks, render_template
from cmpacket.render._layout import lay_out, warm_up
from cmpacket.render._pieces import LATE, Rendered, render_pieces
from cmpacket.render._response import response_context

__all__ = [
    "LATE",
    "Rendered",
    "base_context",
    "build_context",
    "check_all",
    "chapter_blocks",
    "docx_name",
    "docx_reads",
    "lay_out",
    "packet_context",
    "piece_context",
    "policy_chapters",
    "render_docx",
    "render_pieces",
    "render_template",
    "resources_digest",
    "response_context",
    "start_word_copies",
    "warm_up",
    "with_pages",
    "with_lifecycle",
    "with_plan",
]
