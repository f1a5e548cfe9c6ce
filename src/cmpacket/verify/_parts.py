"""Verifying a packet written as parts: which part a file is, the part's view of the manifest,
and the checks on the whole set (complete, in order, contiguous, one packet)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket.assemble._pdfops import read_stamp

_PAGE_RE = re.compile(r"Page (\d+) of (\d+)")


def part_of_file(
    pdf: pikepdf.Pdf, name: str, manifest: dict[str, Any], result: Any
) -> dict[str, Any] | None:
    """The manifest's entry for this file: by the page number stamped on its first page (a part
    may be renamed), else by its file name. Records a finding when it is none of the parts."""
    parts = manifest["parts"]
    first = None
    if len(pdf.pages):
        match = _PAGE_RE.search(read_stamp(pdf.pages[0]) or "")
        first = int(match.group(1)) if match else None
    for part in parts:
        if first is not None and part["first_page"] == first:
            return dict(part)
    for part in parts:
        if part["file"] == name:
            return dict(part)
    result.fail(
        "part-unknown",
        name,
        f"the file is none of the packet's {len(parts)} parts (its first page is stamped "
        f"{first if first is not None else 'nothing'}; the parts start on pages "
        f"{', '.join(str(p['first_page']) for p in parts)}).",
    )
    return None


def part_view(manifest: dict[str, Any], first: int, last: int) -> dict[str, Any]:
    """The manifest as one part sees it: its pages only, numbered from 1 within the file. Every
    document lies wholly in one part (a document too large for one file is split into pieces)."""
    sections = []
    for s in manifest["sections"]:
        docs = [
            dict(d, first_page=d["first_page"] - first + 1, last_page=d["last_page"] - first + 1)
            for d in s["documents"]
            if first <= d["first_page"] <= last
        ]
        if docs:
            sections.append(
                dict(
                    s,
                    documents=docs,
                    first_page=docs[0]["first_page"],
                    last_page=docs[-1]["last_page"],
                )
            )
    packet = dict(manifest["packet"], pages=last - first + 1)
    return dict(manifest, packet=packet, sections=sections, required_sections=[])


def check_set(files: list[Path], sidecar: dict[str, Any] | None, known: dict[int, str]) -> Any:
    """Each part verified alone (findings name the file), then the set."""
    from cmpacket.verify import VerifyResult, _check_required, verify_source

    result = VerifyResult()
    manifests: list[dict[str, Any]] = []
    order: list[int] = []
    for path in files:
        one = verify_source(path, path.name, sidecar, known)
        result.pages += one.pages
        for f in one.findings:
            result.fail(f.code, f"{path.name}: {f.path}", f.message)
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
    _check_required(manifest, manifest["sections"], result)
    return result
