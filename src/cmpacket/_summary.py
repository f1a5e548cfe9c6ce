"""A compact summary of the agency data for the manifest, so `diff` can name what changed."""

from __future__ import annotations

from datetime import date
from typing import Any

from cmpacket.model import AgencyData


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
