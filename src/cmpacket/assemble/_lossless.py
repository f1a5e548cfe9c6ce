"""Lossless savings on the assembled packet: an image that several uploads carry (the same
letterhead, the same scan uploaded twice) is stored once (`PacketWriter` writes the first and
points the others at it). Pages render exactly as before, and their digests (which hash what a
page shows) do not change."""

from __future__ import annotations

import hashlib

import pikepdf

MAX_IMAGE_BYTES = 64 * 2**20  # larger raw streams are left alone rather than read to hash


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
