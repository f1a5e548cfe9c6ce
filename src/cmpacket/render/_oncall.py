"""`policies.on_call` as the on-call schedule shows it: the rotation laid out as dated shifts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cmpacket.model import AgencyData


def on_call_context(data: AgencyData) -> dict[str, Any] | None:
    """`policies.on_call` as its schedule shows it: each shift's days, primary and backup (staff
    named by name and title), and the last backup (by default the program administrator)."""
    oc = data.policies.on_call
    if oc is None:
        return None

    def who(sid: str | None) -> dict[str, str]:
        s = data.staff_member(sid)
        if s is None:
            return {"id": sid or "", "name": sid or "", "title": ""}
        pos = data.position(s.position)
        title = (pos.title if pos and pos.title else s.position) or ""
        return {"id": s.id, "name": s.name or s.id, "title": title}

    shifts = []
    for k in range(oc.shifts if (oc.primary or oc.backup) else 0):
        start = oc.starts + timedelta(days=k * oc.shift_days) if oc.starts else None
        end = start + timedelta(days=oc.shift_days - 1) if start else None
        shifts.append(
            {
                "number": k + 1,
                "start": start,
                "end": end,
                "primary": who(oc.primary[k % len(oc.primary)] if oc.primary else None),
                "backup": who(oc.backup[k % len(oc.backup)] if oc.backup else None),
            }
        )
    last = oc.last_backup or next(
        (s.id for s in data.staff if s.position == "program-administrator"), None
    )
    return {
        "hours": oc.hours or "",
        "handoff": oc.handoff or "",
        "shift_days": oc.shift_days,
        "shifts": shifts,
        "last_backup": who(last) if last else None,
        "rotation": [who(x) for x in oc.primary],
    }
