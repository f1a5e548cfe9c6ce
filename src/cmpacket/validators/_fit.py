"""Before a build: whether the uploads can fit the receiver the packet is meant for (the exact
sizes are known only once the packet is written; the build checks again then)."""

from __future__ import annotations

from pathlib import Path

from cmpacket.findings import Finding
from cmpacket.intake import UploadFacts
from cmpacket.receivers import MB, Receiver, size_text

DOCUMENTS_MB = 1.0  # the generated documents of a typical packet, on top of the uploads


def fit_findings(
    receiver: Receiver, uploads: dict[Path, UploadFacts], shown: dict[Path, str]
) -> list[Finding]:
    """Uploads whose pages are larger than the receiver's file cap, and uploads that add up to
    more than its total."""
    out: list[Finding] = []
    cap = receiver.max_file_bytes
    usable = {p: f for p, f in uploads.items() if f.usable}
    for path, facts in usable.items():
        per_page = facts.size / max(1, facts.pages)
        whole = receiver.split != "parts"
        if cap and (per_page > cap or (whole and facts.size > cap)):
            what = "a page of it" if not whole else "it"
            out.append(
                Finding(
                    "receiver-file-too-large",
                    "error",
                    shown.get(path, str(path)),
                    f"{what} is larger ({size_text(facts.size if whole else per_page)}) than "
                    f"{receiver.title}'s {receiver.max_file_mb:g} MB per file, so no packet file "
                    f"can hold it. Rescan it at 200 dpi grayscale, or build with --compress-scans.",
                    _cite(receiver, "max_file_mb"),
                )
            )
    total = sum(f.size for f in usable.values())
    if receiver.max_total_bytes and total + DOCUMENTS_MB * MB > receiver.max_total_bytes:
        out.append(
            Finding(
                "receiver-total-too-large",
                "error",
                "uploads",
                f"the uploads alone add up to {size_text(total)}; with the generated documents the "
                f"packet will be over {receiver.title}'s {receiver.max_total_mb:g} MB in total. "
                f"Build with --compress-scans or rescan large uploads at 200 dpi grayscale.",
                _cite(receiver, "max_total_mb"),
            )
        )
    return out


def _cite(receiver: Receiver, key: str) -> str:
    source = receiver.sources.get(key)
    if isinstance(source, dict) and source.get("citation"):
        return str(source["citation"])
    return f"receiver {receiver.name}; see docs/receivers.md"
