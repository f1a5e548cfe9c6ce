"""Verifying one part of a packet written as parts: which part a file is, and the part's view
of the manifest (its pages, numbered from 1 within the file)."""

from __future__ import annotations

import re
from typing import Any

import pikepdf

from cmpacket.pdfread import read_stamp

_PAGE_RE = re.compile(r"Page (\d+) of (\d+)")


def part_of_file(
    pdf: pikepdf.Pdf, name: str, manifest: dict[str, Any], result: Any
) -> dict[str, Any] | None:
    """The manifest's entry for this file: by the page number stamped on its first page (a part
    may be renamed), else by its file name. Records a finding when it is none of the parts."""
    parts = manifest["parts"]
    first = None
    if len(pdf.pages):
        match = _PAGE_RE.search(read_stamp(pdf.pages[0]) or "")
        first = int(match.group(1)) if match else None
    for part in parts:
        if first is not None and part["first_page"] == first:
            return dict(part)
    for part in parts:
        if part["file"] == name:
            return dict(part)
    result.fail(
        "part-unknown",
        name,
        f"the file is none of the packet's {len(parts)} parts (its first page is stamped "
        f"{first if first is not None else 'nothing'}; the parts start on pages "
        f"{', '.join(str(p['first_page']) for p in parts)}).",
    )
    return None


def part_view(manifest: dict[str, Any], first: int, last: int) -> dict[str, Any]:
    """The manifest as one part sees it: its pages only, numbered from 1 within the file. Every
    document lies wholly in one part (a document too large for one file is split into pieces)."""
    sections = []
    for s in manifest["sections"]:
        docs = [
            dict(d, first_page=d["first_page"] - first + 1, last_page=d["last_page"] - first + 1)
            for d in s["documents"]
            if first <= d["first_page"] <= last
        ]
        if docs:
            sections.append(
                dict(
                    s,
                    documents=docs,
                    first_page=docs[0]["first_page"],
                    last_page=docs[-1]["last_page"],
                )
            )
    packet = dict(manifest["packet"], pages=last - first + 1)
    return dict(manifest, packet=packet, sections=sections, required_sections=[])
