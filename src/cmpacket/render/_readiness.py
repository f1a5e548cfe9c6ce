"""The readiness report's rows: every requirement of the profile, its status and evidence page."""

from __future__ import annotations

from typing import Any

# Requirement titles and the packet section that evidences each rule.
RULES: dict[str, tuple[str, str]] = {
    "schema-invalid": ("Agency data is complete and well-formed", "A"),
    "unknown-field": ("No unrecognised fields in the agency data", "A"),
    "agency-info-missing": ("Agency identification and authorized official", "A"),
    "fein-invalid": ("Federal employer identification number", "A"),
    "npi-invalid": ("National Provider Identifier", "A"),
    "medicaid-enrollment-incomplete": ("Medicaid enrollment data (IMPACT)", "A"),
    "agreement-incomplete": ("Written agreement with the Department or its designee", "B"),
    "job-description-missing": ("Written job descriptions for key positions", "C"),
    "policy-topic-missing": ("Policies and procedures cover every required topic", "D"),
    "policies-not-adopted": ("Policies adopted by the governing body", "D"),
    "contact-frequency-missing": ("Monitoring contact frequency stated", "D"),
    "service-settings-missing": ("Ability to serve in various settings", "E"),
    "records-system-incomplete": ("Adequate and confidential participant records system", "F"),
    "records-retention-short": ("Records retention period", "F"),
    "caseload-over-limit": ("Case manager caseloads within the limit", "G"),
    "caseload-increase-unsupported": ("Caseload increases based on demonstrated competence", "G"),
    "training-hours-short": ("In-service training hours in the last 12 months", "G"),
    "license-expired": ("Licences current on the as-of date", "G"),
    "license-expiring-soon": ("No licence expiring within the warning window", "G"),
    "license-proof-missing": ("Proof uploaded for every licence", "G"),
    "qualification-not-met": ("Staff meet a qualification path for their position", "G"),
    "background-check-missing": ("Background checks for covered roles (225 ILCS 46)", "G"),
    "background-check-late": ("Background checks completed before hire", "G"),
    "background-check-disqualified": ("No disqualified staff without a waiver", "G"),
    "provisional-case-manager": ("Case managers meet the competency standard", "G"),
    "staff-id-duplicate": ("Each staff member identified once", "G"),
    "upload-missing": ("Every referenced upload exists", "G"),
    "upload-outside-folder": ("Uploads stay inside the agency folder", "G"),
    "upload-unreadable": ("Uploads are readable PDFs", "G"),
    "upload-encrypted": ("Uploads open without a password", "G"),
    "upload-too-large": ("Uploads within size and page limits", "G"),
    "upload-active-content": ("Uploads carry no active content", "G"),
    "upload-repaired": ("Uploads undamaged", "G"),
}


def requirements(profile: Any, report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per rule of the profile; `ref` points at the section that evidences it."""
    rows = []
    for spec in profile.rules:
        title, section = RULES.get(spec.code, (spec.code, "A"))
        hits = [f for f in report["findings"] if f["code"] == spec.code]
        worst = next(
            (s for s in ("error", "warning", "info") if any(f["severity"] == s for f in hits)), None
        )
        rows.append(
            {
                "code": spec.code,
                "title": title,
                "status": worst or "met",
                "count": len(hits),
                "ref": f"section/{section}",
                "page": 0,
                "section": section,
                "citation": spec.citation,
                "verified": spec.verified,
            }
        )
    return rows


def evidence_rows(data: Any, report: Any) -> list[dict[str, Any]]:
    """The evidence table: one row per staff member with proofs, listing each proof read with the
    fields matched and mismatched in words and `ref`, its piece for `pageref()`. One row per
    person, not per proof: at 500 staff a 1,500-row table costs three times the layout."""
    from cmpacket.findings import field_label

    kinds = {"license": "License", "registry": "Registry printout", "diploma": "Diploma"}
    staff = {s.id: s for s in data.staff}
    rows: dict[str, dict[str, Any]] = {}
    for e in report.evidence:
        s = staff.get(e.staff_id)
        proof = kinds.get(e.kind, e.kind)
        if e.kind == "license" and s is not None:
            j = int(e.path.rsplit("[", 1)[1].rstrip("]"))
            lic = s.licenses[j]
            proof = f"{lic.type or 'License'} {lic.number or ''}".strip()
        row = rows.setdefault(
            e.staff_id,
            {"staff": (s.name or s.id) if s else e.staff_id, "staff_id": e.staff_id, "proofs": []},
        )
        row["proofs"].append(
            {
                "proof": proof,
                "file": e.file,
                "checked": e.checked,
                "matched": [field_label(f) for f in e.matched],
                "mismatched": [field_label(f) for f in e.mismatched],
                "ref": f"doc/{e.path}",
            }
        )
    return list(rows.values())
