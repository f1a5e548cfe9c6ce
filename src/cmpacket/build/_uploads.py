"""The build's intake stage: each upload inspected and sanitized once, through the cache, and the
content of each upload piece (read back from the cache only when a block must be rebuilt)."""

from __future__ import annotations

import json
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
from cmpacket.plan import Content, Piece, file_sha256


@dataclass(frozen=True)
class Intaken:
    """One upload after intake: its facts, sha256 and the cache key of its sanitized PDF ("" when
    it cannot be used). `pdf` is held in memory only when there is no cache to read it back from."""

    facts: UploadFacts
    sha256: str
    pdf_key: str
    pdf: bytes | None


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
    facts_key = ws.cache.key(
        "upload-facts", sha, json.dumps(limits, sort_keys=True, default=str), extractor()
    )
    pdf_key = ws.cache.key("upload-pdf", sha)
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
        load=_loader(ws, piece.upload, intaken.pdf_key, limits),
    )


def _loader(ws: Workspace, path: Path, key: str, limits: dict[str, Any]) -> Any:
    """Read a sanitized upload from the cache, or take it in again if the entry is gone."""

    def load() -> list[bytes]:
        pdf = ws.cache.get(key, f"upload-pdf:{ws.display(path)}")
        if pdf is None:
            _, pdf = take_in(path, limits)
            if pdf is None:
                raise BuildError(f"{ws.display(path)}: could not be taken in on a second reading.")
            ws.cache.put(key, pdf)
        return [pdf]

    return load
