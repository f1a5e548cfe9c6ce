"""Before a build: whether the uploads can fit the receiver the packet is meant for (the exact
sizes are known only once the packet is written; the build checks again then)."""

from __future__ import annotations

from pathlib import Path

from cmpacket.findings import Finding
from cmpacket.intake import UploadFacts
from cmpacket.receivers import MB, Receiver, size_text

DOCUMENTS_MB = 1.0  # the generated documents of a typical packet, on top of the uploads


def fit_findings(
    receiver: Receiver,
    uploads: dict[Path, UploadFacts],
    shown: dict[Path, str],
    ocr_active: bool = False,
    sizes: dict[Path, int] | None = None,
) -> list[Finding]:
    """Uploads whose pages are larger than the receiver's file cap, uploads that add up to more
    than its total, and pages that will have no text where the receiver wants text on every
    page (no OCR engine, or --ocr never)."""
    out: list[Finding] = []
    if receiver.text_searchable and not ocr_active:
        for path, facts in uploads.items():
            if not (facts.usable and facts.textless):
                continue
            pages = (
                "its page has"
                if facts.pages == 1
                else f"{facts.textless} of its {facts.pages} pages have"
            )
            out.append(
                Finding(
                    "receiver-not-searchable",
                    "error",
                    shown.get(path, str(path)),
                    f"{pages} no text layer, and {receiver.title} takes only text-searchable "
                    f"pages. Install OCR (pip install 'cmpacket[ocr]' and apt-get install "
                    f"tesseract-ocr) and build with --ocr auto, or upload a searchable PDF.",
                    receiver.cite("text_searchable"),
                )
            )
    cap = receiver.max_file_bytes
    usable = {p: f for p, f in uploads.items() if f.usable}
    size_of = {p: (sizes or {}).get(p) or f.size for p, f in usable.items()}  # as it will be packed
    for path, facts in usable.items():
        per_page = size_of[path] / max(1, facts.pages)
        whole = receiver.split != "parts"
        if cap and (per_page > cap or (whole and size_of[path] > cap)):
            what = "a page of it" if not whole else "it"
            out.append(
                Finding(
                    "receiver-file-too-large",
                    "error",
                    shown.get(path, str(path)),
                    f"{what} is larger ({size_text(size_of[path] if whole else per_page)}) than "
                    f"{receiver.title}'s {receiver.max_file_mb:g} MB per file, so no packet file "
                    f"can hold it. Rescan it at 200 dpi grayscale, or build with --compress-scans.",
                    receiver.cite("max_file_mb"),
                )
            )
    total = sum(size_of.values())
    if receiver.max_total_bytes and total + DOCUMENTS_MB * MB > receiver.max_total_bytes:
        out.append(
            Finding(
                "receiver-total-too-large",
                "error",
                "uploads",
                f"the uploads alone add up to {size_text(total)}; with the generated documents the "
                f"packet will be over {receiver.title}'s {receiver.max_total_mb:g} MB in total. "
                f"Build with --compress-scans or rescan large uploads at 200 dpi grayscale.",
                receiver.cite("max_total_mb"),
            )
        )
    return out
