"""Verifying a packet written as parts, as a set: each part alone, then complete, in order,
contiguous and one packet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cmpacket.verify._checks import check_required
from cmpacket.verify._limits import VerifyLimits
from cmpacket.verify._packet import verify_source
from cmpacket.verify._result import VerifyResult
from cmpacket.workers import Pool


def check_set(
    files: list[Path],
    sidecar: dict[str, Any] | None,
    known: dict[int, str],
    limits: VerifyLimits | None = None,
    trust: list[Any] | None = None,
    signatures: bool = True,
    pool: Pool | None = None,
) -> VerifyResult:
    """Each part verified alone (findings name the file), then the set."""
    result = VerifyResult()
    manifests: list[dict[str, Any]] = []
    order: list[int] = []
    for path in files:
        one = verify_source(path, path.name, sidecar, known, limits, trust, signatures, pool)
        result.pages += one.pages
        result.signatures += [{"file": path.name, **s} for s in one.signatures]
        for f in one.findings:
            result.fail(f.code, f"{path.name}: {f.path}", f.message, severity=f.severity)
        if one.manifest is not None:
            manifests.append(one.manifest)
        order.append(one.part["first_page"] if one.part else 0)
    if not manifests:
        return result
    manifest = manifests[0]
    result.manifest = manifest
    if any(
        json.dumps(m, sort_keys=True) != json.dumps(manifest, sort_keys=True) for m in manifests
    ):
        result.fail(
            "parts-mismatch",
            "parts",
            "the files carry different manifests: they are parts of different packets or builds.",
        )
        return result
    parts = manifest.get("parts") or []
    if not parts:
        result.fail("part-unknown", "parts", "these files are not parts of a packet.")
        return result
    starts = [p["first_page"] for p in parts]
    missing = [p["file"] for p in parts if p["first_page"] not in order]
    if missing:
        result.fail(
            "part-missing",
            "parts",
            f"{len(missing)} of the packet's {len(parts)} parts are missing: {', '.join(missing)}. "
            f"Give every part, in order.",
        )
    elif order != starts:
        given = ", ".join(p.name for p in files)
        result.fail(
            "parts-out-of-order",
            "parts",
            f"the parts were given as {given}; their order is "
            f"{', '.join(p['file'] for p in parts)}.",
        )
    expected = 1
    for p in parts:
        if p["first_page"] != expected:
            result.fail(
                "section-range-mismatch",
                p["file"],
                f"starts on page {p['first_page']}, not {expected}.",
            )
        expected = p["last_page"] + 1
    if expected - 1 != manifest["packet"]["pages"]:
        result.fail(
            "section-range-mismatch",
            "parts",
            f"the parts end on page {expected - 1}; the packet has {manifest['packet']['pages']}.",
        )
    check_required(manifest, manifest["sections"], result)
    return result
