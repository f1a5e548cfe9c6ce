"""Bounded reading of PDF streams, and of what the assembler writes on every page (its stamp, the
hash of what it shows): one definition for the writer and for `verify`, which reads received,
untrusted packets with it. Imports nothing of cmpacket's stages, so a reviewer's command loads
only this and the checks."""

from cmpacket.pdfread._read import DIGEST_VERSION, STAMP_MARK, page_digest, read_stamp
from cmpacket.pdfread._stamptext import runs, to_unicode_cmap
from cmpacket.pdfread._streams import (
    StreamTooLarge,
    StreamUnreadable,
    decoded_chunks,
    read_bounded,
)

__all__ = [
    "DIGEST_VERSION",
    "STAMP_MARK",
    "StreamTooLarge",
    "StreamUnreadable",
    "decoded_chunks",
    "page_digest",
    "read_bounded",
    "read_stamp",
    "runs",
    "to_unicode_cmap",
]
