"""The packet plan: which pieces appear, in which section and order."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from text_unidecode import unidecode as text_unidecode

from cmpacket.model import AgencyData, resolve_upload
from cmpacket.plan._pieces import Piece

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
#: The forms the policy manual describes (SPEC §19), blank and fillable, in section D after the
#: manual: (kind, title). Each is a template (`<kind>.html.j2`) with a Word copy.
FORMS = (
    ("release-of-information", "Authorization for release of information"),
    ("consent-for-services", "Consent for case management services"),
    ("customer-rights", "Customer rights and responsibilities"),
    ("grievance-appeal-notice", "Grievance and appeal notice"),
    ("incident-report", "Incident report form"),
    ("assessment-template", "Assessment form"),
    ("service-plan-template", "Service plan form"),
)
STATEMENT_TITLE = "Statement of assurances and intent to execute the Department's written agreement"
STATEMENT_SECTION = "B. Statement of assurances"  # section B's title when it holds the statement
REPORT_TITLES = {True: "Readiness report", False: "Crosswalk of program requirements"}


def section_title(letter: str) -> str:
    if letter == FRONT[0]:
        return FRONT[1]
    return dict(SECTIONS)[letter]


def ascii_text(text: str) -> str:
    """An ASCII transliteration (`Łączność Cộng Đồng` -> `Lacznosc Cong Dong`)."""
    return str(text_unidecode(text))


def slug(text: str) -> str:
    """The ASCII file-name slug of an agency name, in any script (`lacznosc-cong-dong`)."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_text(text).lower()).strip("-") or "agency"


def prefix(data: AgencyData) -> str:
    if data.agency.packet_prefix:
        given = ascii_text(data.agency.packet_prefix)
        return re.sub(r"[^A-Za-z0-9]", "", given).upper()[:8] or "PKT"
    words = re.findall(r"[A-Za-z0-9]+", ascii_text(data.agency.legal_name or ""))
    words = [
        w for w in words if w.lower() not in {"inc", "llc", "ltd", "corp", "co", "the", "of", "and"}
    ]
    return "".join(w[0] for w in words).upper()[:4] or "PKT"


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
    if resolved is KEYS_ONLY:
        return Piece(key, section, title, "upload", source=given, **kw)
    ref = resolved.get(given) or resolve_upload(data.folder, given)
    return Piece(key, section, title, "upload", source=given, upload=ref.path, **kw)


KEYS_ONLY: dict[str, Any] = {}  # `plan(data, KEYS_ONLY)`: uploads' paths are not looked up


def doc_keys(data: AgencyData) -> set[str]:
    """Every document key of the packet (`Piece.doc_key`), without checking an upload's path
    (thousands of file system lookups at 500 staff)."""
    return {piece.doc_key for piece in plan(data, KEYS_ONLY)}


def plan(
    data: AgencyData, resolved: dict[str, Any] | None = None, *, draft: bool = True
) -> list[Piece]:
    """Every piece in packet order; uploads carry their resolved path (None if unusable).

    `resolved` reuses the path checks validation already made (given path -> UploadRef). The
    front matter's report is the readiness report in a draft, the crosswalk in a final packet.
    """
    resolved = {} if resolved is None else resolved
    signed = wet_ink_copies(data)

    def signable(key: str, section: str, title: str) -> Piece:
        """The generated document, or its signed scan in its place (the Word copy stays)."""
        if key in signed:
            return _upload(
                data,
                resolved,
                key,
                section,
                f"{title} (signed)",
                signed[key],
                word=f"word/{key}.docx",
                extra={"document": key},
            )
        return _doc(key, section, title, key)

    pieces = [
        _doc("cover", "front", "Cover sheet", "cover", word=None),
        _doc("index", "front", "Index", "index", word=None),
        _doc("readiness-report", "front", REPORT_TITLES[draft], "readiness-report"),
        signable("application-summary", "A", "Application summary and Medicaid enrollment"),
    ]
    attachments = [(i, a, a.file) for i, a in enumerate(data.attachments) if a.file]
    keys = attachment_keys(data)

    def attached(letter: str) -> list[Piece]:
        return [
            _upload(data, resolved, keys[i], letter, a.title or Path(file).stem, file)
            for i, a, file in attachments
            if ATTACHMENT_SECTIONS.get(a.section, "A") == letter
        ]

    pieces += attached("A")
    pieces += _screenings(data, resolved, "owners")
    if data.agency.board:
        pieces.append(_doc("board-roster", "A", "Board of directors and officers", "board-roster"))
        pieces += _screenings(data, resolved, "board")
    if data.agreement.file:
        title = "Written agreement with the Department (the Department's form)"
        pieces.append(_upload(data, resolved, "agreement", "B", title, data.agreement.file))
    else:
        pieces.append(signable("agreement", "B", STATEMENT_TITLE))
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
    if data.positions:
        pieces.append(_doc("organization-chart", "D", "Organization chart", "organization-chart"))
    if data.policies.on_call is not None:
        pieces.append(_doc("on-call-schedule", "D", "On-call schedule", "on-call-schedule"))
    pieces += [_doc(kind, "D", title, kind) for kind, title in FORMS]
    pieces += attached("D")
    pieces.append(
        _doc("service-settings", "E", "Service settings capability statement", "service-settings")
    )
    pieces += attached("E")
    pieces.append(signable("records-attestation", "F", "Participant records system attestation"))
    pieces += attached("F")
    pieces.append(_doc("staff-roster", "G", "Staff qualifications roster", "staff-roster"))
    pieces += attached("G")
    for i, s in enumerate(data.staff):
        pieces += _staff_proofs(data, resolved, i, s)
    if not data.agreement.file:  # section B is titled by what it holds
        pieces = [
            replace(p, section_title=STATEMENT_SECTION) if p.section == "B" else p for p in pieces
        ]
    return pieces


