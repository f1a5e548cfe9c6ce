"""Lossless savings on the assembled packet: an image that several uploads carry (the same
letterhead, the same scan uploaded twice) is stored once. Pages render exactly as before, and
their digests (which hash what a page shows) do not change."""

from __future__ import annotations

import hashlib
from typing import Any

import pikepdf
from pikepdf import Dictionary, Name

MAX_IMAGE_BYTES = 64 * 2**20  # larger raw streams are left alone rather than read to hash


def dedupe_images(pdf: pikepdf.Pdf) -> int:
    """Point every page's duplicate image XObjects at one copy; returns how many were merged."""
    first: dict[str, Any] = {}
    merged = 0
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
        if not isinstance(xobjects, Dictionary) or xobjects.objgen in seen:
            continue
        if xobjects.is_indirect:
            seen.add(xobjects.objgen)
        for name in list(xobjects.keys()):
            obj = xobjects[name]
            if not isinstance(obj, pikepdf.Stream) or obj.get("/Subtype") != Name.Image:
                continue
            key = image_key(obj)
            if key is None:
                continue
            keep = first.setdefault(key, obj)
            if keep.objgen != obj.objgen:
                xobjects[name] = keep
                merged += 1
    return merged


def image_key(image: pikepdf.Stream) -> str | None:
    """What makes two images the same picture: their bytes, dictionaries and masks (None for
    one too large to hash or unreadable)."""
    length = image.get("/Length")
    if isinstance(length, int) and length > MAX_IMAGE_BYTES:
        return None
    try:
        raw = image.read_raw_bytes()
    except pikepdf.PdfError:
        return None
    h = hashlib.sha256(raw)
    for k in sorted(image.stream_dict.keys()):
        if k not in ("/Length", "/SMask", "/Mask"):
            h.update(k.encode() + repr(image.stream_dict[k]).encode())
    for k in ("/SMask", "/Mask"):  # a soft mask is part of the picture: compare it too
        mask = image.get(k)
        if isinstance(mask, pikepdf.Stream):
            h.update(k.encode() + hashlib.sha256(mask.read_raw_bytes()).digest())
    return h.hexdigest()
