"""Stage 5, rendering: the template context, Jinja -> HTML -> PDF (WeasyPrint) and -> Word copy
(python-docx), a user's docxtpl Word templates -> DOCX, and DOCX -> PDF converters. Takes the
plan; returns bytes; knows nothing of assembly."""

from cmpacket.convert import docx_to_pdf, html_to_pdf, soffice
from cmpacket.render._context import (
    base_context,
    build_context,
    piece_context,
    policy_chapters,
    with_pages,
)
from cmpacket.render._docx import docx_reads, render_docx
from cmpacket.render._jinja import chapter_blocks, render_template

__all__ = [
    "base_context",
    "build_context",
    "chapter_blocks",
    "docx_reads",
    "docx_to_pdf",
    "html_to_pdf",
    "piece_context",
    "policy_chapters",
    "render_docx",
    "render_template",
    "soffice",
    "with_pages",
]
