"""Compare the manifests of two packets of one agency: documents and data fields."""

from __future__ import annotations

from typing import Any


def _docs(manifest: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for s in manifest.get("sections", []):
        for d in s.get("documents", []):
            out[(d["kind"], d["title"])] = {**d, "section": s["letter"]}
    return out


def diff_manifests(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    a, b = _docs(old), _docs(new)
    result: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("added", "removed", "changed", "moved", "unchanged")
    }
    for key in sorted(b.keys() - a.keys()):
        result["added"].append(_brief(b[key]))
    for key in sorted(a.keys() - b.keys()):
        result["removed"].append(_brief(a[key]))
    for key in sorted(a.keys() & b.keys()):
        x, y = a[key], b[key]
        if x["source_sha256"] != y["source_sha256"] or (
            x["kind"] != "upload"
            and x["content_sha256"] != y["content_sha256"]
            and x["kind"] not in ("index", "cover", "readiness-report", "staff-roster")
        ):
            result["changed"].append(_brief(y) | {"old_pages": _pages(x)})
        elif (x["first_page"], x["last_page"]) != (y["first_page"], y["last_page"]):
            result["moved"].append(_brief(y) | {"old_pages": _pages(x)})
        else:
            result["unchanged"].append(_brief(y))
    data = data_changes(old.get("data") or {}, new.get("data") or {})
    summary = (
        f"{new.get('agency', {}).get('legal_name')}: packet of {old.get('as_of')} -> {new.get('as_of')}: "
        f"{len(result['added'])} added, {len(result['removed'])} removed, {len(result['changed'])} changed, "
        f"{len(result['moved'])} moved, {len(result['unchanged'])} unchanged document(s); "
        f"{len(data)} data change(s)."
    )
    return {
        "summary": summary,
        "documents": result,
        "data": data,
        "old": _head(old),
        "new": _head(new),
    }


def _head(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m.get(k) for k in ("as_of", "profile", "draft", "input_fingerprint")} | {
        "pages": m.get("packet", {}).get("pages")
    }


def _pages(d: dict[str, Any]) -> str:
    return f"{d['first_page']}-{d['last_page']}"


def _brief(d: dict[str, Any]) -> dict[str, Any]:
    out = {
        "title": d["title"],
        "kind": d["kind"],
        "section": d["section"],
        "source": d["source"],
        "pages": _pages(d),
    }
    if d.get("staff_id"):
        out["staff_id"] = d["staff_id"]
    return out


def data_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes: list[str] = []
    before = {s["id"]: s for s in old.get("staff", [])}
    after = {s["id"]: s for s in new.get("staff", [])}
    for sid in sorted(after.keys() - before.keys()):
        changes.append(f"staff added: {after[sid]['name']} ({sid}), {after[sid]['position']}")
    for sid in sorted(before.keys() - after.keys()):
        changes.append(f"staff removed: {before[sid]['name']} ({sid})")
    for sid in sorted(before.keys() & after.keys()):
        x, y = before[sid], after[sid]
        who = f"{y['name']} ({sid})"
        for field in ("name", "position", "hire_date", "caseload", "background_check"):
            if x.get(field) != y.get(field):
                changes.append(f"{who}: {field} {x.get(field)!r} -> {y.get(field)!r}")
        lx = {(lic["type"], lic["number"]): lic for lic in x.get("licenses", [])}
        ly = {(lic["type"], lic["number"]): lic for lic in y.get("licenses", [])}
        for key in sorted(ly.keys() - lx.keys(), key=str):
            changes.append(f"{who}: license added {key[0]} {key[1]} (expires {ly[key]['expires']})")
        for key in sorted(lx.keys() - ly.keys(), key=str):
            changes.append(f"{who}: license removed {key[0]} {key[1]}")
        for key in sorted(lx.keys() & ly.keys(), key=str):
            if lx[key]["expires"] != ly[key]["expires"]:
                changes.append(
                    f"{who}: {key[0]} {key[1]} expiry {lx[key]['expires']} -> {ly[key]['expires']}"
                )
    for field in (
        "positions",
        "service_settings",
        "records_retention_years",
        "agreement_effective_date",
        "policies_adopted",
    ):
        if old.get(field) != new.get(field):
            changes.append(f"{field}: {old.get(field)!r} -> {new.get(field)!r}")
    return changes
