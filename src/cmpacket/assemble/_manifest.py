"""The manifest's parts that do not depend on the merged pages: what the packet was made from
and a compact summary of the agency data, so `diff` can name what changed."""

from __future__ import annotations

from datetime import date
from typing import Any

from cmpacket import __version__
from cmpacket.findings import Report
from cmpacket.model import AgencyData
from cmpacket.pdfread import DIGEST_VERSION


def data_summary(data: AgencyData, as_of: date) -> dict[str, Any]:
    return {
        "staff": [
            {
                "id": s.id,
                "name": s.name,
                "position": s.position,
                "hire_date": s.hire_date.isoformat() if s.hire_date else None,
                "caseload": s.caseload,
                "licenses": [
                    {
                        "type": x.type,
                        "number": x.number,
                        "expires": x.expires.isoformat() if x.expires else None,
                    }
                    for x in s.licenses
                ],
                "background_check": (s.background_check.status if s.background_check else None),
            }
            for s in data.staff
        ],
        "positions": [p.key for p in data.positions],
        "service_settings": [s.setting for s in data.service_settings],
        "records_retention_years": data.records_system.retention_years,
        "agreement_effective_date": (
            data.agreement.effective_date.isoformat() if data.agreement.effective_date else None
        ),
        "policies_adopted": data.policies.adopted.isoformat() if data.policies.adopted else None,
    }


def manifest_base(
    data: AgencyData,
    profile: Any,
    report: Report,
    *,
    draft: bool,
    filename: str,
    pages: int,
    inputs: list[dict[str, str]],
    fingerprint: str,
    templates: list[dict[str, str]],
    converters: set[str],
) -> dict[str, Any]:
    """Every manifest key but `sections` (filled after merging) and `packet.sha256`."""
    return {
        "cmpacket_version": __version__,
        "profile": profile.name,
        "profile_sha256": profile.sha256,
        "required_sections": list(profile.required_sections),
        "as_of": report.as_of.isoformat(),
        "draft": draft,
        "agency": {"legal_name": data.agency.legal_name, "fein": data.agency.fein},
        "packet": {"file": filename, "sha256": None, "pages": pages},
        "sections": [],
        "inputs": inputs,
        "input_fingerprint": fingerprint,
        "templates": templates,
        "converter": {
            "html": "weasyprint" if "weasyprint" in converters else None,
            "docx": next((c for c in sorted(converters) if c != "weasyprint"), None),
        },
        "findings": report.counts,
        "page_digest": DIGEST_VERSION,  # what each page's hash covers (pdfread.page_digest)
        "data": data_summary(data, report.as_of),
        "evidence": [e.as_dict() for e in report.evidence],  # pages filled once numbered
    }
