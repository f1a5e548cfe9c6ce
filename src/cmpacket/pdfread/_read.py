"""Reading back what the assembler writes on every page: its stamp (through the stamp font's
ToUnicode map) and the hash of what the page shows. Shared by the assembler, which records the
hashes in the manifest, and by `verify`, which reads both from a received packet."""

from __future__ import annotations

import contextlib
import hashlib
import re
import struct
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary

from cmpacket.pdfread._stamptext import logical_order, parse_to_unicode
from cmpacket.pdfread._streams import hash_contents, hash_resources

STAMP_MARK = b"%cmpacket-stamp"
_OLD_STAMP_RE = re.compile(rb"%cmpacket-stamp.*?\((.*?)\) Tj", re.S)  # release 1 (Helvetica)
_FONT_RE = re.compile(rb"/(CmpStampF\d*)\s+[-\d.]+\s+Tf")
_HEX_RE = re.compile(rb"<([0-9A-Fa-f]*)>")


def read_stamp(
    page: pikepdf.Page, maps: dict[Any, dict[int, str]] | None = None, data: bytes | None = None
) -> str | None:
    """The footer stamp text cmpacket drew on a page (any script), or None.

    The glyph codes are read back through the stamp font's ToUnicode map; `maps` caches the
    parsed maps across pages. Release 1 stamps (Helvetica literal strings) are read too. `data`:
    the page's last content stream, when the caller has already read it.
    """
    if data is None:
        contents = page.obj.get("/Contents")
        if contents is None:
            return None
        last = contents[-1] if isinstance(contents, Array) and len(contents) else contents
        try:
            data = last.read_bytes()
        except (pikepdf.PdfError, AttributeError, TypeError):
            return None
    at = data.find(STAMP_MARK)
    if at < 0:
        return None
    old = _OLD_STAMP_RE.match(data, at) if data.find(b") Tj", at) >= 0 else None
    if old:
        return re.sub(rb"\\(.)", rb"\1", old.group(1)).decode("cp1252", errors="replace")
    begin = data.find(b"BT", at)
    end = data.find(b"ET", begin) if begin >= 0 else -1
    if begin < 0 or end < 0:
        return None
    maps = {} if maps is None else maps
    resources = page.obj.get("/Resources")
    fonts = resources.get("/Font") if isinstance(resources, Dictionary) else None
    out: list[str] = []
    mapping: dict[int, str] = {}
    # font switches and the glyph codes shown in each font: `/CmpStampF1 7.50 Tf [<0042> ...] TJ`
    parts = _FONT_RE.split(data[begin:end])
    for i, part in enumerate(parts):
        if i % 2:  # a font's resource name
            found = fonts.get("/" + part.decode()) if fonts is not None else None
            mapping = _font_map(found, maps)
        else:
            out += _glyph_texts(_HEX_RE.findall(part), mapping)
    return logical_order(out)


def _glyph_texts(tokens: list[bytes], mapping: dict[int, str]) -> list[str]:
    """Each two-byte glyph code of the hex strings `tokens` (`0042`), as its text through
    `mapping`; a partial code at the end of a string is ignored."""
    if all(len(t) == 4 for t in tokens):  # what cmpacket writes: one code a string
        joined = b"".join(tokens)
    else:  # string by string, a partial code at the end of each ignored
        joined = b"".join(t[: len(t) // 4 * 4] for t in tokens)
    codes = struct.unpack(f">{len(joined) // 4}H", bytes.fromhex(joined.decode("ascii")))
    return [mapping.get(code, "\ufffd") for code in codes]


def _font_map(font: Any, maps: dict[Any, dict[int, str]]) -> dict[int, str]:
    if not isinstance(font, Dictionary):
        return {}
    key = font.objgen if font.is_indirect else id(font)
    if key not in maps:
        try:
            maps[key] = parse_to_unicode(font.ToUnicode.read_bytes())
        except (pikepdf.PdfError, AttributeError, KeyError):
            maps[key] = {}
    return maps[key]


DIGEST_VERSION = 2  # the manifest's `page_digest`: what a page's hash covers (see page_digest)


def page_digest(
    page: pikepdf.Page,
    stream_limit: int | None = None,
    page_limit: int | None = None,
    memo: dict[tuple[int, int], bytes] | None = None,
    version: int = DIGEST_VERSION,
    decoded: dict[tuple[int, int], bytes] | None = None,
) -> str:
    """A hash over what a page shows: its boxes, rotation, content streams and every resource
    they reach (fonts with their programs and ToUnicode maps, images, forms, patterns, graphics
    states), so a change to a font changes the hash as a change to the text does. Version 1
    (packets made before the manifest recorded `page_digest`) hashed the page's images but no
    other resource; `verify` still checks those packets the way they were made.

    Content streams are decoded in chunks (never whole); past `stream_limit` decoded bytes for
    one stream or `page_limit` for the page, StreamTooLarge is raised. `memo` keeps the hashes
    of objects pages share, for the pages of one document; `decoded`, content streams already
    decoded (by object: `verify` has read the stamp's).
    """

    h = hashlib.sha256()
    obj = page.obj
    for key in ("/MediaBox", "/CropBox", "/Rotate"):
        value = obj.get(key)
        h.update(
            key.encode()
            + (repr([float(v) for v in value]) if isinstance(value, Array) else str(value)).encode()
        )
    contents = obj.get("/Contents")
    streams = (
        list(contents)
        if isinstance(contents, Array)
        else ([contents] if contents is not None else [])
    )
    hash_contents(h, streams, stream_limit, page_limit, decoded)
    resources = obj.get("/Resources")
    if version < 2:
        xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
        if isinstance(xobjects, Dictionary):
            for name in sorted(xobjects.keys()):
                h.update(name.encode())
                with contextlib.suppress(pikepdf.PdfError, AttributeError):
                    h.update(xobjects[name].read_raw_bytes())
    elif resources is not None:
        h.update(b"R")
        hash_resources(h, resources, {} if memo is None else memo, stream_limit, page_limit)
    return h.hexdigest()
