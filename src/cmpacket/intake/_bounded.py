"""Bounded decoding of an untrusted PDF's streams: how much each decodes to, found without ever
holding more than a small chunk of decoded data, and the declared size of every image.

`check_pages` is what intake runs on every upload: each stream a page uses (content streams,
form XObjects recursively, images, fonts, annotation appearances) is decoded once, in chunks of
64 KB, and counted against the caps; a stream that cannot be decoded is reported with its page.
`decoded_length` and `Caps` are reusable on their own (a reviewer's check of a received packet).

The filters are decoded by `_chunked`; images coded as JPEG, JPEG 2000, JBIG2 or CCITT are not
decoded: their declared size (for JPEG, also the size in its own header) is checked against the
pixel cap.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from cmpacket.intake._chunked import (
    StreamDamaged,
    StreamTooLarge,
    decoded_length,
    filter_chain,
    reason,
    size_text,
)

__all__ = ["Caps", "StreamDamaged", "StreamTooLarge", "check_image_file", "check_pages",
           "decoded_length", "image_size", "page_streams"]  # fmt: skip

DEFAULT_CAPS = {"max_stream_mb": 64, "max_page_mb": 512, "max_image_megapixels": 80}
MAX_PAGE_OBJECTS = 100_000  # distinct objects one page may use
MAX_DEPTH = 256  # nesting of dictionaries (a form in a form is 3 levels)
# Keys that lead away from what a page shows (to other pages, the document, actions).
SKIP_KEYS = {"/Parent", "/P", "/Dest", "/A", "/AA", "/Next", "/Prev", "/First", "/Last", "/Popup",
             "/IRT", "/StructParent", "/StructParents", "/Metadata", "/PieceInfo"}  # fmt: skip
COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/Indexed": 1, "/Separation": 1, "/Pattern": 1,
              "/DeviceRGB": 3, "/CalRGB": 3, "/Lab": 3, "/DeviceCMYK": 4}  # fmt: skip


@dataclass(frozen=True)
class Caps:
    """The decoding caps in force: decoded bytes per stream and per page, pixels per image."""

    stream_mb: float = DEFAULT_CAPS["max_stream_mb"]
    page_mb: float = DEFAULT_CAPS["max_page_mb"]
    image_megapixels: float = DEFAULT_CAPS["max_image_megapixels"]

    @classmethod
    def of(cls, limits: dict[str, Any] | None) -> Caps:
        """The caps from a profile's `limits:` (with the command line's overrides applied)."""
        got = {k: float((limits or {}).get(k) or v) for k, v in DEFAULT_CAPS.items()}
        return cls(got["max_stream_mb"], got["max_page_mb"], got["max_image_megapixels"])

    @property
    def stream_bytes(self) -> int:
        return int(self.stream_mb * 2**20)

    @property
    def page_bytes(self) -> int:
        return int(self.page_mb * 2**20)

    @property
    def image_pixels(self) -> int:
        return int(self.image_megapixels * 1_000_000)


# --- images ---------------------------------------------------------------------------------------


def _components(space: Any, depth: int = 0) -> int:
    if isinstance(space, pikepdf.Array) and len(space) and depth < 4:
        kind = str(space[0])
        if kind == "/ICCBased":
            n = space[1].get("/N") if len(space) > 1 else None
            return int(n) if isinstance(n, int) and 0 < n <= 32 else 4
        if kind == "/DeviceN" and len(space) > 1 and isinstance(space[1], pikepdf.Array):
            return max(1, min(len(space[1]), 32))
        return COMPONENTS.get(kind, 4)
    return COMPONENTS.get(str(space), 4)


def _jpeg_size(raw: bytes) -> tuple[int, int, int] | None:
    """(width, height, components) from a JPEG's frame header, walking its marker segments."""
    at = 2 if raw[:2] == b"\xff\xd8" else -1
    while 0 <= at < len(raw) - 9:
        if raw[at] != 0xFF:
            return None
        marker = raw[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            at += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(raw[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(raw[at + 5 : at + 7], "big")
            width = int.from_bytes(raw[at + 7 : at + 9], "big")
            return width, height, raw[at + 9]
        at += 2 + length
    return None


def image_size(stream: pikepdf.Stream, caps: Caps) -> int:
    """Declared bytes of an image once decoded; raises over the pixel cap or for a bad size."""
    width, height = stream.get("/Width"), stream.get("/Height")
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise StreamDamaged(f"it declares no usable size: width {width}, height {height}")
    width, height = int(width), int(height)
    mask = bool(stream.get("/ImageMask", False))
    bpc = 1 if mask else int(stream.get("/BitsPerComponent", 8) or 8)
    comps = 1 if mask else _components(stream.get("/ColorSpace"))
    names, _ = filter_chain(stream)
    if names[-1:] == ["/DCTDecode"] and len(names) == 1:
        with contextlib.suppress(pikepdf.PikepdfError, IndexError):
            found = _jpeg_size(stream.read_raw_bytes())
            if found and found[0] * found[1] > width * height:
                width, height, comps = found[0], found[1], max(found[2], 1)
    if width * height > caps.image_pixels:
        raise StreamTooLarge(
            f"an image of {width:,} × {height:,} pixels ({width * height / 1e6:,.1f} megapixels) "
            f"is over the {caps.image_megapixels:g}-megapixel limit. Scan at a lower resolution "
            f"(300 dpi is plenty) or raise limits.max_image_megapixels (--max-image-megapixels)",
            "image",
        )
    return ((width * comps * max(bpc, 1) + 7) // 8) * height


# --- pages ----------------------------------------------------------------------------------------


def _inherited_resources(page: Any) -> Any:
    node, depth = page, 0
    while isinstance(node, pikepdf.Dictionary) and depth < MAX_DEPTH:
        if "/Resources" in node:
            return node["/Resources"]
        node, depth = node.get("/Parent"), depth + 1
    return None


def page_streams(page: Any) -> Iterator[tuple[str, pikepdf.Stream]]:
    """Every stream a page uses, once each, with the key it was reached by: its content, its
    resources followed recursively (forms, images, fonts, patterns, ...) and the appearance
    streams of its annotations (which intake burns into the page)."""
    roots: list[tuple[str, Any]] = [
        ("/Contents", page.get("/Contents")),
        ("/Resources", _inherited_resources(page)),
    ]
    annots = page.get("/Annots")
    if isinstance(annots, pikepdf.Array):
        roots += [("/AP", a.get("/AP")) for a in annots if isinstance(a, pikepdf.Dictionary)]
    seen: set[tuple[int, int]] = set()
    stack = [(key, obj, 0) for key, obj in reversed(roots) if obj is not None]
    while stack:
        key, obj, depth = stack.pop()
        is_stream = isinstance(obj, pikepdf.Stream)
        if not (is_stream or isinstance(obj, (pikepdf.Dictionary, pikepdf.Array))):
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            if len(seen) > MAX_PAGE_OBJECTS:
                raise StreamTooLarge(
                    f"the page uses more than {MAX_PAGE_OBJECTS:,} objects", "objects"
                )
        if depth > MAX_DEPTH:
            raise StreamDamaged(f"its resources nest more than {MAX_DEPTH} levels deep")
        if is_stream:
            yield key, obj
        items = enumerate(obj) if isinstance(obj, pikepdf.Array) else obj.items()
        for k, value in items:
            if isinstance(k, str) and k in SKIP_KEYS:
                continue
            stack.append((k if isinstance(k, str) else key, value, depth + 1))


def _what(key: str, stream: pikepdf.Stream) -> str:
    subtype = stream.get("/Subtype")
    if subtype == "/Image":
        return "an image"
    if subtype == "/Form":
        return "a form XObject"
    if key == "/Contents":
        return "the page's content stream"
    if key.startswith("/FontFile"):
        return "an embedded font"
    return "a stream"


def check_pages(pdf: pikepdf.Pdf, limits: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Decode every stream each page uses once, within the caps: [] when all is well, else one
    ("too-large" | "unreadable", message naming the page) problem for the first page that fails."""
    caps = Caps.of(limits)
    sizes: dict[tuple[int, int], int] = {}
    for number, page in enumerate(pdf.pages, 1):
        what = "a stream"
        try:
            total = 0
            for key, stream in page_streams(page.obj):
                what = _what(key, stream)
                if stream.objgen not in sizes:
                    sizes[stream.objgen] = _stream_size(stream, caps)
                total += sizes[stream.objgen]
                if total > caps.page_bytes:
                    raise StreamTooLarge(
                        f"its streams decode to more than {size_text(caps.page_bytes)} together",
                        "page",
                    )
        except StreamTooLarge as exc:
            return [("too-large", _too_large(number, exc, caps))]
        except StreamDamaged as exc:
            return [("unreadable", f"page {number}: {what} is damaged ({exc}). {_AGAIN}")]
        except (pikepdf.PikepdfError, RecursionError, ValueError, TypeError) as exc:
            why = reason(exc)
            return [("unreadable", f"page {number}: {what} is damaged ({why}). {_AGAIN}")]
    return []


_AGAIN = "Export or scan the document again (print it to PDF if it opens in a viewer)."


def _stream_size(stream: pikepdf.Stream, caps: Caps) -> int:
    if stream.get("/Subtype") == "/Image":
        declared = image_size(stream, caps)
        try:
            got, codec = decoded_length(stream, declared + caps.stream_bytes)
        except StreamTooLarge:
            raise StreamTooLarge(
                f"an image declared as {size_text(declared)} of pixels decodes to more than "
                f"{size_text(declared + caps.stream_bytes)}",
                "stream",
            ) from None
        return declared if codec else max(got, declared)
    return decoded_length(stream, caps.stream_bytes)[0]


def _too_large(number: int, exc: StreamTooLarge, caps: Caps) -> str:
    if exc.kind == "image":
        return f"page {number}: {exc}."
    if exc.kind == "objects":
        return (
            f"page {number}: {exc}, more than any real page needs. Export or scan the document "
            f"again."
        )
    if exc.kind == "page":
        limit = f"the {caps.page_mb:g} MB limit for a page (limits.max_page_mb, --max-page-mb)"
    else:
        limit = (
            f"the {caps.stream_mb:g} MB limit for a stream (limits.max_stream_mb, --max-stream-mb)"
        )
    return (
        f"page {number}: {exc}, over {limit}. A small file that decodes to this much is how a "
        f"decompression bomb looks: export or scan the document again, or raise the limit if "
        f"the page is genuinely that large."
    )


# --- image files (uploads that are images) ---------------------------------------------------------


def check_image_file(path: Path, limits: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The pixel cap for an image upload, read from its header only (nothing is decoded); Pillow's
    decompression-bomb guard stays on. [] when every frame is within the cap."""
    from PIL import Image

    with warnings.catch_warnings():  # the guard's warning only; its error stays: our cap decides
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return _image_file(path, Caps.of(limits), Image)


def _image_file(path: Path, caps: Caps, Image: Any) -> list[tuple[str, str]]:  # noqa: N803
    try:
        with Image.open(path) as im:
            frames = getattr(im, "n_frames", 1)
            for frame in range(min(frames, 10_000)):
                if frame:
                    im.seek(frame)
                width, height = im.size
                if width * height > caps.image_pixels:
                    at = f"frame {frame + 1}: " if frames > 1 else ""
                    return [
                        (
                            "too-large",
                            f"{at}an image of {width:,} × {height:,} pixels "
                            f"({width * height / 1e6:,.1f} megapixels) is over the "
                            f"{caps.image_megapixels:g}-megapixel limit. Scan at a lower resolution"
                            f" (300 dpi is plenty) or raise limits.max_image_megapixels "
                            f"(--max-image-megapixels).",
                        )
                    ]
    except Image.DecompressionBombError as exc:
        return [
            (
                "too-large",
                f"the image is far over the {caps.image_megapixels:g}-megapixel limit ({exc}). "
                f"Scan at a lower resolution (300 dpi is plenty).",
            )
        ]
    except (OSError, ValueError, EOFError) as exc:
        return [("unreadable", f"the image is damaged ({reason(exc)}). Scan or save it again.")]
    return []
