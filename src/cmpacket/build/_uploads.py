"""The build's intake stage: each upload inspected and sanitized once, through the cache, and the
content of each upload piece (read back from the cache only when a block must be rebuilt)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmpacket.build._workspace import Workspace
from cmpacket.errors import BuildError
from cmpacket.intake import (
    UploadFacts,
    extractor,
    facts_from_json,
    facts_to_json,
    take_in,
    with_text,
)
from cmpacket.intake._pdf import intake_tag
from cmpacket.plan import Content, Piece, file_sha256


@dataclass(frozen=True)
class Intaken:
    """One upload after intake: its facts, sha256 and the cache key of its sanitized PDF ("" when
    it cannot be used). `pdf` is held in memory only when there is no cache to read it back from."""

    facts: UploadFacts
    sha256: str
    pdf_key: str
    pdf: bytes | None
    plain_key: str = ""  # with OCR: the key of the PDF before its text layer was added
    steps: tuple[str, ...] = ()  # what was done after sanitizing: "compress", "ocr"
    compressed: int = 0  # pages re-encoded by --compress-scans


def take_in_all(ws: Workspace, paths: list[Path], limits: dict[str, Any]) -> dict[Path, Intaken]:
    """Intake of every upload, in order; facts and sanitized PDFs are cached apart."""
    tick = ws.ticker("Uploads")
    done: dict[Path, Intaken] = {}
    for path in paths:
        done[path] = _take_in(ws, path, limits)
        tick(len(done), len(paths))
    return done


def _take_in(ws: Workspace, path: Path, limits: dict[str, Any]) -> Intaken:
    sha = file_sha256(path)
    tag = intake_tag(path)  # the converter a non-PDF goes through
    limits_json = json.dumps(limits, sort_keys=True, default=str)
    facts_key = ws.cache.key("upload-facts", sha, limits_json, tag, extractor())
    pdf_key = ws.cache.key("upload-pdf", sha, tag)
    hit = ws.cache.get(facts_key, f"upload:{ws.display(path)}")
    pdf = None
    if hit is not None:
        facts = facts_from_json(path, json.loads(hit))
    else:
        facts, pdf = take_in(path, limits)
        facts = with_text(facts, pdf)  # evidence: the text of the PDF intake produced
        if pdf is not None:
            ws.cache.put(pdf_key, pdf)
        ws.cache.put(facts_key, json.dumps(facts_to_json(facts)).encode())
    # With a cache, sanitized PDFs are not held in memory: they are read back only when a block
    # of the packet must be (re)built, so memory does not grow with the uploads.
    keep = pdf if ws.cache.root is None else None
    return Intaken(facts, sha, pdf_key if facts.usable else "", keep)


def upload_content(
    ws: Workspace, piece: Piece, intaken: Intaken, limits: dict[str, Any]
) -> Content | str:
    """The content of an upload piece, or the reason it cannot be included (for a draft's
    placeholder page)."""
    if not intaken.pdf_key:
        reason = "; ".join(
            m for k, m in intaken.facts.problems if k in ("unreadable", "encrypted", "too-large")
        )
        return reason or "the file could not be taken in."
    assert piece.upload is not None
    return Content(
        pages=intaken.facts.pages,
        cache_key=intaken.pdf_key,
        source=piece.source,
        source_sha256=intaken.sha256,
        parts=(intaken.pdf,) if intaken.pdf is not None else (),
        load=_loader(ws, piece.upload, intaken, limits),
        size=len(intaken.pdf) if intaken.pdf is not None else ws.cache.size(intaken.pdf_key),
    )


def _loader(ws: Workspace, path: Path, intaken: Intaken, limits: dict[str, Any]) -> Any:
    """Read a sanitized (compressed, OCR'd) upload from the cache, or make it again the same way
    if the entry is gone."""
    key = intaken.pdf_key

    def load() -> list[bytes]:
        pdf = ws.cache.get(key, f"upload-pdf:{ws.display(path)}")
        if pdf is None:
            pdf = _remake(ws, path, intaken.steps, limits)
            ws.cache.put(key, pdf)
        return [pdf]

    return load


def _remake(ws: Workspace, path: Path, steps: tuple[str, ...], limits: dict[str, Any]) -> bytes:
    """Take an upload in again and redo each step intake did after sanitizing it."""
    _, pdf = take_in(path, limits)
    if pdf is None:
        raise BuildError(f"{ws.display(path)}: could not be taken in on a second reading.")
    if "compress" in steps:
        from cmpacket.intake._compress import compress_scans

        pdf = compress_scans(pdf)[0]
    if "ocr" in steps:
        from cmpacket.intake._ocr import Job, add_text_layers, textless_pages

        pages = textless_pages_of(pdf, textless_pages)
        made = add_text_layers([Job("again", pdf, pages)]).get("again")
        if made is None:
            raise BuildError(f"{ws.display(path)}: OCR could not be done again; build again.")
        pdf = made
    return pdf


def _plain(ws: Workspace, path: Path, key: str, limits: dict[str, Any]) -> bytes:
    """The sanitized upload: from the cache, or taken in again."""
    pdf = ws.cache.get(key, f"upload-pdf:{ws.display(path)}")
    if pdf is None:
        _, pdf = take_in(path, limits)
        if pdf is None:
            raise BuildError(f"{ws.display(path)}: could not be taken in on a second reading.")
    return pdf


def textless_pages_of(pdf: bytes, find: Any) -> list[int]:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return list(find(doc))


def add_ocr(
    ws: Workspace, intaken: dict[Path, Intaken], mode: str, limits: dict[str, Any]
) -> dict[Path, Intaken]:
    """A text layer, by OCR, on the upload pages that have none (`--ocr auto|always`, with an
    engine installed); OCR'd copies are cached by the sanitized upload's key and the engine's
    settings, and all pages waiting in a build go through one OCR run on every core."""
    from dataclasses import replace

    from cmpacket.intake._ocr import Job, add_text_layers, engine, settings, textless_pages

    name = engine() if mode != "never" else None
    if name is None:
        return intaken
    tag = settings(name)
    out = dict(intaken)
    work: list[Any] = []
    waiting: dict[str, Path] = {}
    for path, it in intaken.items():
        if not it.pdf_key or not it.facts.textless:
            continue
        ocr_key = ws.cache.key("upload-ocr", it.pdf_key, tag)
        steps = (*it.steps, "ocr")
        known = ws.cache.get(ocr_key + "-text", f"upload-ocr-text:{ws.display(path)}")
        if known is not None and ws.cache.size(ocr_key):  # made before; read when a block needs it
            facts = replace(it.facts, text=json.loads(known))  # evidence reads the OCR'd text
            out[path] = replace(
                it, facts=facts, pdf_key=ocr_key, pdf=None, plain_key=it.pdf_key, steps=steps
            )
            continue
        pdf = it.pdf or _plain(ws, path, it.pdf_key, limits)
        work.append(Job(ocr_key, pdf, textless_pages_of(pdf, textless_pages)))
        waiting[ocr_key] = path
    if not work:
        return out
    done = add_text_layers(work, ws.ticker("OCR pages"))
    for job in work:
        path, result = waiting[job.name], done.get(job.name)
        if result is None:  # not cached, so the next build tries again
            if not ws.progress.quiet:
                print(
                    f"note: {ws.display(path)}: OCR failed; kept without a text layer.",
                    file=sys.stderr,
                )
            continue
        before = intaken[path]
        facts = with_text(replace(before.facts), result)  # evidence reads the OCR'd text
        ws.cache.put(job.name, result)
        ws.cache.put(job.name + "-text", json.dumps(facts.text).encode())
        keep = result if ws.cache.root is None else None
        out[path] = replace(
            before,
            facts=facts,
            pdf_key=job.name,
            pdf=keep,
            plain_key=before.pdf_key,
            steps=(*before.steps, "ocr"),
        )
    return out


def compress(
    ws: Workspace, intaken: dict[Path, Intaken], limits: dict[str, Any]
) -> dict[Path, Intaken]:
    """--compress-scans: image-only pages re-encoded as 200 dpi JPEG (lossy; listed in the
    manifest), cached by the sanitized upload's key."""
    import json as _json
    from dataclasses import replace

    from cmpacket.intake._compress import VERSION, compress_scans

    out = dict(intaken)
    tick = ws.ticker("Compressing scans")
    for i, (path, it) in enumerate(intaken.items(), start=1):
        tick(i, len(intaken))
        if not it.pdf_key or not it.facts.textless:
            continue
        key = ws.cache.key("upload-scan200", it.pdf_key, VERSION)
        count_key = key + "-pages"
        known = ws.cache.get(count_key, f"upload-scan200:{ws.display(path)}")
        pdf = None
        if known is None:
            pdf, pages = compress_scans(it.pdf or _plain(ws, path, it.pdf_key, limits))
            if pages:
                ws.cache.put(key, pdf)
            ws.cache.put(count_key, _json.dumps(pages).encode())
        else:
            pages = _json.loads(known)
        if pages:
            keep = pdf if ws.cache.root is None else None
            out[path] = replace(
                it, pdf_key=key, pdf=keep, steps=(*it.steps, "compress"), compressed=pages
            )
    return out
