"""Upload page geometry: odd sizes onto Letter, and content kept clear of the footer stamp.

Pages are changed by wrapping their content streams in `q <matrix> cm <clip> ... Q` and giving
them a new MediaBox: the content streams themselves are neither read into a new object nor
rewritten, and a page that needs no change is left exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pikepdf
from pikepdf import Array, Name

from cmpacket.assemble._pdfops import display_box, display_matrix

POINTS_PER_INCH = 72.0
MIN_SIDE = 3 * POINTS_PER_INCH  # 3 x 3 in
MAX_SHORT = 17 * POINTS_PER_INCH  # 17 x 22 in (either orientation)
MAX_LONG = 22 * POINTS_PER_INCH
LETTER = (612.0, 792.0)
GAP = 2.0  # points between the stamp band and the lowest upload text

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_TEXT_OPS = "q Q cm BT ET Tm Td TD T* TL Tf Ts Tz Tj TJ ' \" Do"


def multiply(a: Matrix, b: Matrix) -> Matrix:
    """a then b (PDF row-vector convention: p' = p x a x b)."""
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )


def invert(m: Matrix) -> Matrix:
    det = m[0] * m[3] - m[1] * m[2]
    a, b, c, d = m[3] / det, -m[1] / det, -m[2] / det, m[0] / det
    return (a, b, c, d, -(m[4] * a + m[5] * c), -(m[4] * b + m[5] * d))


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


def out_of_range(dw: float, dh: float) -> bool:
    short, long = sorted((dw, dh))
    return short < MIN_SIDE - 0.01 or short > MAX_SHORT + 0.01 or long > MAX_LONG + 0.01


def over(dw: float, dh: float, box: tuple[float, float] | None) -> bool:
    """Whether a page (as displayed) is larger than `box` in its own orientation."""
    if box is None:
        return False
    return min(dw, dh) > min(box) + 0.5 or max(dw, dh) > max(box) + 0.5


