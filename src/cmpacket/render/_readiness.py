"""The readiness report's rows: every requirement of the profile, its status and evidence page.

A requirement's title and the packet section that evidences it are profile data (`title:` and
`section:` of each rule entry in the profile YAML; `il-guide.yaml` holds the shared defaults the
other built-in profiles extend)."""

from __future__ import annotations

import re
from typing import Any

from cmpacket.findings import PROOF_FIELDS, field_label


def requirements(
    profile: Any, report: dict[str, Any], evidence: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per rule of the profile; `ref` points at the page that evidences it: the document
    named in `evidence` (code -> page reference) or else the start of its section."""
    evidence = evidence or {}
    by_code: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_code.setdefault(f["code"], []).append(f)
    rows = []
    for spec in profile.rules:
        title = spec.title or spec.code
        section = spec.section or "A"
        hits = by_code.get(spec.code, [])
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


PER_CODE = 5  # findings of one code shown in the packet; readiness.json holds every one
SEVERITIES = ("error", "warning", "info")


def finding_groups(
    findings: list[dict[str, Any]], per_code: int = PER_CODE
) -> list[dict[str, Any]]:
    """The open findings as `validate` prints them: by severity (errors first), then by code in
    order of first appearance, the first `per_code` of each code shown and the rest counted
    (`more`). A first build of 500 staff has thousands of findings: listed one a row, they were
    most of the draft's layout time and pages, while `readiness.json` and `validate --all` hold
    every one."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in sorted(findings, key=lambda f: order.get(f["severity"], len(order))):
        groups.setdefault((f["severity"], f["code"]), []).append(f)
    return [
        {
            "severity": severity,
            "code": code,
            "count": len(found),
            "shown": found[:per_code],
            "more": max(0, len(found) - per_code),
            "limit": per_code,
        }
        for (severity, code), found in groups.items()
    ]


_STAFF_INDEX = re.compile(r"^staff\[(\d+)\]")


def evidence_rows(data: Any, report: Any) -> list[dict[str, Any]]:
    """The evidence table: one row per staff member with proofs, listing each proof read with the
    fields matched and mismatched in words, `complete` (every field its kind is checked for was
    found) and `ref`, its piece for `pageref()`. One row per person, not per proof: at 500 staff a
    1,500-row table costs three times the layout."""

    kinds = {"license": "License", "registry": "Registry printout", "diploma": "Diploma"}
    staff = {s.id: s for s in data.staff}
    rows: dict[str, dict[str, Any]] = {}
    for e in report.evidence:
        # the person the proof's path names: two staff may share an id (an error a draft shows)
        at = _STAFF_INDEX.match(e.path)
        s = data.staff[int(at[1])] if at and int(at[1]) < len(data.staff) else staff.get(e.staff_id)
        proof = kinds.get(e.kind, e.kind)
        if e.kind == "license" and s is not None:
            j = int(e.path.rsplit("[", 1)[1].rstrip("]"))
            if j < len(s.licenses):
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
