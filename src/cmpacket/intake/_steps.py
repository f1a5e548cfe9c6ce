"""Intake's steps after sanitizing, each cached by the sanitized upload's key: `--compress-scans`
(image-only pages re-encoded as 200 dpi JPEG) and OCR (a text layer on pages that have none)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cmpacket.cache import Cache
from cmpacket.intake._batch import Intaken, Ticker, sanitized
from cmpacket.intake._compress import VERSION, compress_scans
from cmpacket.intake._ocr import Job, add_text_layers, engine, settings, textless_pages_of
from cmpacket.intake._text import with_text


def compress(
    intaken: dict[Path, Intaken],
    limits: dict[str, Any],
    *,
    cache: Cache,
    ticker: Ticker,
    display: Callable[[Path], str],
) -> dict[Path, Intaken]:
    """--compress-scans: image-only pages re-encoded as 200 dpi JPEG (lossy; listed in the
    manifest), cached by the sanitized upload's key."""
    out = dict(intaken)
    tick = ticker("Compressing scans")
    for i, (path, it) in enumerate(intaken.items(), start=1):
        tick(i, len(intaken))
        if not it.pdf_key or not it.facts.textless:
            continue
        key = cache.key("upload-scan200", it.pdf_key, VERSION)
        count_key = key + "-pages"
        known = cache.get(count_key, f"upload-scan200:{display(path)}")
        pdf = None
        if known is None:
            plain = it.pdf or sanitized(path, it.pdf_key, limits, cache=cache, display=display)
            pdf, pages = compress_scans(plain)
            if pages:
                cache.put(key, pdf)
            cache.put(count_key, json.dumps(pages).encode())
        else:
            pages = json.loads(known)
        if pages:
            keep = pdf if cache.root is None else None
            out[path] = replace(
                it, pdf_key=key, pdf=keep, steps=(*it.steps, "compress"), compressed=pages
            )
    return out


def add_ocr(
    intaken: dict[Path, Intaken],
    mode: str,
    limits: dict[str, Any],
    *,
    cache: Cache,
    ticker: Ticker,
    display: Callable[[Path], str],
    note: Callable[[str], None] = lambda message: None,
) -> dict[Path, Intaken]:
    """A text layer, by OCR, on the upload pages that have none (`--ocr auto|always`, with an
    engine installed); OCR'd copies are cached by the sanitized upload's key and the engine's
    settings, and all pages waiting in a build go through one OCR run on every core. An upload
    whose OCR fails is kept without a text layer (`note` says so) and tried again next build."""
    name = engine() if mode != "never" else None
    if name is None:
        return intaken
    tag = settings(name)
    out = dict(intaken)
    work: list[Job] = []
    waiting: dict[str, Path] = {}
    for path, it in intaken.items():
        if not it.pdf_key or not it.facts.textless:
            continue
        ocr_key = cache.key("upload-ocr", it.pdf_key, tag)
        known = cache.get(ocr_key + "-text", f"upload-ocr-text:{display(path)}")
        if known is not None and cache.size(ocr_key):  # made before; read when a block needs it
            facts = replace(it.facts, text=json.loads(known))  # evidence reads the OCR'd text
            out[path] = _ocred(it, facts, ocr_key, None)
            continue
        pdf = it.pdf or sanitized(path, it.pdf_key, limits, cache=cache, display=display)
        work.append(Job(ocr_key, pdf, textless_pages_of(pdf)))
        waiting[ocr_key] = path
    if not work:
        return out
    done = add_text_layers(work, ticker("OCR pages"))
    for job in work:
        path, result = waiting[job.name], done.get(job.name)
        if result is None:  # not cached, so the next build tries again
            note(f"{display(path)}: OCR failed; kept without a text layer.")
            continue
        before = intaken[path]
        facts = with_text(replace(before.facts), result)  # evidence reads the OCR'd text
        cache.put(job.name, result)
        cache.put(job.name + "-text", json.dumps(facts.text).encode())
        out[path] = _ocred(before, facts, job.name, result if cache.root is None else None)
    return out


def _ocred(before: Intaken, facts: Any, key: str, pdf: bytes | None) -> Intaken:
    """The upload with its OCR'd copy and text (matches of the text before OCR no longer hold)."""
    return replace(
        before, facts=facts, pdf_key=key, pdf=pdf, plain_key=before.pdf_key,
        steps=(*before.steps, "ocr"), matches=(),
    )  # fmt: skip
