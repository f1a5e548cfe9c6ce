"""The readiness report's rows: every requirement of the profile, its status and evidence page.

A requirement's title and the packet section that evidences it are profile data (`title:` and
`section:` of each rule entry in the profile YAML; `il-guide.yaml` holds the shared defaults the
other built-in profiles extend)."""

from __future__ import annotations

from typing import Any

from cmpacket.findings import PROOF_FIELDS, field_label


def requirements(
    profile: Any, report: dict[str, Any], evidence: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per rule of the profile; `ref` points at the page that evidences it: the document
    named in `evidence` (code -> page reference) or else the start of its section."""
    evidence = evidence or {}
    rows = []
    for spec in profile.rules:
        title = spec.title or spec.code
        section = spec.section or "A"
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
                "ref": evidence.get(spec.code, f"section/{section}"),
                "page": 0,
                "section": section,
                "citation": spec.citation,
                "verified": spec.verified,
            }
        )
    return rows


def evidence_rows(data: Any, report: Any) -> list[dict[str, Any]]:
    """The evidence table: one row per staff member with proofs, listing each proof read with the
    fields matched and mismatched in words, `complete` (every field its kind is checked for was
    found) and `ref`, its piece for `pageref()`. One row per person, not per proof: at 500 staff a
    1,500-row table costs three times the layout."""

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
            {
                "staff": (s.name or s.id) if s else e.staff_id,
                "staff_id": e.staff_id,
                "ref": f"staff/{e.staff_id}",  # the pages of this person's proofs
                "proofs": [],
            },
        )
        row["proofs"].append(
            {
                "proof": proof,
                "file": e.file,
                "checked": e.checked,
                "matched": [field_label(f) for f in e.matched],
                "mismatched": [field_label(f) for f in e.mismatched],
                "complete": e.checked
                and not e.mismatched
                and set(PROOF_FIELDS.get(e.kind, ())) <= set(e.matched),
                "ref": f"doc/{e.path}",
            }
        )
    return list(rows.values())
