"""The packet plan: which pieces appear, in which section and order (SPEC §7)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmpacket.model import AgencyData, resolve_upload

SECTIONS = [
    ("A", "Agency and application"),
    ("B", "Written agreement"),
    ("C", "Job descriptions"),
    ("D", "Policies and procedures"),
    ("E", "Service settings"),
    ("F", "Participant records system"),
    ("G", "Staff qualifications and licensure"),
]
FRONT = ("front", "Front matter")
ATTACHMENT_SECTIONS = {
    "agency": "A", "agreement": "B", "job-descriptions": "C", "policies": "D",
    "settings": "E", "records": "F", "staff": "G",
}  # fmt: skip
ROSTER_CHUNK = 15  # staff rows per separately rendered and cached roster part


@dataclass
class Piece:
    """One document of the packet: rendered from a template or taken in from an upload."""

    key: str
    section: str
    title: str
    kind: str
    source: str
    source_sha256: str = ""
    template: str | None = None
    word: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    upload: Path | None = None
    staff_id: str | None = None
    parts: list[bytes] = field(default_factory=list)  # PDFs laid end to end
    load: Callable[[], list[bytes]] | None = None  # fetches `parts` when they are not in memory
    pages: int = 0
    first_page: int = 0
    cache_key: str = ""

    @property
    def last_page(self) -> int:
        return self.first_page + self.pages - 1


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "agency"


def prefix(data: AgencyData) -> str:
    if data.agency.packet_prefix:
        return re.sub(r"[^A-Za-z0-9]", "", data.agency.packet_prefix).upper()[:8] or "PKT"
    words = re.findall(r"[A-Za-z0-9]+", data.agency.legal_name or "")
    words = [
        w for w in words if w.lower() not in {"inc", "llc", "ltd", "corp", "co", "the", "of", "and"}
    ]
    return "".join(w[0] for w in words).upper()[:4] or "PKT"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _doc(key: str, section: str, title: str, kind: str, **kw: Any) -> Piece:
    template = kw.pop("template", f"{kind}.html.j2")
    word = kw.pop("word", f"word/{kind}.docx")
    return Piece(key, section, title, kind, source=template, template=template, word=word, **kw)


def _upload(
    data: AgencyData,
    resolved: dict[str, Any],
    key: str,
    section: str,
    title: str,
    given: str,
    **kw: Any,
) -> Piece:
    ref = resolved.get(given) or resolve_upload(data.folder, given)
    return Piece(key, section, title, "upload", source=given, upload=ref.path, **kw)


def plan(data: AgencyData, resolved: dict[str, Any] | None = None) -> list[Piece]:
    """Every piece in packet order; uploads carry their resolved path (None if unusable).

    `resolved` reuses the path checks validation already made (given path -> UploadRef).
    """
    resolved = resolved or {}
    pieces = [
        _doc("cover", "front", "Cover sheet", "cover", word=None),
        _doc("index", "front", "Index", "index", word=None),
        _doc("readiness-report", "front", "Readiness report", "readiness-report"),
        _doc(
            "application-summary",
            "A",
            "Application summary and Medicaid enrollment",
            "application-summary",
        ),
    ]
    attachments = [(i, a, a.file) for i, a in enumerate(data.attachments) if a.file]

    def attached(letter: str) -> list[Piece]:
        return [
            _upload(data, resolved, f"attachments[{i}]", letter, a.title or Path(file).stem, file)
            for i, a, file in attachments
            if ATTACHMENT_SECTIONS.get(a.section, "A") == letter
        ]

    pieces += attached("A")
    pieces.append(
        _doc(
            "agreement",
            "B",
            "Statement of assurances and intent to execute the Department's agreement",
            "agreement",
        )
    )
    pieces += attached("B")
    for p in data.positions:
        title = f"Job description: {p.title or p.key}"
        pieces.append(
            _doc(
                f"job-description:{p.key}",
                "C",
                title,
                "job-description",
                extra={"position_key": p.key},
            )
        )
    pieces += attached("C")
    pieces.append(_doc("policy-manual", "D", "Policies and procedures manual", "policy-manual"))
    pieces += attached("D")
    pieces.append(
        _doc("service-settings", "E", "Service settings capability statement", "service-settings")
    )
    pieces += attached("E")
    pieces.append(
        _doc(
            "records-attestation",
            "F",
            "Participant records system attestation",
            "records-attestation",
        )
    )
    pieces += attached("F")
    pieces.append(_doc("staff-roster", "G", "Staff qualifications roster", "staff-roster"))
    pieces += attached("G")
    for i, s in enumerate(data.staff):
        pieces += _staff_proofs(data, resolved, i, s)
    return pieces


def _staff_proofs(data: AgencyData, resolved: dict[str, Any], i: int, s: Any) -> list[Piece]:
    who = s.name or s.id
    out = []
    for j, lic in enumerate(s.licenses):
        if lic.file:
            title = f"{who}: {lic.type or 'License'} license {lic.number or ''}".strip()
            out.append(
                _upload(
                    data, resolved, f"staff[{i}].licenses[{j}]", "G", title, lic.file, staff_id=s.id
                )
            )
    bc = s.background_check
    if bc and bc.file:
        title = f"{who}: Health Care Worker Registry check"
        out.append(
            _upload(
                data, resolved, f"staff[{i}].background_check", "G", title, bc.file, staff_id=s.id
            )
        )
    for j, doc in enumerate(s.documents):
        if doc.file:
            title = f"{who}: {doc.title or doc.kind or 'Document'}"
            out.append(
                _upload(
                    data,
                    resolved,
                    f"staff[{i}].documents[{j}]",
                    "G",
                    title,
                    doc.file,
                    staff_id=s.id,
                )
            )
    return out
