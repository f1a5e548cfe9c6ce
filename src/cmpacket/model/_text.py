"""Agency files as text: UTF-8 (a BOM is fine), and where a file is not, the line and column."""

from __future__ import annotations

from cmpacket.errors import InputError


def decode_utf8(raw: bytes, display: str, hint: str) -> str:
    """`raw` as text; an InputError naming the line and column of the first byte that is not
    UTF-8 (editors count lines, not byte offsets), and what the byte would be in Windows-1252,
    the usual encoding of files that are not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
    line_start = raw.rfind(b"\n", 0, start) + 1
    line = raw.count(b"\n", 0, start) + 1
    before = raw[line_start:start].decode("utf-8-sig", errors="replace")
    column = len(before) + 1
    byte = raw[start]
    try:
        shown = bytes([byte]).decode("cp1252")
        guess = f" ({shown!r} in Windows-1252, a file saved in the Windows or Latin-1 encoding)"
    except UnicodeDecodeError:
        guess = ""
    raise InputError(
        f"{display}:{line}:{column}: not UTF-8 text: the byte {byte:#04x}{guess} after "
        f"{before[-30:]!r}.",
        hint=hint,
    ) from None