def attachment_keys(data: AgencyData) -> dict[int, str]:
    """Each attachment's piece key (and key across sequences): its section and title, never its
    place in the list (`attachment:A:articles-of-incorporation`); a second one of the same title
    is numbered."""
    keys: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, a in enumerate(data.attachments):
        if not a.file:
            continue
        letter = ATTACHMENT_SECTIONS.get(a.section or "agency", "A")
        name = f"attachment:{letter}:{slug(a.title or Path(a.file).stem)}"
        seen[name] = seen.get(name, 0) + 1
        keys[i] = name if seen[name] == 1 else f"{name}:{seen[name]}"
    return keys


def _staff_proofs(data: AgencyData, resolved: dict[str, Any], i: int, s: Any) -> list[Piece]:
    who = s.name or s.id
    out = []
    mine = f"staff:{s.id}"
    for j, lic in enumerate(s.licenses):
        if lic.file:
            title = f"{who}: {lic.type or 'License'} license {lic.number or ''}".strip()
            out.append(
                _upload(
                    data,
                    resolved,
                    f"staff[{i}].licenses[{j}]",
                    "G",
                    title,
                    lic.file,
                    staff_id=s.id,
                    lineage=f"{mine}:license:{j}",
                )
            )
        looked = lic.verified
        if looked and looked.file and looked.file != lic.file:
            title = f"{who}: {lic.type or 'License'} license lookup of {looked.date or 'no date'}"
            out.append(
                _upload(
                    data,
                    resolved,
                    f"staff[{i}].licenses[{j}].verified",
                    "G",
                    title,
                    looked.file,
                    staff_id=s.id,
                    lineage=f"{mine}:license-lookup:{j}",
                )
            )
    bc = s.background_check
    if bc and bc.file:
        title = f"{who}: Health Care Worker Registry check"
        out.append(
            _upload(
                data,
                resolved,
                f"staff[{i}].background_check",
                "G",
                title,
                bc.file,
                staff_id=s.id,
                lineage=f"{mine}:registry-check",
            )
        )
    searches = (
        ("registry_recheck", "Health Care Worker Registry re-check", "registry-recheck"),
        ("aps_registry", "Adult Protective Services Registry search", "aps-registry"),
    )
    for name, what, tag in searches:
        search = getattr(bc, name) if bc else None
        if search is not None and search.file:
            title = f"{who}: {what} of {search.date or 'no date'}"
            key = f"staff[{i}].background_check.{name}"
            out.append(
                _upload(
                    data,
                    resolved,
                    key,
                    "G",
                    title,
                    search.file,
                    staff_id=s.id,
                    lineage=f"{mine}:{tag}",
                )  # fmt: skip
            )
    evidence = (
        ("exclusion_check", s.exclusion_check, _exclusion_title(s.exclusion_check)),
        ("experience_proof", s.experience_proof, "Case management experience letter"),
        ("caseload_increase", s.caseload_increase, "Caseload increase approval"),
    )
    for name, value, what in evidence:
        if value is not None and value.file:
            key, lineage = f"staff[{i}].{name}", f"{mine}:{name.replace('_', '-')}"
            title = f"{who}: {what}"
            out.append(
                _upload(data, resolved, key, "G", title, value.file, staff_id=s.id, lineage=lineage)
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
                    lineage=f"{mine}:document:{j}",
                )
            )
    return out


def wet_ink_copies(data: AgencyData) -> dict[str, str]:
    """{document key: signed scan} when the documents were signed by hand."""
    sig = data.signatures
    if sig is None or sig.method != "wet-ink":
        return {}
    return dict(sig.signed_copies)


def _exclusion_title(check: Any) -> str:
    lists = ", ".join(check.lists) if check is not None and check.lists else "exclusion lists"
    return f"Exclusion screening ({lists})"


def _screenings(data: AgencyData, resolved: dict[str, Any], field: str) -> list[Piece]:
    """Each owner's (`owners`) or director's and officer's (`board`, after the board roster)
    exclusion screening printout, in section A."""
    out = []
    for i, p in enumerate(getattr(data.agency, field)):
        check = p.exclusion_check
        if check is None or not check.file:
            continue
        if field == "owners":
            who = f"Owner {p.name or i + 1}"
        else:
            who = ", ".join(x for x in (p.name, p.title) if x) or f"Board member {i + 1}"
        key, kind = f"agency.{field}[{i}].exclusion_check", field.removesuffix("s")
        lineage = f"{kind}:{slug(p.name or '') or i}:exclusion-check"
        title = f"{who}: {_exclusion_title(check)}"
        out.append(_upload(data, resolved, key, "A", title, check.file, lineage=lineage))
    return out
