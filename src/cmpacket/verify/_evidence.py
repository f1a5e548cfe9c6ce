"""The evidence summary a packet's manifest carries, as rows a reviewer reads (`cmpacket inspect`):
per proof, whose it is, whether its text was read, which fields matched the data and its page."""

from __future__ import annotations

import re
from typing import Any


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
        rows.append({**e, **_shaped(e), "staff": who.get("name") or who.get("id") or ""})
    return rows


def _shaped(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields people read, as the build writes them, whatever a received manifest holds
    (its `evidence` is not part of the checked schema): field names as text, a page number."""

    def names(value: Any) -> list[str]:
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    page = entry.get("page")
    return {
        "file": entry.get("file") if isinstance(entry.get("file"), str) else "",
        "checked": entry.get("checked") is True,
        "matched": names(entry.get("matched")),
        "mismatched": names(entry.get("mismatched")),
        "page": page if isinstance(page, int) and not isinstance(page, bool) else None,
    }
