"""A roster workbook as a zip package, checked before any part is parsed: refused when it is
password-protected, damaged, not a spreadsheet, or a bomb (too big, too many parts, compressed
beyond any real workbook, or a part that would expand into too many objects)."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from cmpacket.errors import InputError

# Caps (docs/data-format.md, "Limits"). A real roster workbook is far below every one of them.
MAX_WORKBOOK_BYTES = 64 * 2**20  # the file on disk
MAX_ENTRIES = 5_000  # zip entries (an xlsx has about 10, an ods about 15)
MAX_UNCOMPRESSED_BYTES = 256 * 2**20  # all entries together, as the zip directory declares them
MAX_RATIO = 100  # uncompressed : compressed, for an entry larger than RATIO_FLOOR
RATIO_FLOOR = 2**20  # small entries may compress better; they cannot cost more than this
MAX_PART_ELEMENTS = 500_000  # XML elements of a part read whole (shared strings, styles, ...)
CHUNK = 64 * 1024

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: encrypted OOXML or .xls
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_EOCD = b"PK\x05\x06"
RESAVE = "Open it in Excel or LibreOffice Calc and save it again as .xlsx or .ods."


# What reading a damaged zip entry raises (bad headers, CRC, deflate data, unknown methods)
ZIP_ERRORS = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
    NotImplementedError, RuntimeError,
)  # fmt: skip


class Stop(Exception):
    """Raised from an expat handler to end a scan early (not an error)."""


def open_package(path: Path, display: str) -> tuple[zipfile.ZipFile, str]:
    """The workbook's zip and its kind, 'xlsx' or 'ods' (by content, not by name).

    Raises InputError naming the file, what is wrong and what to do.
    """
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise InputError(
            f"{display}: {size / 2**20:.0f} MB, more than a roster workbook may be "
            f"({MAX_WORKBOOK_BYTES // 2**20} MB).",
            hint="Save the roster sheet alone in a new workbook (no pictures or other sheets).",
        )
    with path.open("rb") as fh:
        if fh.read(8) == CFB_MAGIC:
            raise _ole_error(fh, display)
        entries = _declared_entries(fh, size, display)
    if entries > MAX_ENTRIES:
        raise refused(display, f"it holds {entries:,} parts (at most {MAX_ENTRIES:,})")
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except ZIP_ERRORS as exc:
        raise damaged(display, str(exc)) from None
    try:
        _check_entries(infos, display)
        return zf, _kind(zf, display)
    except ZIP_ERRORS as exc:
        zf.close()
        raise damaged(display, str(exc)) from None
    except BaseException:
        zf.close()
        raise


def _declared_entries(fh: IO[bytes], size: int, display: str) -> int:
    """The entry count of the end-of-central-directory record, read before zipfile builds an
    object per entry (a directory of millions of entries would cost gigabytes)."""
    tail_len = min(size, 22 + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise damaged(display, "it is not a zip package")
    _, _, _, _, total, cd_size, _, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
    if total == 0xFFFF or cd_size == 0xFFFFFFFF:  # ZIP64: no spreadsheet program needs it
        raise refused(display, "it is a ZIP64 package, larger than any roster")
    return int(total)


def _check_entries(infos: list[zipfile.ZipInfo], display: str) -> None:
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _password(display)
        total += info.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise refused(
                display,
                f"its parts expand to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB",
            )
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and info.file_size / packed > MAX_RATIO:
            raise refused(
                display,
                f"part {info.filename!r} expands {info.file_size // packed:,} times "
                f"(a real workbook: under {MAX_RATIO})",
            )


def _kind(zf: zipfile.ZipFile, display: str) -> str:
    names = set(zf.namelist())
    if "mimetype" in names and zf.getinfo("mimetype").file_size <= 200:
        mime = zf.read("mimetype").strip()
        if mime != ODS_MIME:
            what = mime.decode("ascii", "replace") or "unknown"
            raise InputError(
                f"{display}: an OpenDocument file of type {what!r}, not a spreadsheet.",
                hint="Save the roster from a spreadsheet program as .xlsx or .ods.",
            )
        if "META-INF/manifest.xml" in names and _mentions(
            zf, "META-INF/manifest.xml", b"encryption-data"
        ):
            raise _password(display)
        return "ods"
    if "[Content_Types].xml" in names:
        return "xlsx"
    raise InputError(
        f"{display}: a zip file without a workbook in it (no [Content_Types].xml or mimetype).",
        hint="Save the roster from a spreadsheet program as .xlsx or .ods.",
    )


def _mentions(zf: zipfile.ZipFile, name: str, needle: bytes) -> bool:
    tail = b""
    with zf.open(name) as part:
        while chunk := part.read(CHUNK):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


def _ole_error(fh: IO[bytes], display: str) -> InputError:
    """An OLE compound file: encrypted OOXML carries an 'EncryptionInfo' stream; anything else is
    most likely an Excel 97-2003 workbook under a new name."""
    needle, tail = "EncryptionInfo".encode("utf-16-le"), b""
    fh.seek(0)
    while chunk := fh.read(CHUNK):
        if needle in tail + chunk:
            return _password(display)
        tail = chunk[-len(needle) :]
    return InputError(
        f"{display}: an Excel 97-2003 workbook (or another OLE file), not an .xlsx workbook.",
        hint="Open it in Excel or LibreOffice Calc and save it as 'Excel Workbook (.xlsx)'.",
    )


def _password(display: str) -> InputError:
    return InputError(
        f"{display}: the workbook is password-protected (encrypted); cmpacket cannot read it.",
        hint="Open it, remove the password (Excel: File > Info > Protect Workbook > Encrypt with "
        "Password, empty; LibreOffice: File > Properties > Security) and save it again.",
    )


def damaged(display: str, detail: str) -> InputError:
    """The error for a package whose content cannot be parsed."""
    return InputError(f"{display}: the workbook is damaged ({detail}).", hint=RESAVE)


def refused(display: str, why: str) -> InputError:
    """The error for a workbook over one of the caps."""
    return InputError(
        f"{display}: refused: {why}; this is not a roster workbook a spreadsheet program saves.",
        hint="Save the roster sheet alone in a new workbook. See docs/data-format.md, 'Limits'.",
    )


def scan_xml(
    zf: zipfile.ZipFile,
    name: str,
    display: str,
    handlers: dict[str, Callable[..., Any]],
) -> None:
    """Stream part `name` through expat with `handlers` (namespace URIs joined to local names by
    a space). A DOCTYPE is refused (no OOXML or ODF part has one; entity tricks need one);
    a handler raises `Stop` to end early. Syntax errors are InputErrors."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def doctype(*_: Any) -> None:
        raise refused(display, f"part {name!r} declares a DOCTYPE")

    parser.StartDoctypeDeclHandler = doctype
    for event, fn in handlers.items():
        setattr(parser, event, fn)
    try:
        with zf.open(name) as part:
            while chunk := part.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except Stop:
        pass
    except (expat.ExpatError, *ZIP_ERRORS) as exc:
        raise damaged(display, f"part {name!r}: {exc}") from None


def count_elements(zf: zipfile.ZipFile, name: str, display: str, until: str = "") -> None:
    """Refuse part `name` when it holds more than MAX_PART_ELEMENTS elements (before an element
    named `until`, where the scan stops): openpyxl reads such parts whole into objects."""
    seen = 0

    def start(tag: str, _: Any) -> None:
        nonlocal seen
        seen += 1
        if until and tag.rpartition(" ")[2] == until:
            raise Stop
        if seen > MAX_PART_ELEMENTS:
            raise refused(
                display, f"part {name!r} holds more than {MAX_PART_ELEMENTS:,} XML elements"
            )

    scan_xml(zf, name, display, {"StartElementHandler": start})
