"""Rendering: Jinja -> HTML -> PDF (WeasyPrint), docxtpl -> DOCX, and DOCX -> PDF converters."""

from __future__ import annotations

from typing import Any

from cmpacket.render._context import base_context
from cmpacket.render._docx import docx_to_pdf, render_docx, soffice
from cmpacket.render._jinja import chapter_blocks, render_template
from cmpacket.render._pdf import html_to_pdf
from cmpacket.templates import TemplateRegistry

__all__ = [
    "base_context",
    "chapter_blocks",
    "docx_to_pdf",
    "html_to_pdf",
    "policy_chapters",
    "render_docx",
    "render_template",
    "soffice",
]


def policy_chapters(registry: TemplateRegistry, context: dict[str, Any]) -> list[dict[str, Any]]:
    """One chapter per policy topic of the profile: its template's text plus the agency's additions."""
    chapters = []
    additions = context["policies"].get("additions") or {}
    for topic in context["profile"]["topics"]:
        key = topic["key"]
        name = f"policies/{key}.txt.j2"
        text = render_template(registry, name, context) if registry.exists(name) else ""
        extra = str(additions.get(key) or "").strip()
        if extra and extra not in text:
            # A template that places the addition itself (e.g. crisis-services) is left alone;
            # otherwise the addition gets its own heading after the built-in text.
            heading = "## Additional agency procedures\n" if text.strip() else ""
            text = text.rstrip() + "\n\n" + heading + extra
        chapters.append(
            {
                "key": key,
                "title": topic["title"],
                "citation": topic.get("citation", ""),
                "blocks": chapter_blocks(text),
            }
        )
    return chapters
