"""The readiness report's rows: every requirement of the profile, its status and evidence page.

A requirement's title and the packet section that evidences it are profile data (`title:` and
`section:` of each rule entry in the profile YAML; `il-guide.yaml` holds the shared defaults the
other built-in profiles extend)."""

from __future__ import annotations

from typing import Any


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
