"""Chunked decoding of PDF stream filters: how many bytes a stream decodes to, found 64 KB at a
time and stopped past a cap, so nothing large is ever held (used by `_bounded`).

Flate, LZW and RunLength are decoded here chunk by chunk; ASCIIHex and ASCII85 (which at most
quadruple) are decoded whole only after their bound is checked; the image codecs (DCT, JPX,
JBIG2, CCITT) are left undecoded and reported, for the caller to check the image's size.
Predictors are left to qpdf: they never enlarge the data.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pikepdf

CHUNK = 1 << 16
IMAGE_CODECS = {"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode"}
ALIASES = {
    "/Fl": "/FlateDecode", "/LZW": "/LZWDecode", "/AHx": "/ASCIIHexDecode",
    "/A85": "/ASCII85Decode", "/RL": "/RunLengthDecode", "/DCT": "/DCTDecode",
    "/CCF": "/CCITTFaxDecode",
}  # fmt: skip


class StreamTooLarge(Exception):
    """A stream, page or image over a cap; the message names the figure. `kind` says which cap:
    "stream", "page", "image" (pixels, the message names the limit too) or "objects"."""

    def __init__(self, message: str, kind: str = "stream") -> None:
        super().__init__(message)
        self.kind = kind


class StreamDamaged(Exception):
    """A stream that cannot be decoded; the message says why in a person's words."""


def size_text(n: float) -> str:
    if n < 2**20:
        return f"{n / 2**10:,.0f} KB"
    return f"{n / 2**20:,.1f} MB" if n < 2**30 else f"{n / 2**30:,.1f} GB"


# --- decoding, one filter at a time, as generators of chunks -------------------------------------


def _flate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    d = zlib.decompressobj()
    try:
        for chunk in chunks:
            data = chunk
            while data and not d.eof:
                out = d.decompress(data, CHUNK)
                if out:
                    yield out
                data = d.unconsumed_tail
            if d.eof:
                return
        tail = d.flush(CHUNK)  # a stream cut short: qpdf too keeps what decoded
        if tail:
            yield tail
    except zlib.error as exc:
        raise StreamDamaged(str(exc).split(": ", 1)[-1]) from None


def _lzw(chunks: Iterator[bytes], early: int) -> Iterator[bytes]:
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    bits, width, buf, out = 0, 9, 0, bytearray()
    prev: bytes | None = None
    for chunk in chunks:
        for byte in chunk:
            buf, bits = (buf << 8) | byte, bits + 8
            while bits >= width:
                bits -= width
                code = (buf >> bits) & ((1 << width) - 1)
                buf &= (1 << bits) - 1
                if code == 256:  # clear
                    del table[258:]
                    width, prev = 9, None
                    continue
                if code == 257:  # end of data
                    if out:
                        yield bytes(out)
                    return
                if code < len(table):
                    entry = table[code]
                    if prev is not None and len(table) < 4096:
                        table.append(prev + entry[:1])
                elif code == len(table) and prev is not None and len(table) < 4096:
                    entry = prev + prev[:1]
                    table.append(entry)
                else:
                    raise StreamDamaged("an LZW code is out of range")
                out += entry
                prev = entry
                if len(table) + early >= (1 << width) and width < 12:
                    width += 1
                if len(out) >= CHUNK:
                    yield bytes(out)
                    out.clear()
    if out:
        yield bytes(out)


def _run_length(chunks: Iterator[bytes]) -> Iterator[bytes]:
    pending, out = b"", bytearray()
    for chunk in chunks:
        data, at = pending + chunk, 0
        while at < len(data):
            n = data[at]
            if n == 128:
                if out:
                    yield bytes(out)
                return
            need = n + 2 if n < 128 else 2
            if at + need > len(data):
                break
            out += data[at + 1 : at + need] if n < 128 else data[at + 1 : at + 2] * (257 - n)
            at += need
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
        pending = data[at:]
    if out:
        yield bytes(out)


_WHITE = re.compile(rb"[\x00\t\n\x0c\r ]+")


def _ascii(chunks: Iterator[bytes], name: str, cap: int, raw_size: int) -> Iterator[bytes]:
    data = _WHITE.sub(b"", b"".join(chunks))
    try:
        if name == "/ASCIIHexDecode":
            data = data.split(b">", 1)[0]
            yield bytes.fromhex((data + b"0" * (len(data) % 2)).decode("latin-1"))
            return
        data = data.split(b"~>", 1)[0]
        bound = data.count(b"z") * 4 + len(data)
        if bound > cap:
            raise StreamTooLarge(
                f"a {size_text(raw_size)} ASCII85 stream could decode to {size_text(bound)}"
            )
        yield base64.a85decode(data)
    except ValueError:
        raise StreamDamaged(f"its {name[1:]} data is invalid") from None


def filter_chain(stream: pikepdf.Stream) -> tuple[list[str], list[Any]]:
    filters = stream.get("/Filter")
    parms = stream.get("/DecodeParms")
    names = list(filters) if isinstance(filters, pikepdf.Array) else [filters] if filters else []
    plist = list(parms) if isinstance(parms, pikepdf.Array) else [parms] * len(names)
    plist += [None] * (len(names) - len(plist))
    return [ALIASES.get(str(n), str(n)) for n in names], plist


def decoded_length(stream: pikepdf.Stream, cap: int) -> tuple[int, str | None]:
    """How many bytes `stream` decodes to, decoding in chunks and stopping past `cap`.

    Returns (bytes, codec): codec is the image codec left undecoded at the end of the filter
    chain (e.g. "/DCTDecode"), else None. Raises `StreamTooLarge` past the cap and
    `StreamDamaged` for data that cannot be decoded.
    """
    try:
        raw = stream.read_raw_bytes()
    except pikepdf.PikepdfError as exc:
        raise StreamDamaged(f"its data cannot be read ({reason(exc)})") from None
    names, parms = filter_chain(stream)
    chunks: Iterator[bytes] = (raw[i : i + CHUNK] for i in range(0, len(raw), CHUNK))
    codec = None
    for i, name in enumerate(names):
        if name in IMAGE_CODECS:
            if i != len(names) - 1:
                raise StreamDamaged(f"the image codec {name[1:]} is not the last filter")
            codec = name
        elif name == "/FlateDecode":
            chunks = _flate(chunks)
        elif name == "/LZWDecode":
            p = parms[i]
            early = int(p.get("/EarlyChange", 1)) if isinstance(p, pikepdf.Dictionary) else 1
            chunks = _lzw(chunks, 1 if early else 0)
        elif name == "/RunLengthDecode":
            chunks = _run_length(chunks)
        elif name in ("/ASCIIHexDecode", "/ASCII85Decode"):
            chunks = _ascii(chunks, name, cap, len(raw))
        else:
            raise StreamDamaged(f"it uses an unknown compression ({name[1:] or 'none named'})")
    total = 0
    for piece in chunks:
        total += len(piece)
        if total > cap:
            raise StreamTooLarge(
                f"a {size_text(len(raw))} compressed stream decodes to more than {size_text(cap)}"
            )
    return total, codec


def reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.rsplit(": ", 1)[-1][:120]
