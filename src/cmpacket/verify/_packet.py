"""The checks of one packet file (a whole packet or one of its parts)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket.assemble._pdfops import outline_tree, page_digest, read_stamp
from cmpacket.errors import PacketError
from cmpacket.findings import Finding

CITE = "see docs/reviewers.md"
_PAGE_RE = re.compile(r"Page (\d+) of (\d+)")


@dataclass
class VerifyResult:
    """Every failed check as an error finding; `ok` when there are none."""

    findings: list[Finding] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    pages: int = 0
    part: dict[str, Any] | None = None  # the manifest's entry for this file, when it is a part

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def summary(self) -> str:
        if self.ok:
            return f"verified: {self.pages} pages, every check passed"
        return f"FAILED: {len(self.findings)} problem(s) in {self.pages} pages"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pages": self.pages,
            "counts": {"error": len(self.findings), "warning": 0, "info": 0},
            "findings": [f.as_dict() for f in self.findings],
        }

    def fail(self, code: str, path: str, message: str) -> None:
        self.findings.append(Finding(code, "error", path, message, CITE))


def open_packet(data: bytes | Path, name: str) -> pikepdf.Pdf:
    """Open a packet from bytes or a path (a path is read lazily, not loaded whole)."""
    try:
        return pikepdf.open(data if isinstance(data, Path) else io.BytesIO(data))
    except pikepdf.PasswordError:
        raise PacketError(f"{name}: the PDF is encrypted; a cmpacket packet never is.") from None
    except (pikepdf.PdfError, ValueError, RecursionError) as exc:
        raise PacketError(
            f"{name}: not a readable PDF ({str(exc).splitlines()[0][:160]})."
        ) from None


def read_manifest(pdf: pikepdf.Pdf) -> dict[str, Any] | None:
    """The embedded manifest.json, or None if absent. Raises ValueError if it does not parse."""
    try:
        spec = pdf.attachments.get("manifest.json")
    except (pikepdf.PdfError, KeyError, TypeError):
        return None
    if spec is None:
        return None
    data = spec.get_file().read_bytes()
    manifest = json.loads(data.decode("utf-8"))
    if not isinstance(manifest, dict):
        raise ValueError("the manifest is not a JSON object")
    return manifest


def verify_packet(path: Path, manifest_file: Path | None = None) -> VerifyResult:
    """Verify a packet file; raises PacketError (exit 2) if it cannot be read at all."""
    if not path.is_file():
        raise PacketError(f"{path}: no such file.")
    sidecar = None
    if manifest_file is not None:
        try:
            sidecar = json.loads(manifest_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PacketError(f"{manifest_file}: cannot read the manifest ({exc}).") from None
    return verify_source(path, path.name, sidecar)


def file_sha256(source: bytes | Path) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    h = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_source(
    data: bytes | Path,
    name: str,
    sidecar: dict[str, Any] | None = None,
    known: dict[int, str] | None = None,
) -> VerifyResult:
    """Every check of SPEC §8 on a packet (its bytes, or its path).

    `known` (build only) gives page digests already computed from the very bytes those pages were
    copied from (the build's stamped upload blocks); every other page is hashed here. Reviewers'
    `verify` passes nothing and hashes every page.
    """
    result = VerifyResult()
    with open_packet(data, name) as pdf:
        result.pages = len(pdf.pages)
        offset, total = 0, None
        try:
            manifest = read_manifest(pdf)
        except (ValueError, UnicodeDecodeError) as exc:
            result.fail(
                "manifest-invalid",
                "manifest.json",
                f"the embedded manifest does not parse ({exc}).",
            )
            return result
        if manifest is None:
            result.fail(
                "manifest-missing",
                "manifest.json",
                "the packet has no embedded manifest.json; it was not built by cmpacket or was altered.",
            )
            return result
        result.manifest = manifest
        view = manifest
        try:
            if manifest.get("parts"):
                from cmpacket.verify._parts import part_of_file, part_view

                part = part_of_file(pdf, name, manifest, result)
                if part is None:
                    return result
                offset, total = part["first_page"] - 1, manifest["packet"]["pages"]
                view = part_view(manifest, part["first_page"], part["last_page"])
                known = {p - offset: d for p, d in (known or {}).items()}
                result.part = part
            _check_structure(pdf, view, result, known or {}, offset, total)
        except (KeyError, TypeError, ValueError) as exc:
            result.fail(
                "manifest-invalid",
                "manifest.json",
                f"the manifest lacks an expected field ({exc}).",
            )
    if sidecar is not None:
        _check_sidecar(data, manifest, sidecar, result)
    return result


def _check_structure(
    pdf: pikepdf.Pdf,
    manifest: dict[str, Any],
    result: VerifyResult,
    known: dict[int, str],
    offset: int = 0,
    total: int | None = None,
) -> None:
    """The checks of one file; for a part, `manifest` is its view (pages rebased to the file)
    and stamps read `Page offset+i of total`."""
    declared = manifest["packet"]["pages"]
    n = len(pdf.pages)
    if declared != n:
        result.fail(
            "page-count-mismatch",
            "packet",
            f"the packet has {n} pages; the manifest says {declared}.",
        )
    sections = manifest["sections"]
    _check_ranges(sections, declared, result)
    _check_required(manifest, sections, result)
    _check_outline(pdf, sections, result)
    _check_stamps(pdf, n, result, offset, total or n)
    _check_content(pdf, sections, result, known)


def _check_ranges(sections: list[dict[str, Any]], total: int, result: VerifyResult) -> None:
    expected = 1
    for s in sections:
        if s["first_page"] != expected or s["last_page"] < s["first_page"]:
            result.fail(
                "section-range-mismatch",
                f"section {s['letter']}",
                f"pages {s['first_page']}-{s['last_page']} do not follow on from page {expected - 1}.",
            )
        expected = s["last_page"] + 1
    if expected - 1 != total:
        result.fail(
            "section-range-mismatch", "packet", f"sections end on page {expected - 1}, not {total}."
        )


def _check_required(
    manifest: dict[str, Any], sections: list[dict[str, Any]], result: VerifyResult
) -> None:
    present = {s["letter"] for s in sections if s["documents"]}
    for letter in manifest.get("required_sections") or []:
        if letter not in present:
            result.fail(
                "section-missing",
                f"section {letter}",
                f"required section {letter} is missing or empty.",
            )


def _check_outline(pdf: pikepdf.Pdf, sections: list[dict[str, Any]], result: VerifyResult) -> None:
    try:
        tree = outline_tree(pdf)
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError):
        tree = []
    top = {node["title"].split(".", 1)[0]: node for node in tree if "." in node["title"][:3]}
    for s in sections:
        if s["letter"] == "front":
            continue
        node = top.get(s["letter"])
        if node is None:
            result.fail(
                "outline-mismatch", f"section {s['letter']}", "no bookmark for this section."
            )
        elif node["page"] != s["first_page"]:
            result.fail(
                "outline-mismatch",
                f"section {s['letter']}",
                f"the bookmark points to page {node['page']}; the section starts on page {s['first_page']}.",
            )


def _check_stamps(
    pdf: pikepdf.Pdf, count: int, result: VerifyResult, offset: int = 0, total: int | None = None
) -> None:
    bad: list[str] = []
    total = total or count
    maps: dict[Any, dict[int, str]] = {}  # the stamp font's ToUnicode map, parsed once
    for i, page in enumerate(pdf.pages, start=1 + offset):
        text = read_stamp(page, maps)
        match = _PAGE_RE.search(text or "")
        if not match:
            bad.append(f"page {i}: no cmpacket stamp")
        elif (int(match.group(1)), int(match.group(2))) != (i, total):
            bad.append(f"page {i}: stamped 'Page {match.group(1)} of {match.group(2)}'")
    for line in bad[:20]:
        result.fail("stamp-wrong", line.split(":")[0], line.split(": ", 1)[1] + ".")
    if len(bad) > 20:
        result.fail(
            "stamp-wrong", "packet", f"{len(bad) - 20} more pages have a missing or wrong stamp."
        )


def _check_content(
    pdf: pikepdf.Pdf, sections: list[dict[str, Any]], result: VerifyResult, known: dict[int, str]
) -> None:
    n = len(pdf.pages)
    for s in sections:
        for d in s["documents"]:
            first, last = d["first_page"], d["last_page"]
            if last > n:
                result.fail(
                    "content-changed",
                    _where(s, d),
                    f"pages {first}-{last} are missing from the packet.",
                )
                continue
            digests = [
                known.get(p) or page_digest(pdf.pages[p - 1]) for p in range(first, last + 1)
            ]
            if hashlib.sha256("".join(digests).encode()).hexdigest() == d["content_sha256"]:
                continue
            changed = [
                first + i
                for i, (a, b) in enumerate(zip(digests, d.get("page_sha256", []), strict=False))
                if a[:16] != b
            ]
            pages = ", ".join(str(p) for p in changed) or f"{first}-{last}"
            result.fail(
                "content-changed",
                _where(s, d),
                f"the content of page(s) {pages} differs from what was built (changed, replaced or reordered).",
            )


def _where(section: dict[str, Any], doc: dict[str, Any]) -> str:
    return f"section {section['letter']}: {doc['title']} (pages {doc['first_page']}-{doc['last_page']})"


def _check_sidecar(
    data: bytes | Path,
    manifest: dict[str, Any] | None,
    sidecar: dict[str, Any],
    result: VerifyResult,
) -> None:
    actual = file_sha256(data)
    expected = (sidecar.get("packet") or {}).get("sha256")
    what = "packet"
    if result.part is not None:  # a part: its own hash is in the sidecar's parts
        parts = sidecar.get("parts") or []
        entry = next((p for p in parts if p.get("first_page") == result.part["first_page"]), {})
        expected, what = entry.get("sha256"), str(result.part.get("file"))
    if actual != expected:
        result.fail(
            "packet-hash-mismatch",
            what,
            f"the file's sha256 is {actual[:16]}…; the sidecar manifest says {str(expected)[:16]}…. "
            f"The file was changed after it was built.",
        )
    if manifest is not None:
        side = json.loads(json.dumps(sidecar))
        side.setdefault("packet", {})["sha256"] = None
        for part in side.get("parts") or []:
            part["sha256"] = part["bytes"] = None
        if side != manifest:
            result.fail(
                "manifest-mismatch",
                "manifest.json",
                "the sidecar and the embedded manifest differ.",
            )
