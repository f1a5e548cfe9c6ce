"""Read PDF streams in bounded memory: decode in chunks, count, stop at a cap.

A received packet is untrusted: a few kilobytes of Flate data can inflate to gigabytes. Nothing
here holds a whole decoded stream in memory; decoded bytes arrive in chunks of at most `CHUNK`
bytes and decoding stops as soon as a cap is passed.

The bytes produced are exactly what qpdf (`Object.read_bytes()`) gives for the same stream, so a
hash over them is the same hash the build computes: Flate data is inflated raw after its two-byte
zlib header, ignoring the Adler-32 checksum and anything after the end of the data, as qpdf does.
Filter chains other than Flate without a predictor (which qpdf writes for every content stream
cmpacket saves) are decoded by qpdf, but only when an upper bound on their decoded size is under
`QPDF_DECODE_LIMIT`.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import pikepdf

__all__ = [
    "CHUNK",
    "QPDF_DECODE_LIMIT",
    "StreamTooLarge",
    "StreamUnreadable",
    "decoded_chunks",
    "hash_contents",
    "hash_resources",
    "read_bounded",
]

CHUNK = 1 << 20
QPDF_DECODE_LIMIT = 32 << 20
_FEED = 16 << 10  # compressed bytes given to zlib at a time (its unconsumed tail is copied)
_FLATE = ("/FlateDecode", "/Fl")
# The most bytes one encoded byte can decode to, for filters decoded by qpdf in one piece.
_RATIO = {
    "/FlateDecode": 1032, "/Fl": 1032, "/LZWDecode": 4096, "/LZW": 4096,
    "/RunLengthDecode": 64, "/RL": 64, "/ASCII85Decode": 4, "/A85": 4,
    "/ASCIIHexDecode": 1, "/AHx": 1,
}  # fmt: skip


class StreamTooLarge(ValueError):
    """A stream decodes (or may decode) to more bytes than a cap allows.

    `kind` is "over" (decoding passed the limit and stopped), "bound" (an upper bound on what it
    may decode to is over the limit) or "exact"; `scope` is "stream" or "page".
    """

    def __init__(self, size: int, limit: int, kind: str = "over", scope: str = "stream") -> None:
        self.size, self.limit, self.kind, self.scope = size, limit, kind, scope
        if kind == "over":
            text = f"decodes to more than {limit:,} bytes, the limit"
        elif kind == "bound":
            text = f"may decode to as much as {size:,} bytes, over the limit of {limit:,}"
        else:
            text = f"decodes to {size:,} bytes, over the limit of {limit:,}"
        super().__init__(text)


class StreamUnreadable(ValueError):
    """A stream's data cannot be decoded (damaged Flate data, unknown filter)."""


def _filters(stream: pikepdf.Object) -> list[tuple[str, Any]]:
    """[(filter name, decode parameters or None)] in decoding order."""
    names = stream.get("/Filter")
    if names is None:
        return []
    parms = stream.get("/DecodeParms")
    if parms is None:
        parms = stream.get("/DP")
    if isinstance(names, pikepdf.Name):
        return [(str(names), parms if isinstance(parms, pikepdf.Dictionary) else None)]
    if not isinstance(names, pikepdf.Array):
        raise StreamUnreadable(f"its /Filter is {type(names).__name__}, not a name or array")
    out = []
    for i, name in enumerate(names):
        if not isinstance(name, pikepdf.Name):
            raise StreamUnreadable("its /Filter array holds something other than names")
        parm = parms[i] if isinstance(parms, pikepdf.Array) and i < len(parms) else None
        out.append((str(name), parm if isinstance(parm, pikepdf.Dictionary) else None))
    return out


