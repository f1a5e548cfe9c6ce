"""What an upload is, from its bytes (magic numbers), never from its name.

`detect` returns a `FileType`: its `kind` says how intake treats it ("pdf", "image", "document"
or "other") and its `label` names it for a person ("a JPEG image", "an Excel workbook").
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

HEAD = 8192  # bytes read to recognise a file (a ZIP or OLE2 container is opened further)


@dataclass(frozen=True)
class FileType:
    kind: str  # "pdf" | "image" | "document" | "other"
    name: str  # short name: "pdf", "jpeg", "png", "tiff", "heif", "webp", "docx", "doc", ...
    label: str  # for people: "a JPEG image"

    @property
    def accepted(self) -> bool:
        return self.kind in ("pdf", "image", "document")


PDF = FileType("pdf", "pdf", "a PDF document")
IMAGES = {
    "jpeg": FileType("image", "jpeg", "a JPEG image"),
    "png": FileType("image", "png", "a PNG image"),
    "tiff": FileType("image", "tiff", "a TIFF image"),
    "heif": FileType("image", "heif", "a HEIC/HEIF photo"),
    "webp": FileType("image", "webp", "a WebP image"),
}
DOCUMENTS = {
    "docx": FileType("document", "docx", "a Word document (DOCX)"),
    "doc": FileType("document", "doc", "a Word 97-2003 document (DOC)"),
    "odt": FileType("document", "odt", "an OpenDocument text (ODT)"),
    "rtf": FileType("document", "rtf", "a Rich Text Format document (RTF)"),
}


def other(name: str, label: str) -> FileType:
    return FileType("other", name, label)


HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"hevm"}
VIDEO_BRANDS = {b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"qt  ", b"M4V ", b"3gp4", b"3gp5"}

# (offset, magic, name, label) checked in order after the accepted types
SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"GIF87a", "gif", "a GIF image"),
    (0, b"GIF89a", "gif", "a GIF image"),
    (0, b"8BPS", "psd", "a Photoshop image (PSD)"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jp2", "a JPEG 2000 image"),
    (0, b"\x00\x00\x01\x00", "ico", "a Windows icon (ICO)"),
    (0, b"Rar!\x1a\x07", "rar", "a RAR archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z", "a 7-Zip archive"),
    (0, b"\x1f\x8b", "gzip", "a gzip-compressed file"),
    (0, b"BZh", "bzip2", "a bzip2-compressed file"),
    (0, b"\xfd7zXZ\x00", "xz", "an xz-compressed file"),
    (257, b"ustar", "tar", "a tar archive"),
    (0, b"%!PS", "ps", "a PostScript file"),
    (0, b"MZ", "exe", "a Windows program"),
    (0, b"\x7fELF", "elf", "a program (ELF executable)"),
    (0, b"ID3", "mp3", "an MP3 audio file"),
    (0, b"OggS", "ogg", "an Ogg audio or video file"),
    (0, b"fLaC", "flac", "a FLAC audio file"),
    (0, b"\x1aE\xdf\xa3", "mkv", "a Matroska/WebM video"),
    (0, b"SQLite format 3\x00", "sqlite", "an SQLite database"),
    (0, b"AT&TFORM", "djvu", "a DjVu document"),
)


def detect(path: Path) -> FileType:
    """Recognise `path` by content; reads only what it needs."""
    with path.open("rb") as fh:
        head = fh.read(HEAD)
    return detect_bytes(head, path)


def detect_bytes(head: bytes, path: Path | None = None) -> FileType:
    if head.startswith(b"%PDF-"):
        return PDF
    # a container that starts with its own magic is that container, even if a PDF is inside it;
    # anything else with a PDF header in its first KB is a PDF (readers accept leading junk)
    if head.startswith(b"\xff\xd8\xff"):
        return IMAGES["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return IMAGES["png"]
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return IMAGES["tiff"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return IMAGES["webp"]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if brand in HEIF_BRANDS or (brand not in (b"avif", b"avis") and compatible & HEIF_BRANDS):
            return IMAGES["heif"]
        if brand in (b"avif", b"avis"):
            return other("avif", "an AVIF image")
        if brand in (b"qt  ",):
            return other("mov", "a QuickTime video")
        if brand in VIDEO_BRANDS or brand.startswith((b"mp4", b"3g")):
            return other("mp4", "an MP4 video")
        if brand.startswith(b"M4A"):
            return other("m4a", "an audio file (M4A)")
        return other("iso-media", "an audio or video file")
    if head.startswith(b"{\\rtf"):
        return DOCUMENTS["rtf"]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_type(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_type(path, head)
    if b"%PDF-" in head[:1024]:
        return PDF
    if head[:4] == b"RIFF":
        sub = head[8:12]
        if sub == b"WAVE":
            return other("wav", "a WAV audio file")
        if sub == b"AVI ":
            return other("avi", "an AVI video")
        return other("riff", "a RIFF media file")
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in (
        12,
        40,
        52,
        56,
        64,
        108,
        124,
    ):
        return other("bmp", "a BMP image")
    for offset, magic, name, label in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return other(name, label)
    return _text_type(head)


def _zip_type(path: Path | None) -> FileType:
    archive = other("zip", "a ZIP archive")
    if path is None:
        return archive
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "mimetype" in names:
                mime = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
                return _odf_type(mime)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return archive
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCUMENTS["docx"]
        if any(n.startswith("xl/") for n in names):
            return other("xlsx", "an Excel workbook")
        if any(n.startswith("ppt/") for n in names):
            return other("pptx", "a PowerPoint presentation")
        if any(n.startswith("Documents/") for n in names) or "FixedDocumentSequence.fdseq" in names:
            return other("xps", "an XPS document")
        return other("ooxml", "an Office Open XML file")
    if any(n.startswith("Index/") for n in names):
        return other("iwork", "an Apple iWork file (Pages/Numbers/Keynote)")
    return archive


def _odf_type(mime: str) -> FileType:
    if mime == "application/vnd.oasis.opendocument.text":
        return DOCUMENTS["odt"]
    known = {
        "application/vnd.oasis.opendocument.spreadsheet": ("ods", "an OpenDocument spreadsheet"),
        "application/vnd.oasis.opendocument.presentation": (
            "odp",
            "an OpenDocument presentation",
        ),
        "application/vnd.oasis.opendocument.graphics": ("odg", "an OpenDocument drawing"),
        "application/epub+zip": ("epub", "an EPUB e-book"),
    }
    name, label = known.get(mime, ("zip", "a ZIP archive"))
    return other(name, label)


def _ole_type(path: Path | None, head: bytes) -> FileType:
    """Old Microsoft Office files share one container; its stream names tell them apart."""
    data = head
    if path is not None:
        with path.open("rb") as fh:
            data = fh.read(64 * 2**20)

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("WordDocument"):
        return DOCUMENTS["doc"]
    if has("Workbook") or has("Book"):
        return other("xls", "an Excel 97-2003 workbook")
    if has("PowerPoint Document"):
        return other("ppt", "a PowerPoint 97-2003 presentation")
    if has("__substg1.0_"):
        return other("msg", "an Outlook e-mail message")
    if has("EncryptedPackage"):
        return other("office-encrypted", "a password-protected Office file")
    return other("ole", "an older Microsoft Office file")


def _text_type(head: bytes) -> FileType:
    sample = head
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return other("text", "a plain text file")
    if sample.startswith(b"\xef\xbb\xbf"):
        sample = sample[3:]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            return other("binary", "a file of unknown type (not a PDF, image or document)")
        text = sample[: exc.start].decode("utf-8")
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    if not text or printable < 0.95 * len(text):
        return other("binary", "a file of unknown type (not a PDF, image or document)")
    lower = text.lstrip().lower()
    if lower.startswith(("<!doctype html", "<html")) or "<html" in lower[:500]:
        return other("html", "a web page (HTML)")
    if "<svg" in lower[:1000]:
        return other("svg", "an SVG image")
    if lower.startswith("<?xml"):
        return other("xml", "an XML file")
    if lower.startswith(("from:", "received:", "return-path:", "mime-version:")):
        return other("email", "an e-mail message")
    return other("text", "a plain text file")


def describe_head(data: bytes) -> str:
    """The label of the file whose first bytes are `data` (for messages about bytes in memory)."""
    return detect_bytes(data[:HEAD], None).label


__all__ = ["DOCUMENTS", "IMAGES", "PDF", "FileType", "describe_head", "detect", "detect_bytes"]