def fit_page(
    pdf: pikepdf.Pdf,
    page: pikepdf.Page,
    band: Callable[[float], float],
    max_page: tuple[float, float] | None = None,
) -> Matrix | None:
    """Scale an odd-sized page onto Letter and shrink content that reaches into the stamp band.

    `band(display_width)` is the height of the stamp band at the foot of a page that wide;
    `max_page` (a receiver's page size, e.g. Letter) makes a larger page odd-sized too, scaled
    onto that size. Returns the display-space transform applied to the content (None when the
    page is unchanged).
    """
    x0, y0, w, h, rotate = display_box(page)
    if w <= 0 or h <= 0:
        return None
    dw, dh = (h, w) if rotate in (90, 270) else (w, h)
    resize = out_of_range(dw, dh) or over(dw, dh, max_page)
    if resize:
        target = max_page or LETTER
        short, long = min(target), max(target)
        new_w, new_h = (short, long) if dw <= dh else (long, short)
        scale = min(new_w / dw, new_h / dh)
    else:
        new_w, new_h, scale = dw, dh, 1.0
    ox, oy = (new_w - dw * scale) / 2, (new_h - dh * scale) / 2
    clear = band(new_w) + GAP
    old = args_matrix(list(display_matrix(x0, y0, w, h, rotate)))
    floor = text_floor(page, invert(old), dw, dh)
    top = oy + dh * scale  # the top edge stays where it is; content shrinks just enough
    if floor is not None and oy + floor * scale < clear and top - clear > 1:
        scale = min(scale, (top - clear) / max(dh - floor, 1e-6))
        ox, oy = (new_w - dw * scale) / 2, top - dh * scale
    elif not resize:
        return None
    shift: Matrix = (scale, 0.0, 0.0, scale, ox, oy)
    user_w, user_h = (new_h, new_w) if rotate in (90, 270) else (new_w, new_h)
    new = args_matrix(list(display_matrix(0, 0, user_w, user_h, rotate)))
    cm = multiply(multiply(invert(old), shift), new)
    head = " ".join(f"{v:.6f}" for v in cm) + f" cm {x0:.4f} {y0:.4f} {w:.4f} {h:.4f} re W n\n"
    page.contents_add(pdf.make_stream(b"q " + head.encode()), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n"), prepend=False)
    page.obj.MediaBox = Array([0, 0, round(user_w, 4), round(user_h, 4)])
    for key in ("/CropBox", "/TrimBox", "/BleedBox", "/ArtBox"):
        if key in page.obj:
            del page.obj[key]
    if "/Annots" in page.obj:
        del page.obj["/Annots"]
    return shift


def text_floor(page: pikepdf.Page, to_display: Matrix, dw: float, dh: float) -> float | None:
    """The lowest display-space y of visible text on the page (None when it shows no text).

    Text extents are estimated generously (0.6 em per byte, 0.25 em descent, 1 em ascent), so
    clearing this floor clears the glyphs. Form XObjects are followed three levels deep.
    """
    contents = page.obj.get("/Contents")
    if contents is None:
        return None
    streams = list(contents) if isinstance(contents, Array) else [contents]
    try:
        raw = b"".join(s.read_bytes() for s in streams)
    except (pikepdf.PdfError, AttributeError, TypeError):
        return None
    if b"BT" not in raw and b"Do" not in raw:
        return None
    ops = _instructions(raw, page)
    if ops is None:
        return None
    lows: list[float] = []
    _walk(ops, page.obj.get("/Resources"), IDENTITY, to_display, dw, dh, lows, 0)
    return max(0.0, min(lows)) if lows else None


_TOKEN = re.compile(
    rb"\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)"  # a literal string (one nesting level)
    rb"|<[0-9A-Fa-f\s]*>|<<|>>|\[|\]"  # hex string, dictionary and array delimiters
    rb"|/[^\s/\[\]()<>{}%]*"  # name
    rb"|[-+]?(?:\d+\.?\d*|\.\d+)"  # number
    rb"|%[^\r\n]*"  # comment
    rb"|[^\s/\[\]()<>{}%]+"  # operator or keyword
    rb"|[()<>{}]",  # anything unbalanced: the slow, exact parser takes over
    re.S,
)
_WANTED = frozenset(_TEXT_OPS.split())
Op = tuple[list[Any], str]


def _instructions(raw: bytes, owner: Any) -> list[Op] | None:
    """The text-related instructions of a content stream: a fast tokenizer for ordinary streams,
    pikepdf's parser for anything unusual (inline images, deeply nested strings)."""
    ops = _fast(raw)
    if ops is not None:
        return ops
    try:
        parsed = pikepdf.parse_content_stream(owner, _TEXT_OPS)
    except pikepdf.PdfError:
        return None
    return [
        ([_plain(v) for v in ins.operands], str(ins.operator))
        for ins in parsed
        if isinstance(ins, pikepdf.ContentStreamInstruction)
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, pikepdf.String):
        return bytes(value)
    if isinstance(value, Array):
        return [_plain(v) for v in value]
    if isinstance(value, pikepdf.Name):
        return str(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _fast(raw: bytes) -> list[Op] | None:
    ops: list[Op] = []
    stack: list[Any] = []
    outer: list[list[Any]] = []
    depth = 0  # inside << >> (marked-content properties): skipped
    wanted = _WANTED
    for token in _TOKEN.findall(raw):
        first = token[0]
        if first in _NUMBER_START:
            if not depth:
                stack.append(float(token))
        elif first == 0x28:  # (
            if len(token) < 2:
                return None
            if not depth:
                stack.append(token[1:-1])
        elif first == 0x2F:  # /
            if not depth:
                stack.append(token.decode("latin-1"))
        elif first == 0x3C:  # <
            if token == b"<<":
                depth += 1
            elif len(token) < 2:
                return None
            elif not depth:
                stack.append(b"x" * (len(token[1:-1].translate(None, b" \t\r\n\f")) // 2))
        elif first == 0x25:  # %
            continue
        elif token == b">>":
            depth = max(0, depth - 1)
        elif depth:
            continue
        elif token == b"[":
            outer.append(stack)
            stack = []
        elif token == b"]":
            if not outer:
                return None
            array, stack = stack, outer.pop()
            stack.append(array)
        elif first in b")>{}":
            return None
        else:
            op = token.decode("latin-1")
            if op == "BI":  # inline image data cannot be tokenized safely
                return None
            if op in wanted:
                ops.append((stack, op))
            stack, outer = [], []
    return ops


_NUMBER_START = frozenset(b"+-.0123456789")


def _walk(
    ops: list[Any],
    resources: Any,
    ctm: Matrix,
    to_display: Matrix,
    dw: float,
    dh: float,
    lows: list[float],
    depth: int,
) -> None:
    stack: list[Matrix] = []
    tm = tlm = IDENTITY
    size, leading, rise, hscale = 0.0, 0.0, 0.0, 1.0
    for operands, name in ops:
        if name in ("TJ", "Tj", "'", '"', "Tf", "Do"):
            args: list[float] = []
        else:
            args = [v for v in operands if isinstance(v, float)]
            if len(args) != len(operands):
                continue
        if name == "q":
            stack.append(ctm)
        elif name == "Q":
            ctm = stack.pop() if stack else ctm
        elif name == "cm" and len(args) == 6:
            ctm = multiply(args_matrix(args), ctm)
        elif name == "BT":
            tm = tlm = IDENTITY
        elif name == "Tm" and len(args) == 6:
            tm = tlm = args_matrix(args)
        elif name in ("Td", "TD") and len(args) == 2:
            if name == "TD":
                leading = -args[1]
            tm = tlm = _translate(tlm, args[0], args[1])
        elif name == "T*":
            tm = tlm = _translate(tlm, 0.0, -leading)
        elif name == "TL" and args:
            leading = args[0]
        elif name == "Ts" and args:
            rise = args[0]
        elif name == "Tz" and args:
            hscale = args[0] / 100
        elif name == "Tf" and len(operands) == 2:
            size = operands[1] if isinstance(operands[1], float) else 0.0
        elif name in ("Tj", "TJ", "'", '"'):
            if name in ("'", '"'):
                tm = tlm = _translate(tlm, 0.0, -leading)
            count = _byte_count(operands[-1] if operands else b"")
            advance = count * 0.6 * size * hscale
            if count:
                full = multiply(multiply(tm, ctm), to_display)
                bottom, top = rise - 0.25 * size, rise + size
                if full[1] == 0 and full[2] == 0:  # upright or mirrored text: no rotation
                    xs: tuple[float, ...] = (full[4], advance * full[0] + full[4])
                    ys: tuple[float, ...] = (bottom * full[3] + full[5], top * full[3] + full[5])
                else:
                    box = ((0.0, bottom), (advance, bottom), (0.0, top), (advance, top))
                    points = [apply(full, x, y) for x, y in box]
                    xs, ys = tuple(p[0] for p in points), tuple(p[1] for p in points)
                if max(ys) > 0 and min(ys) < dh and max(xs) > 0 and min(xs) < dw:
                    lows.append(min(ys))
            tm = _translate(tm, advance, 0.0)
        elif name == "Do" and operands and depth < 3:
            _form(operands[0], resources, ctm, to_display, dw, dh, lows, depth)


def _form(
    name: Any,
    resources: Any,
    ctm: Matrix,
    to_display: Matrix,
    dw: float,
    dh: float,
    lows: list[float],
    depth: int,
) -> None:
    try:
        xobject = resources.XObject[name]
    except (AttributeError, KeyError, TypeError, pikepdf.PdfError):
        return
    if xobject.get("/Subtype") != Name.Form:
        return
    matrix = xobject.get("/Matrix")
    inner = ctm
    if isinstance(matrix, Array) and len(matrix) == 6:
        inner = multiply(args_matrix([float(v) for v in matrix]), ctm)
    try:
        ops = _instructions(xobject.read_bytes(), xobject)
    except pikepdf.PdfError:
        return
    if ops is None:
        return
    _walk(ops, xobject.get("/Resources") or resources, inner, to_display, dw, dh, lows, depth + 1)


def _translate(m: Matrix, tx: float, ty: float) -> Matrix:
    """(1 0 0 1 tx ty) then m."""
    return (m[0], m[1], m[2], m[3], tx * m[0] + ty * m[2] + m[4], tx * m[1] + ty * m[3] + m[5])


def args_matrix(args: list[float]) -> Matrix:
    return (args[0], args[1], args[2], args[3], args[4], args[5])


def _byte_count(operand: Any) -> int:
    if isinstance(operand, bytes):
        return len(operand)
    if isinstance(operand, list):
        return sum(len(v) for v in operand if isinstance(v, bytes))
    return 0
