"""Document conversion shared by the stages: HTML to PDF (WeasyPrint, fetching only inside the
template roots) and DOCX to PDF (LibreOffice, or DOCX -> HTML -> WeasyPrint)."""

from cmpacket.convert._docx import docx_to_html, docx_to_pdf, soffice
from cmpacket.convert._pdf import html_to_pdf

__all__ = ["docx_to_html", "docx_to_pdf", "html_to_pdf", "soffice"]
