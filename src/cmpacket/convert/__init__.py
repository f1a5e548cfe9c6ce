"""Document conversion shared by the stages: HTML to PDF (WeasyPrint, fetching only inside the
template roots) and DOCX to PDF (LibreOffice, or DOCX -> HTML -> WeasyPrint)."""

from cmpacket.convert._docx import docx_to_html, docx_to_pdf, soffice, soffice_pdf
from cmpacket.convert._jobs import LayoutJob, lay_out_job
from cmpacket.convert._pdf import count_pages, html_to_pdf

__all__ = [
    "LayoutJob",
    "count_pages",
    "docx_to_html",
    "docx_to_pdf",
    "html_to_pdf",
    "lay_out_job",
    "soffice",
    "soffice_pdf",
]
