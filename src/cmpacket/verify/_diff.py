"""Compare the manifests of two packets of one agency: documents and data fields."""

from __future__ import annotations

from typing import Any

from cmpacket import lifecycle


def diff_manifests(
    old: dict[str, Any], new: dict[str, Any], old_sha256: str | None = None
) -> dict[str, Any]:
    """What changed between two packets of one agency: the lifecycle's operations (each document
    new, replaced, deleted or unchanged since OLD, matched by its key and compared before
    stamping, exactly as a build with `--base OLD` records them) and the data fields that
    changed. A document that only moved is unchanged (`moved` lists them apart)."""
    ops = lifecycle.operations(lifecycle.documents(old), lifecycle.documents(new))
    grouped: dict[str, list[dict[str, Any]]] = {op: [] for op in lifecycle.OPERATIONS}
    for op in ops:
        grouped[op["operation"]].append(_brief(op))
    moved = [d for d in grouped["unchanged"] if d["pages"] != d["base_pages"]]
    data = data_changes(old.get("data") or {}, new.get("data") or {})
    counts = lifecycle.summary(ops)
    name = (new.get("agency") or {}).get("legal_name")
    summary = (
        f"{name}: packet of {old.get('as_of')} -> {new.get('as_of')}: {counts['new']} new, "
        f"{counts['replace']} replaced, {counts['delete']} deleted, {counts['unchanged']} "
        f"unchanged document(s) ({len(moved)} of them on other pages); {len(data)} data "
        f"change(s)."
    )
    return {
        "summary": summary,
        "operations": ops,
        "documents": grouped | {"moved": moved},
        "data": data,
        "old": _head(old),
        "new": _head(new),
        "recorded": _recorded(old, new, ops, old_sha256),
    }


def _recorded(
    old: dict[str, Any], new: dict[str, Any], ops: list[dict[str, Any]], old_sha256: str | None
) -> str:
    """Whether NEW was built with OLD as its base, and so records these same operations:
    `none` (no base), `other-base`, `same` or `differs`."""
    life = _lifecycle(new)
    base = life.get("base") if isinstance(life.get("base"), dict) else None
    if base is None:
        return "none"
    if base.get("sequence") != _lifecycle(old).get("sequence") or (
        old_sha256 and base.get("sha256") != old_sha256
    ):
        return "other-base"
    recorded = {(op.get("key"), op.get("operation")) for op in life.get("operations") or []}
    return "same" if recorded == {(op["key"], op["operation"]) for op in ops} else "differs"


def _lifecycle(manifest: dict[str, Any]) -> dict[str, Any]:
    life = manifest.get("lifecycle")
    return life if isinstance(life, dict) else {}


def _head(m: dict[str, Any]) -> dict[str, Any]:
    life = _lifecycle(m)
    return {k: m.get(k) for k in ("as_of", "profile", "draft", "input_fingerprint")} | {
        "pages": (m.get("packet") or {}).get("pages"),
        "sequence": life.get("sequence"),
    }


def _pages(pages: list[int] | None) -> str:
    return f"{pages[0]}-{pages[1]}" if pages else ""


def _brief(op: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": op["title"],
        "kind": op["kind"],
        "key": op["key"],
        "pages": _pages(op["pages"]),
        "base_pages": _pages(op["base_pages"]),
    }


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
