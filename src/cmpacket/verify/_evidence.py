"""The evidence summary a packet's manifest carries, as rows a reviewer reads (`cmpacket inspect`):
per proof, whose it is, whether its text was read, which fields matched the data and its page."""

from __future__ import annotations

import re
from typing import Any

from cmpacket.findings import field_label


def evidence_rows(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's `evidence` entries, each with the staff member's name (from the manifest's
    data summary); [] for a packet made before evidence was recorded."""
    staff = (manifest.get("data") or {}).get("staff") or []
    rows = []
    for e in manifest.get("evidence") or []:
        if not isinstance(e, dict):
            continue
        m = re.match(r"staff\[(\d+)\]", str(e.get("path", "")))
        i = int(m.group(1)) if m else -1
        who = staff[i] if 0 <= i < len(staff) and isinstance(staff[i], dict) else {}
        rows.append({**e, "staff": who.get("name") or who.get("id") or ""})
    return rows


def evidence_text(rows: list[dict[str, Any]]) -> list[str]:
    """Lines for the text output of `cmpacket inspect`."""
    if not rows:
        return []
    checked = sum(1 for r in rows if r.get("checked"))
    off = sum(1 for r in rows if r.get("mismatched"))
    lines = [
        "",
        f"Evidence: {len(rows)} proofs, {checked} read and checked against the data, "
        f"{off} with a mismatch",
    ]
    for r in rows:
        if not r.get("checked"):
            status = "not checked (no readable text)"
        elif r.get("mismatched"):
            status = "MISMATCH: " + ", ".join(field_label(f) for f in r["mismatched"])
            if r.get("matched"):
                status += "; matched: " + ", ".join(field_label(f) for f in r["matched"])
        else:
            status = "matched: " + ", ".join(field_label(f) for f in r.get("matched") or [])
        page = f"p. {r['page']}" if r.get("page") else "p. -"
        lines.append(
            f"  {str(r.get('staff', ''))[:24]:<24} {page:<8} {r.get('file', '')}  {status}"
        )
    return lines
