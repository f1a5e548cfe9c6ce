"""The stamp's font: any script, shaped, embedded once per packet as a subset with a ToUnicode map.

Glyphs come from DejaVu Sans, shipped in `fonts/` (Latin, Greek, Cyrillic, Vietnamese, Arabic,
Hebrew ...), and, for characters it lacks (Chinese, Japanese, Korean), from Noto Sans SC when the
optional `cmpacket[cjk]` extra is installed. Text is shaped with HarfBuzz (Arabic joining,
ligatures, marks). Each face becomes one Type0/CIDFontType2 font (Identity-H): a character code
is the glyph id in the *full* font, so content streams do not depend on which subset a packet
embeds, and a CIDToGIDMap maps it into the subset. Right-to-left runs are laid out right to left
but written in logical order, so text extraction reads them as typed. A character no face has is
drawn as the empty box but still extracts as itself (its own code, mapped to glyph 0).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import re
import zlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import fontTools
import pikepdf
import uharfbuzz as hb
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name

from cmpacket.pdfread import runs, to_unicode_cmap

FONT_DIR = Path(__file__).parent / "fonts"
BASE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\u2013\u2014"
DRAFT_MARK = "DRAFT \u2014 NOT SUBMISSION-READY"
RESOURCE_NAMES = ("/CmpStampF", "/CmpStampF2")
SHAPES_KEPT, PARTS_KEPT = 64, 4096  # laid out, kept (50,000 held 145 MB in a block worker)
SUBSET_FORMAT = 1  # bump when the subsetting options change: cached subsets are keyed by it


@dataclass
class Face:
    """One font file, loaded once per process: its cmap, metrics and a HarfBuzz font."""

    name: str
    path: Path
    variations: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = self.path.read_bytes()
        self.data = data
        font = TTFont(io.BytesIO(data), lazy=True)
        self.cmap: dict[int, int] = {}
        order = font.getGlyphOrder()
        self.order = order
        gid = {n: i for i, n in enumerate(order)}
        for cp, gname in font.getBestCmap().items():
            self.cmap[cp] = gid[gname]
        self.upem = int(font["head"].unitsPerEm)
        self.num_glyphs = len(order)
        self.hb = hb.Font(hb.Face(hb.Blob(data)))
        if self.variations:
            self.hb.set_variations(self.variations)
        font.close()

    @cached_property
    def sha256(self) -> str:  # the subset's cache key: hashed only when a cache asks
        return hashlib.sha256(self.data).hexdigest()


@lru_cache(maxsize=1)
def base_face() -> Face:
    """DejaVu Sans, shipped with cmpacket."""
    return Face("DejaVuSans", FONT_DIR / "DejaVuSans.ttf")


@lru_cache(maxsize=1)
def cjk_face() -> Face | None:
    """Noto Sans SC (regular weight) when the optional `cmpacket[cjk]` extra is installed."""
    spec = importlib.util.find_spec("justmytype_intl_cjk")
    if spec and spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations)))
        path = root / "fonts" / "ofl" / "notosanssc" / "NotoSansSC[wght].ttf"
        if path.is_file():
            return Face("NotoSansSC", path, {"wght": 400.0})
    return None


def faces(charset: str = "") -> tuple[Face, ...]:
    """The faces `charset` needs: DejaVu Sans, and Noto Sans SC for what DejaVu lacks."""
    base = base_face()
    if all(ord(ch) in base.cmap for ch in charset if not ch.isspace()):
        return (base,)
    extra = cjk_face()
    return (base, extra) if extra is not None else (base,)


@dataclass
class Glyph:
    face: int
    cid: int
    x: float  # pen position in font units / upem (em), from the start of the text
    dy: float  # vertical offset (em)


class StampFont:
    """Shaping, widths and font objects for the stamp text of one packet (one character set)."""

    def __init__(self, charset: str) -> None:
        self.faces = faces(charset)
        extents = self.faces[0].hb.get_font_extents("ltr")
        upem = self.faces[0].upem
        self.extents = (extents.ascender / upem, extents.descender / upem)  # em, descender < 0
        chars = sorted(set(BASE_CHARS + DRAFT_MARK + charset))
        self.missing = {
            ch: self.faces[0].num_glyphs + i
            for i, ch in enumerate(c for c in chars if self._face_of(c) is None)
        }
        self.unicode: list[dict[int, str]] = [{} for _ in self.faces]
        self.used: list[set[int]] = [{0} for _ in self.faces]
        self.widths: list[dict[int, int]] = [{} for _ in self.faces]
        self._shape_cache: dict[str, tuple[list[Glyph], float]] = {}
        self._part_cache: dict[str, tuple[list[Glyph], float]] = {}
        for ch in chars:  # direct mappings first: they win over contextual forms
            index = self._face_of(ch)
            if index is not None:
                gid = self.faces[index].cmap[ord(ch)]
                self.unicode[index].setdefault(gid, ch)
                self.used[index].add(gid)
        for text in (charset, "DRAFT \u2014 " + charset, BASE_CHARS):
            self.layout(text)
        # what is embedded is fixed here: later layouts in the same process (another build, a
        # server) cannot change the bytes of a packet
        self.frozen_unicode = [dict(m) for m in self.unicode]
        self.frozen_used = [sorted(u) for u in self.used]  # the subset's glyphs, made at install
        self._subsets: list[tuple[bytes, dict[int, int], TTFont] | None] | None = None

    def _face_of(self, ch: str) -> int | None:
        for i, face in enumerate(self.faces):
            if ord(ch) in face.cmap:
                return i
        return None

    def layout(self, text: str) -> tuple[list[Glyph], float]:
        """Glyphs left to right with their pen positions, and the advance (em). Right-to-left
        runs are written in visual order, as PDF producers do: pdftotext and pypdf both turn
        such runs back into logical order (`logical_order` does the same for verify)."""
        cached = self._shape_cache.get(text)
        if cached is not None:
            return cached
        if len(self._shape_cache) >= SHAPES_KEPT:  # measured, then drawn: the last few suffice
            self._shape_cache.clear()
        glyphs: list[Glyph] = []
        pen = 0.0
        # "  " separates a stamp's parts: each part is laid out once and reused on every page
        for part in re.split(r"(  )", text) if "  " in text else [text]:
            part_glyphs, advance = self._layout_part(part)
            glyphs += [Glyph(g.face, g.cid, g.x + pen, g.dy) for g in part_glyphs]
            pen += advance
        result = (glyphs, pen)
        self._shape_cache[text] = result
        return result

    def _layout_part(self, text: str) -> tuple[list[Glyph], float]:
        cached = self._part_cache.get(text)
        if cached is not None:
            return cached
        glyphs: list[Glyph] = []
        pen = 0.0
        if text.isascii():  # fast path: every ASCII character is in the first face, unkerned
            face = self.faces[0]
            for ch in text:
                gid = face.cmap.get(ord(ch), 0)
                glyphs.append(Glyph(0, gid, pen, 0.0))
                pen += self._advance(0, gid, gid) / 1000
        else:
            for direction, pieces in runs(text, self._face_of, [f.cmap for f in self.faces]):
                order = range(len(pieces)) if direction == "ltr" else reversed(range(len(pieces)))
                for p in order:
                    face_index, chunk = pieces[p][0], pieces[p][2]
                    shaped, pen = self._shape(face_index, chunk, direction, pen)
                    glyphs += shaped
        result = (glyphs, pen)
        if len(self._part_cache) >= PARTS_KEPT:
            self._part_cache.clear()
        self._part_cache[text] = result
        return result

    def _advance(self, index: int, cid: int, gid: int) -> int:
        """The advance of a glyph in 1/1000 em (the /W width written for its code)."""
        width = self.widths[index].get(cid)
        if width is None:
            face = self.faces[index]
            width = round(face.hb.get_glyph_h_advance(gid) * 1000 / face.upem)
            self.widths[index][cid] = width
        return width

    def _shape(
        self, index: int, chunk: str, direction: str, pen: float
    ) -> tuple[list[Glyph], float]:
        face = self.faces[index]
        buf = hb.Buffer()
        buf.add_codepoints([ord(c) for c in chunk])
        buf.guess_segment_properties()
        buf.direction = direction
        hb.shape(face.hb, buf, {"liga": False, "clig": False, "dlig": False})
        infos, positions = buf.glyph_infos, buf.glyph_positions
        clusters = sorted({info.cluster for info in infos})
        bounds = {
            c: (clusters[k + 1] if k + 1 < len(clusters) else len(chunk))
            for k, c in enumerate(clusters)
        }
        out: list[Glyph] = []
        seen: set[int] = set()
        units = face.upem
        for info, pos in zip(infos, positions, strict=True):
            gid, cluster = info.codepoint, info.cluster
            piece = chunk[cluster : bounds[cluster]]
            cid = gid
            if gid == 0 and index == 0 and piece and piece[0] in self.missing:
                cid = self.missing[piece[0]]
                self.unicode[0].setdefault(cid, piece[0])
            elif cluster not in seen:
                self.unicode[index].setdefault(gid, piece)
            seen.add(cluster)
            self.used[index].add(gid)
            self._advance(index, cid, gid)
            out.append(Glyph(index, cid, pen + pos.x_offset / units, pos.y_offset / units))
            pen += pos.x_advance / units
        return out, pen

    def width(self, text: str, size: float) -> float:
        return self.layout(text)[1] * size

    def show(self, text: str, size: float, x: float, y: float) -> bytes:
        """`BT ... ET` drawing `text` with its start at (x, y), glyphs written in logical order."""
        glyphs, _ = self.layout(text)
        out = [f"BT {x:.2f} {y:.2f} Td".encode()]
        face = -1
        rise = 0.0
        pen = 0.0
        items: list[bytes] = []

        def flush() -> None:
            if items:
                out.append(b"[" + b" ".join(items) + b"] TJ")
                items.clear()

        for g in glyphs:
            if g.face != face:
                flush()
                face = g.face
                out.append(f"{RESOURCE_NAMES[face]} {size:.2f} Tf".encode())
            if abs(g.dy - rise) > 1e-6:
                flush()
                rise = g.dy
                out.append(f"{rise * size:.2f} Ts".encode())
            shift = (pen - g.x) * 1000
            if abs(shift) > 0.05:
                items.append(f"{shift:.1f}".encode())
            items.append(b"<%04X>" % g.cid)
            pen = g.x + self.widths[g.face].get(g.cid, 0) / 1000
        flush()
        out.append(b"ET")
        return b" ".join(out)

    # embedding ---------------------------------------------------------------------------
    def _subset(self, index: int, cache: Any) -> tuple[bytes, dict[int, int], TTFont] | None:
        """Face `index`'s subset (None: unused), from `cache` if kept there, else made (0.1 s)."""
        used = self.frozen_used[index]
        if index > 0 and len(used) <= 1:
            return None
        face = self.faces[index]
        key = ""
        if cache is not None:
            what = (SUBSET_FORMAT, fontTools.version, face.sha256, used, face.variations)
            key = cache.key("stamp-subset", repr(what))
        data = cache.recall(key) if key else None
        if data is None:
            data, font = self._make_subset(face, used)
            if key:
                cache.put(key, data)
        else:
            font = TTFont(io.BytesIO(data), recalcTimestamp=False)
        names = {n: i for i, n in enumerate(font.getGlyphOrder())}
        gid_map = {g: names[face.order[g]] for g in used if face.order[g] in names}
        return data, gid_map, font

    @staticmethod
    def _make_subset(face: Face, used: list[int]) -> tuple[bytes, TTFont]:
        font = TTFont(io.BytesIO(face.data), recalcTimestamp=False)
        for tag in ("GSUB", "GPOS", "GDEF", "kern", "DSIG", "FFTM"):  # shaping is done: not needed
            if tag in font:
                del font[tag]
        from fontTools import subset as ftsubset  # 0.2 s to import: only when a stamp is drawn

        options = ftsubset.Options()
        options.hinting = False
        options.notdef_outline = True
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
        options.layout_features = []
        sub = ftsubset.Subsetter(options)
        sub.populate(glyphs=[face.order[g] for g in used])
        sub.subset(font)
        if "fvar" in font:
            from fontTools.varLib import instancer

            font = instancer.instantiateVariableFont(font, face.variations)
        font.recalcTimestamp = False
        out = io.BytesIO()
        font.save(out)
        return out.getvalue(), font

    def install(self, pdf: pikepdf.Pdf, cache: Any = None) -> dict[str, pikepdf.Object]:
        """The Type0 font objects of this packet in `pdf` (one per face used), by resource name;
        the subsets from `cache` (a build's) when it holds them."""
        if self._subsets is None:  # of the glyphs fixed in __init__, whatever was laid out since
            self._subsets = [self._subset(i, cache) for i in range(len(self.faces))]
        fonts: dict[str, pikepdf.Object] = {}
        for index, subset in enumerate(self._subsets):
            if subset is not None:
                fonts[RESOURCE_NAMES[index]] = self._font_object(pdf, index, *subset)
        return fonts

    def _font_object(
        self, pdf: pikepdf.Pdf, index: int, data: bytes, gid_map: dict[int, int], font: TTFont
    ) -> pikepdf.Object:
        face = self.faces[index]
        tag = "".join(
            chr(65 + b % 26)
            for b in hashlib.sha256(data + repr(sorted(gid_map)).encode()).digest()[:6]
        )
        base = Name(f"/{tag}+{face.name}")
        scale = 1000 / face.upem
        head, hhea = font["head"], font["hhea"]
        os2 = font.get("OS/2", None)
        cap = getattr(os2, "sCapHeight", 0) or hhea.ascent
        descriptor = Dictionary(
            Type=Name.FontDescriptor,
            FontName=base,
            Flags=32,
            FontBBox=Array(
                [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
            ),
            ItalicAngle=0,
            Ascent=round(hhea.ascent * scale),
            Descent=round(hhea.descent * scale),
            CapHeight=round(cap * scale),
            StemV=80,
            FontFile2=_stream(pdf, data, Length1=len(data)),
        )
        cids = dict(gid_map)
        cids.update({cid: 0 for cid in self.frozen_unicode[index] if cid >= face.num_glyphs})
        top = max(cids) if cids else 0
        cid_to_gid = bytearray(2 * (top + 1))
        for cid, gid in cids.items():
            cid_to_gid[2 * cid : 2 * cid + 2] = gid.to_bytes(2, "big")
        hmtx = font["hmtx"].metrics
        order = font.getGlyphOrder()
        widths = Array()
        for cid in sorted(cids):
            widths.append(cid)
            widths.append(Array([round(hmtx[order[cids[cid]]][0] * scale)]))
        descendant = Dictionary(
            Type=Name.Font,
            Subtype=Name.CIDFontType2,
            BaseFont=base,
            CIDSystemInfo=Dictionary(
                Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
            ),
            FontDescriptor=pdf.make_indirect(descriptor),
            DW=1000,
            W=widths,
            CIDToGIDMap=_stream(pdf, bytes(cid_to_gid)),
        )
        return pdf.make_indirect(
            Dictionary(
                Type=Name.Font,
                Subtype=Name.Type0,
                BaseFont=base,
                Encoding=Name("/Identity-H"),
                DescendantFonts=Array([pdf.make_indirect(descendant)]),
                ToUnicode=_stream(pdf, to_unicode_cmap(self.frozen_unicode[index])),
            )
        )


def _stream(pdf: pikepdf.Pdf, data: bytes, **extra: Any) -> pikepdf.Object:
    stream = pikepdf.Stream(pdf, zlib.compress(data, 9))
    stream.Filter = Name.FlateDecode
    for key, value in extra.items():
        stream[Name("/" + key)] = value
    return pdf.make_indirect(stream)


@lru_cache(maxsize=8)
def stamp_font_for(charset: str) -> StampFont:
    """One StampFont per character set and process (blocks and the final merge share it)."""
    return StampFont(charset)
