"""The DRAFT marking as glyph outlines: filled paths, not text, so extraction does not see the
diagonal twice (the word DRAFT is in every page's stamp line as text)."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import uharfbuzz as hb
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

from cmpacket.assemble._stampfont import base_face


class _PathPen(BasePen):
    """Glyph outlines as PDF path operators (font units)."""

    def __init__(self, glyphset: Any, dx: float) -> None:
        super().__init__(glyphset)
        self.ops: list[str] = []
        self.dx = dx

    def _p(self, *points: tuple[float, float]) -> str:
        return " ".join(f"{x + self.dx:.0f} {y:.0f}" for x, y in points)

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{self._p(pt)} m")

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(f"{self._p(pt)} l")

    def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
        self.ops.append(f"{self._p(p1, p2, p3)} c")

    def _qCurveToOne(self, p1: Any, p2: Any) -> None:
        p0 = self._getCurrentPoint()
        c1 = (p0[0] + 2 / 3 * (p1[0] - p0[0]), p0[1] + 2 / 3 * (p1[1] - p0[1]))
        c2 = (p2[0] + 2 / 3 * (p1[0] - p2[0]), p2[1] + 2 / 3 * (p1[1] - p2[1]))
        self._curveToOne(c1, c2, p2)

    def _closePath(self) -> None:
        self.ops.append("h")


@lru_cache(maxsize=4)
def outline_path(text: str) -> tuple[bytes, float, float]:
    """`text` in the first face as filled outlines (path operators in font units, no text
    object, so extraction does not see it), its advance and the face's units per em."""
    face = base_face()
    font = TTFont(io.BytesIO(face.data), lazy=True)
    glyphset = font.getGlyphSet()
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(face.hb, buf, {"liga": False})
    pen_x = 0.0
    ops: list[str] = []
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        pen = _PathPen(glyphset, pen_x + pos.x_offset)
        glyphset[face.order[info.codepoint]].draw(pen)
        ops += pen.ops
        pen_x += pos.x_advance
    font.close()
    return (" ".join(ops) + " f").encode(), pen_x, float(face.upem)