def _predictor(parms: Any) -> int:
    value = parms.get("/Predictor", 1) if parms is not None else 1
    return int(value) if isinstance(value, int) else 1


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Inflate zlib data chunk by chunk as qpdf does: header checked, checksum ignored."""
    head = b""
    it = iter(chunks)
    for chunk in it:
        head += chunk
        if len(head) >= 2:
            break
    if len(head) < 2:
        return  # qpdf: no data, no output
    cmf, flg = head[0], head[1]
    if cmf & 0x0F != 8 or (cmf * 256 + flg) % 31 or cmf >> 4 > 7:
        raise StreamUnreadable("its Flate data has an incorrect header")
    if flg & 0x20:
        raise StreamUnreadable("its Flate data needs a preset dictionary")
    inflater = zlib.decompressobj(-15)

    def feed(piece: bytes | memoryview) -> Iterator[bytes]:
        data: bytes | memoryview = piece
        while not inflater.eof:
            try:
                out = inflater.decompress(data, CHUNK)
            except zlib.error as exc:
                raise StreamUnreadable(f"its Flate data is damaged ({exc})") from None
            if out:
                yield out
            data = inflater.unconsumed_tail  # a copy: kept small by feeding small pieces
            if not data and len(out) < CHUNK:
                return

    for chunk in itertools.chain([head[2:]], it):
        view = memoryview(chunk)
        for at in range(0, len(view), _FEED):
            if inflater.eof:
                return  # anything after the end of the data (the checksum, garbage) is ignored
            yield from feed(view[at : at + _FEED])


def _inflate_small(data: bytes) -> bytes | None:
    """Inflate a small Flate stream in one call, or None when it needs the chunked path
    (its output reaches CHUNK bytes, or its header or data are bad: the chunked path says why)."""
    if len(data) < 2:
        return None
    cmf, flg = data[0], data[1]
    if cmf & 0x0F != 8 or (cmf * 256 + flg) % 31 or cmf >> 4 > 7 or flg & 0x20:
        return None
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data[2:], CHUNK)
    except zlib.error:
        return None
    if len(out) >= CHUNK or inflater.unconsumed_tail:
        return None
    return out


def _slices(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for i in range(0, len(data), CHUNK):
        yield bytes(view[i : i + CHUNK])


def _unreadable(exc: Exception) -> StreamUnreadable:
    return StreamUnreadable((str(exc).splitlines() or [type(exc).__name__])[0][:160])


def decoded_chunks(stream: pikepdf.Object, limit: int) -> Iterator[bytes]:
    """The stream's decoded bytes in chunks; raises StreamTooLarge past `limit` bytes."""
    try:
        filters = _filters(stream)
        data = stream.read_raw_bytes()
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError) as exc:
        raise _unreadable(exc) from None
    if len(data) <= _FEED and len(filters) == 1 and filters[0] == ("/FlateDecode", None):
        small = _inflate_small(data)  # the usual case: one call to zlib, no generators
        if small is not None:
            if len(small) > limit:
                raise StreamTooLarge(len(small), limit)
            yield small
            return
    plain = 0  # leading Flate filters without a predictor: inflated here, chunk by chunk
    while (
        plain < len(filters) and filters[plain][0] in _FLATE and _predictor(filters[plain][1]) < 2
    ):
        plain += 1
    source: Iterable[bytes] = _slices(data)
    for _ in range(plain):
        source = _inflate(source)
    rest = filters[plain:]
    total = 0
    if not rest:
        for chunk in source:
            total += len(chunk)
            if total > limit:
                raise StreamTooLarge(total, limit)
            yield chunk
        return
    # A predictor or another filter follows: bound the decoded size, then let qpdf decode it.
    if rest[0][0] in _FLATE:  # Flate with a predictor: a predictor never makes data longer
        source = _inflate(source)
        rest = rest[1:]
    for chunk in source:
        total += len(chunk)
        if total > limit:
            raise StreamTooLarge(total, limit)
    bound = total
    for name, _parms in rest:
        if name not in _RATIO:
            raise StreamUnreadable(f"its filter {name} is not one page content can use")
        bound *= _RATIO[name]
    cap = min(limit, QPDF_DECODE_LIMIT)
    if bound > cap:
        raise StreamTooLarge(bound, cap, kind="bound")
    try:
        whole = bytes(stream.read_bytes())
    except (pikepdf.PdfError, AttributeError, TypeError, ValueError) as exc:
        raise _unreadable(exc) from None
    if len(whole) > limit:
        raise StreamTooLarge(len(whole), limit, kind="exact")
    yield whole


def read_bounded(stream: pikepdf.Object, limit: int) -> bytes:
    """The stream's decoded bytes (at most `limit` of them, or StreamTooLarge)."""
    return b"".join(decoded_chunks(stream, limit))


