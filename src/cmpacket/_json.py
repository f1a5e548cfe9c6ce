"""JSON as people read it (the manifest, readiness.json, `--format json`): exactly the text of
`json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=...)`, made several times faster.

The standard library encodes an indented document with its pure-Python encoder (its C encoder
does not indent), a generator per value: the manifest of a 4,000-page packet, written twice a
build, took 0.3 s, and it grows with the pages. Here each value is written by one recursive
function and every string by the C string encoder; anything but the plain types JSON has
(str, int, float, bool, None, and dicts with str keys, lists and tuples of them) goes to
`json.dumps` itself, so the text is the same in every case (tests/test_json.py checks it
against `json.dumps` on generated documents).
"""

from __future__ import annotations

import io
import json
from json.encoder import encode_basestring, encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

CHUNK = 4096  # pieces of text gathered before they are joined (`dumps`) or written (`write`)

_FLOATS = {float("inf"): "Infinity", float("-inf"): "-Infinity"}


class _Unusual(Exception):
    """A value the fast writer leaves to `json.dumps`."""


def dumps(obj: Any, *, ensure_ascii: bool = False) -> str:
    """`json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=ensure_ascii)`, faster. The
    pieces are joined every CHUNK: a 2,000-staff manifest (15 MB of text) held as its million
    pieces took 100 MB, joined as it is made 30 MB."""
    buf = io.StringIO()
    out = _Chunks(buf)
    try:
        _write(obj, "\n", out, encode_basestring_ascii if ensure_ascii else encode_basestring)
    except (_Unusual, RecursionError):
        return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=ensure_ascii)
    out.flush()
    return buf.getvalue()


def encode(obj: Any) -> bytes:
    """`dumps(obj)` and a newline, as UTF-8 bytes, made without the text's extra copies (the
    text, the text with its newline, its bytes: 45 MB for a 2,000-staff manifest)."""
    raw = io.BytesIO()
    with io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True) as fh:
        out = _Chunks(fh)
        try:
            _write(obj, "\n", out, encode_basestring)
        except (_Unusual, RecursionError):
            out.clear()
            raw.seek(0)
            raw.truncate()
            fh.write(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False))
        out.flush()
        fh.write("\n")
        fh.flush()
        return raw.getvalue()


def write(obj: Any, path: Path, *, ensure_ascii: bool = False) -> None:
    """`path` holding `dumps(obj)` and a newline, in UTF-8, written as it is made: the text of
    a 2,000-staff readiness report (18 MB, in pieces and joined) is never held whole."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = _Chunks(fh)
        try:
            _write(obj, "\n", out, encode_basestring_ascii if ensure_ascii else encode_basestring)
        except (_Unusual, RecursionError):
            fh.seek(0)
            fh.truncate()
            out.clear()
            fh.write(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=ensure_ascii))
        out.flush()
        fh.write("\n")


class _Chunks(list[str]):
    """What `_write` appends to for `write`: written to the file every CHUNK pieces."""

    def __init__(self, fh: IO[str]) -> None:
        super().__init__()
        self.fh = fh

    def append(self, piece: str) -> None:
        super().append(piece)
        if len(self) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        self.fh.write("".join(self))
        self.clear()


def _write(o: Any, nl: str, out: list[str], text: Any) -> None:
    kind = type(o)
    if kind is str:
        out.append(text(o))
    elif kind is dict:
        if not o:
            out.append("{}")
            return
        inner = nl + "  "
        keys = list(o)
        if any(type(k) is not str for k in keys):
            raise _Unusual  # json.dumps turns such keys into strings (and sorts them so)
        keys.sort()
        before = "{" + inner
        for k in keys:
            out.append(before + text(k) + ": ")
            _write(o[k], inner, out, text)
            before = "," + inner
        out.append(nl + "}")
    elif kind is list or kind is tuple:
        if not o:
            out.append("[]")
            return
        inner = nl + "  "
        if all(type(v) is str for v in o):  # page digests, names: the bulk of a manifest
            out.append("[" + inner + ("," + inner).join(map(text, o)) + nl + "]")
            return
        before = "[" + inner
        for v in o:
            out.append(before)
            _write(v, inner, out, text)
            before = "," + inner
        out.append(nl + "]")
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(o))
    elif kind is float:
        if o != o:
            out.append("NaN")
        else:
            out.append(_FLOATS.get(o) or float.__repr__(o))
    else:
        raise _Unusual  # subclasses, Decimal...: json.dumps decides
