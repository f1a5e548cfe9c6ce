"""Stamp text in any script: the direction of characters, level runs in logical order, the
ToUnicode map a PDF text extractor reads the stamp through, and reading it back (verify)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Container, Sequence


def _direction(ch: str) -> str:
    bidi = unicodedata.bidirectional(ch)
    if bidi in ("R", "AL"):
        return "rtl"
    if bidi == "L":
        return "ltr"
    return ""


def to_unicode_cmap(mapping: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    items = sorted((cid, text) for cid, text in mapping.items() if text)
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{cid:04X}> <{text.encode('utf-16-be').hex().upper()}>" for cid, text in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return ("\n".join(lines) + "\n").encode()


def parse_to_unicode(data: bytes) -> dict[int, str]:
    """bfchar and bfrange entries of a ToUnicode CMap (the forms cmpacket writes, and ranges)."""
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            first = int(dst, 16)
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(first + k)
    return out


def logical_order(pieces: list[str]) -> str:
    """The text of glyphs read left to right (each glyph's text), right-to-left runs reversed."""
    joined = "".join(pieces)
    if joined.isascii() or not any(
        _direction(ch) == "rtl" for ch in set(joined) if not ch.isascii()
    ):
        return joined  # nothing right to left: the glyphs are in logical order
    dirs = [next((d for d in map(_direction, piece) if d), "") for piece in pieces]
    out: list[str] = []
    i = 0
    while i < len(pieces):
        if dirs[i] != "rtl":
            out.append(pieces[i])
            i += 1
            continue
        j = i
        while j + 1 < len(pieces) and (
            dirs[j + 1] == "rtl"
            or (not dirs[j + 1] and next((d for d in dirs[j + 1 :] if d), "") == "rtl")
        ):
            j += 1
        out += reversed(pieces[i : j + 1])
        i = j + 1
    return "".join(out)


def runs(
    text: str, face_of: Callable[[str], int | None], cmaps: Sequence[Container[int]]
) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Level runs (direction, [(face, start, chunk)]) in logical order; the line itself is LTR.
    `face_of(ch)` is the index of the first font face that has a character, `cmaps` each face's
    character map.

    Neutral characters (spaces, punctuation, digits) between two right-to-left characters belong
    to the right-to-left run; everywhere else they run left to right.
    """
    dirs = [_direction(c) for c in text]
    after = ["ltr"] * len(text)  # the next strong direction after each character
    following = "ltr"
    for i in range(len(text) - 1, -1, -1):
        after[i] = following
        following = dirs[i] or following
    resolved: list[str] = []
    before = "ltr"
    for i, d in enumerate(dirs):
        if d:
            resolved.append(d)
            before = d
        elif unicodedata.category(text[i]).startswith("M") and resolved:
            resolved.append(resolved[-1])
        else:
            resolved.append("rtl" if before == after[i] == "rtl" else "ltr")
    faces_of: list[int] = []
    for ch in text:
        index = face_of(ch)
        if index is None or ch.isspace():
            index = 0  # spaces from the first face; a missing character is drawn as the empty box
        elif unicodedata.category(ch).startswith("M") and faces_of:
            previous = faces_of[-1]  # keep a run in one face when that face has the character
            if ord(ch) in cmaps[previous]:
                index = previous
        faces_of.append(index)
    runs: list[tuple[str, list[tuple[int, int, str]]]] = []
    for i, ch in enumerate(text):
        if not runs or runs[-1][0] != resolved[i]:
            runs.append((resolved[i], []))
        pieces = runs[-1][1]
        if pieces and pieces[-1][0] == faces_of[i]:
            face, start, chunk = pieces[-1]
            pieces[-1] = (face, start, chunk + ch)
        else:
            pieces.append((faces_of[i], i, ch))
    return runs