def hash_contents(
    h: Any,
    streams: list[pikepdf.Object],
    stream_limit: int | None,
    page_limit: int | None,
    decoded: dict[tuple[int, int], bytes] | None = None,
) -> None:
    """Feed b"C" + each content stream's decoded bytes into `h`, within both caps; `decoded`
    gives streams the caller has already decoded (by object), not decoded again.

    With no caps (None), memory stays bounded all the same; only the time grows with the data.
    """
    unlimited = 1 << 62
    cap = stream_limit if stream_limit is not None else unlimited
    room = page_limit if page_limit is not None else unlimited
    for stream in streams:
        h.update(b"C")
        known = decoded.get(stream.objgen) if decoded and stream.is_indirect else None
        if known is not None and len(known) <= min(cap, room):
            h.update(known)
            room -= len(known)
            continue
        used = 0
        try:
            for chunk in decoded_chunks(stream, min(cap, room)):
                used += len(chunk)
                h.update(chunk)
        except StreamTooLarge as exc:
            if room >= cap or page_limit is None:
                raise
            done = page_limit - room
            raise StreamTooLarge(done + exc.size, page_limit, exc.kind, scope="page") from None
        room -= used


# keys of a resource that lead back into the document (the page tree, structure, annotations):
# what a page shows never depends on them, and following them would walk the whole file
_BACK = frozenset({"/Parent", "/P", "/Pg", "/Annots", "/StructParent", "/StructParents", "/B"})
RESOURCE_OBJECTS = 100_000  # the most objects one page's resources may reach


def hash_resources(
    h: Any,
    resources: Any,
    memo: dict[tuple[int, int], bytes],
    stream_limit: int | None,
    page_limit: int | None,
) -> None:
    """Feed everything a page's resources reach into `h`: fonts and their programs and ToUnicode
    maps, images, forms (and their own resources), patterns, shadings, graphics states. The
    content, not its encoding: a stream whose filters qpdf can undo is hashed decoded (so saving
    the packet with other compression changes nothing), an image codec's data raw. Shared
    objects are hashed once per document (`memo`, by object id: a font used on 4,000 pages);
    decoding stays within the caps, and a resource graph past RESOURCE_OBJECTS objects raises
    StreamTooLarge for the page."""
    cap = stream_limit if stream_limit is not None else 1 << 62
    walker = _Walker(memo, cap, page_limit)
    h.update(walker.digest(resources))


class _Walker:
    def __init__(self, memo: dict[tuple[int, int], bytes], cap: int, page_limit: int | None):
        self.memo, self.cap, self.page_limit = memo, cap, page_limit
        self.visits = 0
        self.active: set[tuple[int, int]] = set()

    def digest(self, obj: Any) -> bytes:
        import hashlib

        key = obj.objgen if isinstance(obj, pikepdf.Object) and obj.is_indirect else None
        if key is not None:
            if key in self.memo:
                return self.memo[key]
            if key in self.active:
                return b"<cycle>"
            self.active.add(key)
        self.visits += 1
        if self.visits > RESOURCE_OBJECTS:
            raise StreamTooLarge(self.visits, RESOURCE_OBJECTS, "over", scope="page")
        h = hashlib.sha256()
        try:
            self._feed(h, obj)
        finally:
            if key is not None:
                self.active.discard(key)
        out = h.digest()
        if key is not None:
            self.memo[key] = out
        return out

    def _feed(self, h: Any, obj: Any) -> None:
        if isinstance(obj, pikepdf.Stream):
            h.update(b"S")
            filters = _filters(obj)
            decodable = all(name in _RATIO for name, _ in filters)
            skip = {"/Length", "/Filter", "/DecodeParms", "/DL"} if decodable else {"/Length"}
            self._dictionary(h, obj.stream_dict, skip)
            if decodable:
                for chunk in decoded_chunks(obj, self.cap):
                    h.update(chunk)
            else:
                try:
                    raw = obj.read_raw_bytes()
                except (pikepdf.PdfError, AttributeError, TypeError, ValueError) as exc:
                    raise _unreadable(exc) from None
                if len(raw) > self.cap:
                    raise StreamTooLarge(len(raw), self.cap, "exact")
                h.update(raw)
        elif isinstance(obj, pikepdf.Dictionary):
            h.update(b"D")
            self._dictionary(h, obj, set())
        elif isinstance(obj, pikepdf.Array):
            h.update(b"A%d" % len(obj))
            for item in obj:
                h.update(self.digest(item))
        else:
            h.update(b"V" + repr(obj).encode("utf-8", "backslashreplace"))

    def _dictionary(self, h: Any, obj: Any, skip: set[str]) -> None:
        for name in sorted(obj.keys()):
            if name in _BACK or name in skip:
                continue
            h.update(name.encode("utf-8", "backslashreplace"))
            h.update(self.digest(obj[name]))
